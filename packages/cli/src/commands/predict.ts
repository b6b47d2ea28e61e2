import type { Command } from 'commander';
import type { ItemSource__Output, PredictRequest } from '@engram/protocol';
import { flag, withClient } from '../context.js';
import { predictionsText } from '../format.js';
import { parseInteger, parseItemSource } from '../input.js';
import { emit } from '../json.js';

interface PredictFlags {
  k?: number;
  items?: ItemSource__Output;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description("the likeliest next items after a context, from the subject's patterns and learned weights")
    .argument('<subject>')
    .argument('[context...]', "recent items, oldest first (default: the subject's latest episode)")
    .option('-k, --k <n>', 'predictions wanted (server default 5, at most 100)', flag((v, f) => parseInteger(v, f, 1, 100), '-k'))
    .option('--items <source>', "kind, tags or terms (default: that of the subject's patterns)", flag(parseItemSource, '--items'))
    .action(async (subject: string, context: string[], flags: PredictFlags, command: Command) => {
      const request: PredictRequest = { subject, context };
      if (flags.k !== undefined) request.k = flags.k;
      if (flags.items !== undefined) request.itemSource = flags.items;
      await withClient(command, async (client, o) => {
        const res = await client.predict(request);
        emit(o.json, res, () => predictionsText(res));
      });
    });
}
