import type { Command } from 'commander';
import type { IndexingStrategy__Output, ListPatternsRequest } from '@engram/protocol';
import { flag, withClient } from '../context.js';
import { enumText, patternsTable } from '../format.js';
import { parseInteger, parseStrategy } from '../input.js';
import { emit, patternJson } from '../json.js';

interface PatternsFlags {
  limit?: number;
  strategy?: IndexingStrategy__Output;
}

export function registerPatterns(program: Command): void {
  program
    .command('patterns')
    .description("list a subject's stored patterns, highest support first")
    .argument('<subject>')
    .option('--limit <n>', 'most patterns (server default 100, at most 1000)', flag((v, f) => parseInteger(v, f, 1, 1000), '--limit'))
    .option('--strategy <name>', 'only patterns mined by prefixspan, ngram or fpgrowth', flag(parseStrategy, '--strategy'))
    .action(async (subject: string, flags: PatternsFlags, command: Command) => {
      const request: ListPatternsRequest = { subject };
      if (flags.limit !== undefined) request.limit = flags.limit;
      if (flags.strategy !== undefined) request.strategy = flags.strategy;
      await withClient(command, async (client, o) => {
        const { patterns } = await client.listPatterns(request);
        const none = `no ${flags.strategy ? `${enumText(flags.strategy, 'INDEXING_STRATEGY_')} ` : ''}patterns stored for ${subject}`;
        emit(o.json, { patterns: patterns.map(patternJson) }, () => (patterns.length > 0 ? patternsTable(patterns) : none));
      });
    });
}
