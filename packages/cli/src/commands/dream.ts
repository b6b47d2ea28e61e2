import type { Command } from 'commander';
import type { DreamOptions, DreamRequest } from '@engram/protocol';
import { flag, withClient } from '../context.js';
import { dreamText } from '../format.js';
import { parseInteger, parseNumber } from '../input.js';
import { emit } from '../json.js';
import { miningOptions, patternConfig, type MiningFlags } from '../mining.js';

interface DreamFlags extends MiningFlags {
  promoteThreshold?: number;
  maxInsights?: number;
  dryRun?: boolean;
}

export function dreamRequest(subject: string | undefined, f: DreamFlags): DreamRequest {
  const options: DreamOptions = { dryRun: Boolean(f.dryRun) };
  const patterns = patternConfig(f);
  if (patterns) options.patterns = patterns;
  if (f.promoteThreshold !== undefined) options.promoteThreshold = f.promoteThreshold;
  if (f.maxInsights !== undefined) options.maxInsights = f.maxInsights;
  return { subject: subject ?? '', options };
}

export function registerDream(program: Command): void {
  miningOptions(
    program
      .command('dream')
      .description('consolidate: replay, mine, learn, write insights, promote to eternal, expire (no subject: the whole tenant)')
      .argument('[subject]', 'the subject to dream about (default: every subject of the tenant)')
      .option('--promote-threshold <x>', 'promotion score at which a memory moves to eternal', flag((v, f) => parseNumber(v, f, -100, 100), '--promote-threshold'))
      .option('--max-insights <n>', 'most insight memories written per subject (server default 5)', flag((v, f) => parseInteger(v, f, 1, 1000), '--max-insights'))
      .option('--dry-run', 'report what would happen without writing anything'),
  ).action(async (subject: string | undefined, flags: DreamFlags, command: Command) => {
    const request = dreamRequest(subject, flags);
    await withClient(command, async (client, o) => {
      const report = await client.dream(request);
      emit(o.json, report, () => dreamText(report, request.options?.dryRun === true));
    });
  });
}
