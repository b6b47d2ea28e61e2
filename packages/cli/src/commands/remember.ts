import type { Command } from 'commander';
import { flag, repeatable, text, withClient } from '../context.js';
import { layerText } from '../format.js';
import { memoryInputFromFlags, parseDuration, parseKeyValue, parseLayer, parseNumber, parseTime, type RememberFlags } from '../input.js';
import { emit, rememberJson } from '../json.js';

export function registerRemember(program: Command): void {
  program
    .command('remember')
    .description('store one memory about a subject')
    .argument('<subject>', 'who or what the memory is about')
    .argument('<content...>', 'the memory text (several words are joined with spaces)')
    .option('--kind <kind>', 'event type, e.g. message or observation')
    .option('--tag <tag>', 'a tag (repeatable)', repeatable(text, '--tag'))
    .option('--attr <key=value>', 'an attribute (repeatable)', repeatable(parseKeyValue, '--attr'))
    .option('--layer <layer>', 'sensory, emotion, logic, dream or eternal (default: the server decides)', flag(parseLayer, '--layer'))
    .option('--importance <0..1>', 'importance (default: estimated)', flag((v, f) => parseNumber(v, f, 0, 1), '--importance'))
    .option('--valence <-1..1>', 'valence (default: estimated)', flag((v, f) => parseNumber(v, f, -1, 1), '--valence'))
    .option('--arousal <0..1>', 'arousal (default: estimated)', flag((v, f) => parseNumber(v, f, 0, 1), '--arousal'))
    .option('--id <id>', 'client-chosen id, which makes retries idempotent')
    .option('--ttl <duration>', "overrides the layer's retention, e.g. 10m, 24h, 7d", flag(parseDuration, '--ttl'))
    .option('--occurred-at <iso>', 'event time (default: now)', flag(parseTime, '--occurred-at'))
    .action(async (subject: string, words: string[], flags: RememberFlags, command: Command) => {
      await withClient(command, async (client, o) => {
        const res = await client.remember(memoryInputFromFlags(subject, words.join(' '), flags));
        emit(o.json, rememberJson(res), () => `${res.id}  ${layerText(res.layer)}${res.deduplicated ? '  (deduplicated)' : ''}`);
      });
    });
}
