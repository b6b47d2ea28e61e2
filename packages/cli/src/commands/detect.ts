import type { Command } from 'commander';
import type { DetectPatternsRequest } from '@engram/protocol';
import { withClient } from '../context.js';
import { detectText } from '../format.js';
import { detectJson, emit } from '../json.js';
import { miningOptions, patternConfig, type MiningFlags } from '../mining.js';

interface DetectFlags extends MiningFlags {
  dryRun?: boolean;
}

export function detectRequest(subject: string, f: DetectFlags): DetectPatternsRequest {
  const config = patternConfig(f);
  return { subject, dryRun: Boolean(f.dryRun), ...(config ? { config } : {}) };
}

export function registerDetect(program: Command): void {
  miningOptions(
    program
      .command('detect')
      .description("mine a subject's stream for frequent patterns and store them")
      .argument('<subject>')
      .option('--dry-run', 'return the patterns without storing them'),
  ).action(async (subject: string, flags: DetectFlags, command: Command) => {
      const request = detectRequest(subject, flags);
      await withClient(command, async (client, o) => {
        const res = await client.detectPatterns(request);
        emit(o.json, detectJson(res), () => detectText(res, request.dryRun === true));
      });
    });
}
