#!/usr/bin/env node
import { runLoadgen } from './cli.js';

process.exitCode = await runLoadgen(process.argv.slice(2));
