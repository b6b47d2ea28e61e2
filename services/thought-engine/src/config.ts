import type { EngineConfig } from '@engram/config';
import { fromDuration, invalidArgument, layerNumber, LAYER_NAMES, type IndexingStrategy, type ItemSource, type Layer, type PatternConfig__Output, type TimeRange } from '@engram/protocol';

export type Strategy = 'prefixspan' | 'ngram' | 'fpgrowth';

/** A DetectPatterns configuration with every default applied and every field checked. */
export interface MiningConfig {
  strategy: Strategy;
  itemSource: ItemSource;
  minLength: number;
  maxLength: number;
  minSupport: { relative?: number; absolute?: number };
  maxGap: number | undefined;
  episodeGapMs: number;
  layers: Layer[];
  occurred: TimeRange | null;
  maxPatterns: number;
  batchSize: number;
  /** Tasks of this request run at once. */
  parallelism: number;
  memoryLimitBytes: number;
}

const STRATEGY_NAMES: Record<Strategy, IndexingStrategy> = {
  prefixspan: 'INDEXING_STRATEGY_PREFIXSPAN',
  ngram: 'INDEXING_STRATEGY_NGRAM',
  fpgrowth: 'INDEXING_STRATEGY_FPGROWTH',
};
export const strategyName = (s: Strategy): IndexingStrategy => STRATEGY_NAMES[s];

const SOURCES: Record<string, ItemSource> = { kind: 'ITEM_SOURCE_KIND', tags: 'ITEM_SOURCE_TAGS', terms: 'ITEM_SOURCE_TERMS' };
/** Every layer but DREAM: insights are the engine's own output and are not mined again. */
export const DEFAULT_LAYERS: Layer[] = ['LAYER_SENSORY', 'LAYER_EMOTION', 'LAYER_LOGIC', 'LAYER_ETERNAL'];

const MAX_LENGTH = 64;
const MAX_GAP = 1000;

/**
 * Resolves a request's PatternConfig against the engine's defaults. Errors name the field under `prefix`
 * (config, or options.patterns for Dream).
 */
export function resolveMiningConfig(c: PatternConfig__Output | null, defaults: EngineConfig['patterns'], threads: number, prefix = 'config'): MiningConfig {
  const f = (name: string) => `${prefix}.${name}`;
  const minLength = c?.minPatternLength || defaults.minLength;
  const maxLength = c?.maxPatternLength || Math.max(defaults.maxLength, minLength);
  if (minLength > MAX_LENGTH) throw invalidArgument(f('min_pattern_length'), `must be at most ${MAX_LENGTH}`);
  if (maxLength > MAX_LENGTH) throw invalidArgument(f('max_pattern_length'), `must be at most ${MAX_LENGTH}`);
  if (maxLength < minLength) throw invalidArgument(f('max_pattern_length'), 'must not be less than min_pattern_length');

  let minSupport: MiningConfig['minSupport'] = defaults.minSupport;
  if (c?.minSupport === 'relativeSupport') {
    if (!(c.relativeSupport! > 0 && c.relativeSupport! <= 1)) throw invalidArgument(f('relative_support'), 'must be in (0, 1]');
    minSupport = { relative: c.relativeSupport! };
  } else if (c?.minSupport === 'absoluteSupport') {
    if (c.absoluteSupport! < 1) throw invalidArgument(f('absolute_support'), 'must be at least 1');
    minSupport = { absolute: c.absoluteSupport! };
  }

  let maxGap = c?._maxGap === 'maxGap' ? c.maxGap! : defaults.maxGap;
  if (maxGap !== undefined && maxGap > MAX_GAP) throw invalidArgument(f('max_gap'), `must be at most ${MAX_GAP}`);

  let strategy: Strategy;
  switch (c?.indexingStrategy ?? 'INDEXING_STRATEGY_UNSPECIFIED') {
    case 'INDEXING_STRATEGY_PREFIXSPAN':
      strategy = 'prefixspan';
      break;
    case 'INDEXING_STRATEGY_NGRAM':
      if (c?._maxGap === 'maxGap' && c.maxGap !== 0) throw invalidArgument(f('max_gap'), 'must be 0 for INDEXING_STRATEGY_NGRAM (contiguous patterns)');
      strategy = 'ngram';
      maxGap = 0;
      break;
    case 'INDEXING_STRATEGY_FPGROWTH':
      strategy = 'fpgrowth';
      break;
    case 'INDEXING_STRATEGY_UNSPECIFIED':
      if (c?._maxGap === 'maxGap' && defaults.strategy !== 'fpgrowth') {
        // An explicit gap decides: contiguous patterns for 0, sequential ones otherwise.
        strategy = maxGap === 0 ? 'ngram' : 'prefixspan';
      } else {
        strategy = defaults.strategy === 'prefixspan' && maxGap === 0 ? 'ngram' : defaults.strategy;
        if (strategy === 'ngram') maxGap = 0;
      }
      break;
    default:
      throw invalidArgument(f('indexing_strategy'), 'must be PREFIXSPAN, NGRAM or FPGROWTH');
  }

  const episodeGapMs = fromDuration(c?.episodeGap) ?? defaults.episodeGap;
  if (!(episodeGapMs > 0)) throw invalidArgument(f('episode_gap'), 'must be positive');

  let itemSource = SOURCES[defaults.itemSource]!;
  if (c && c.itemSource !== 'ITEM_SOURCE_UNSPECIFIED') {
    if (!Object.values(SOURCES).includes(c.itemSource)) throw invalidArgument(f('item_source'), 'must be KIND, TAGS or TERMS');
    itemSource = c.itemSource;
  }

  const layers =
    c && c.layers.length > 0
      ? c.layers.map((l, i) => {
          const n = layerNumber(l);
          if (n === undefined || n === 0) throw invalidArgument(`${f('layers')}[${i}]`, `unknown layer ${String(l)}`);
          return LAYER_NAMES[n] as Layer;
        })
      : [...DEFAULT_LAYERS];

  const maxPatterns = c?.maxPatterns || defaults.maxPatterns;
  if (maxPatterns > 100_000) throw invalidArgument(f('max_patterns'), 'must be at most 100000');
  const batchSize = c?.batchSize || defaults.batchSize;
  if (batchSize > 100_000) throw invalidArgument(f('batch_size'), 'must be at most 100000');
  const concurrency = c?.concurrencyLevel || threads;
  if (concurrency > 64) throw invalidArgument(f('concurrency_level'), 'must be at most 64');
  const cpuLimit = c?.cpuLimit || 1;
  if (!(cpuLimit > 0 && cpuLimit <= 1)) throw invalidArgument(f('cpu_limit'), 'must be in (0, 1]');
  const memoryLimitBytes = Number(c?.memoryLimit ?? 0) || defaults.memoryLimit;
  if (memoryLimitBytes > defaults.memoryLimit) {
    throw invalidArgument(f('memory_limit'), `must be at most the engine's worker limit of ${defaults.memoryLimit} bytes`);
  }
  const parallelism = Math.max(1, Math.min(concurrency, Math.floor(threads * cpuLimit)));

  return { strategy, itemSource, minLength, maxLength, minSupport, maxGap, episodeGapMs, layers, occurred: c?.occurred ?? null, maxPatterns, batchSize, parallelism, memoryLimitBytes };
}
