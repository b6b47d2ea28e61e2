import type { Command } from 'commander';
import type { IndexingStrategy__Output, ItemSource__Output, LayerName, PatternConfig } from '@engram/protocol';
import { flag } from './context.js';
import {
  InputError,
  occurredRange,
  parseDuration,
  parseInteger,
  parseItemSource,
  parseLayerList,
  parseShare,
  parseSize,
  parseStrategy,
  parseSupport,
  parseTime,
  toDuration,
  type Support,
} from './input.js';

// The pattern-mining options of `engram detect` and `engram dream` (a PatternConfig), shared by both.

/** The mining options, already parsed; unset ones stay unset (the engine's defaults apply). */
export interface MiningFlags {
  strategy?: IndexingStrategy__Output;
  items?: ItemSource__Output;
  minSupport?: Support;
  minLength?: number;
  maxLength?: number;
  maxGap?: number;
  /** Milliseconds. */
  episodeGap?: number;
  layers?: LayerName[];
  /** Milliseconds since the epoch. */
  since?: number;
  until?: number;
  maxPatterns?: number;
  concurrency?: number;
  batchSize?: number;
  cpuLimit?: number;
  /** Bytes. */
  memoryLimit?: number;
}

/** Items per pattern and elements skipped between pattern elements, as the engine bounds them. */
const MAX_PATTERN_LENGTH = 64;
const MAX_GAP = 1000;

const integer = (field: string, min: number, max: number) => flag((v, f) => parseInteger(v, f, min, max), field);

/** Adds the mining options to a command, under their own heading in its help (add them last). */
export function miningOptions(command: Command): Command {
  return command
    .optionsGroup('Mining options (unset: the engine\'s defaults):')
    .option('--strategy <name>', 'prefixspan (sequences, any gap), ngram (contiguous) or fpgrowth (co-occurring itemsets)', flag(parseStrategy, '--strategy'))
    .option('--items <source>', "what a memory contributes as items: kind, tags or terms", flag(parseItemSource, '--items'))
    .option('--min-support <x>', 'share of episodes (0 < x <= 1) or, above 1, a number of episodes', flag(parseSupport, '--min-support'))
    .option('--min-length <n>', 'fewest items in a pattern', integer('--min-length', 1, MAX_PATTERN_LENGTH))
    .option('--max-length <n>', 'most items in a pattern', integer('--max-length', 1, MAX_PATTERN_LENGTH))
    .option('--max-gap <n>', 'elements skipped between two consecutive pattern elements (0 = contiguous)', integer('--max-gap', 0, MAX_GAP))
    .option('--episode-gap <duration>', 'a pause longer than this starts a new episode, e.g. 30m', flag(parseDuration, '--episode-gap'))
    .option('--layers <layers>', 'layers to read, comma-separated, e.g. logic,eternal (default: all but dream)', flag(parseLayerList, '--layers'))
    .option('--since <iso>', 'only memories that occurred at or after', flag(parseTime, '--since'))
    .option('--until <iso>', 'only memories that occurred before', flag(parseTime, '--until'))
    .option('--max-patterns <n>', 'most patterns kept (the highest-support ones)', integer('--max-patterns', 1, 100_000))
    .option('--concurrency <n>', 'worker tasks run at once', integer('--concurrency', 1, 64))
    .option('--batch-size <n>', 'frequent first items per worker task', integer('--batch-size', 1, 100_000))
    .option('--cpu-limit <share>', "share of the engine's worker threads to use, 0 < x <= 1", flag(parseShare, '--cpu-limit'))
    .option('--memory-limit <size>', 'bytes the mining may hold, e.g. 64mb (at most the engine\'s limit)', flag(parseSize, '--memory-limit'));
}

/** The PatternConfig of the mining flags, or undefined when none is given (the engine's defaults then apply). */
export function patternConfig(f: MiningFlags): PatternConfig | undefined {
  if (f.minLength !== undefined && f.maxLength !== undefined && f.minLength > f.maxLength) {
    throw new InputError(`--max-length (${f.maxLength}) must not be less than --min-length (${f.minLength})`);
  }
  if (f.strategy === 'INDEXING_STRATEGY_NGRAM' && f.maxGap !== undefined && f.maxGap !== 0) {
    throw new InputError('--max-gap must be 0 with --strategy ngram (its patterns are contiguous)');
  }
  const occurred = occurredRange(f.since, f.until);
  const config: PatternConfig = {};
  if (f.strategy !== undefined) config.indexingStrategy = f.strategy;
  if (f.items !== undefined) config.itemSource = f.items;
  if (f.minSupport !== undefined) Object.assign(config, f.minSupport);
  if (f.minLength !== undefined) config.minPatternLength = f.minLength;
  if (f.maxLength !== undefined) config.maxPatternLength = f.maxLength;
  if (f.maxGap !== undefined) config.maxGap = f.maxGap;
  if (f.episodeGap !== undefined) config.episodeGap = toDuration(f.episodeGap);
  if (f.layers?.length) config.layers = [...f.layers];
  if (occurred) config.occurred = occurred;
  if (f.maxPatterns !== undefined) config.maxPatterns = f.maxPatterns;
  if (f.concurrency !== undefined) config.concurrencyLevel = f.concurrency;
  if (f.batchSize !== undefined) config.batchSize = f.batchSize;
  if (f.cpuLimit !== undefined) config.cpuLimit = f.cpuLimit;
  if (f.memoryLimit !== undefined) config.memoryLimit = f.memoryLimit;
  return Object.keys(config).length > 0 ? config : undefined;
}
