#!/usr/bin/env node
import { run } from './program.js';

// A reader that stops early (`engram query … | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`error: cannot write output: ${err.message}\n`);
  process.exit(1);
});

process.exitCode = await run(process.argv.slice(2));
