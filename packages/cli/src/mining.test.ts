import { describe, expect, it } from 'vitest';
import { inputError } from './testing.js';
import { occurredRange, parseItemSource, parseLayerList, parseShare, parseSize, parseStrategy, parseSupport } from './input.js';
import { patternConfig } from './mining.js';


const T = Date.parse('2024-05-01T10:00:00Z');

describe('parseSupport', () => {
  it('reads up to 1 as a share of episodes and above 1 as a number of episodes', () => {
    expect(parseSupport('0.5', '--min-support')).toEqual({ relativeSupport: 0.5 });
    expect(parseSupport('.25', '--min-support')).toEqual({ relativeSupport: 0.25 });
    expect(parseSupport('1', '--min-support')).toEqual({ relativeSupport: 1 });
    expect(parseSupport('3', '--min-support')).toEqual({ absoluteSupport: 3 });
    expect(parseSupport('1e2', '--min-support')).toEqual({ absoluteSupport: 100 });
  });

  it('refuses zero, negatives, fractions above 1 and words', () => {
    for (const bad of ['0', '-0.5', 'half', '', '50%']) {
      expect(inputError(() => parseSupport(bad, '--min-support'))).toMatch(/^--min-support: must be a share of episodes \(0 < x <= 1\) or a whole number/);
    }
    expect(inputError(() => parseSupport('2.5', '--min-support'))).toBe('--min-support: above 1 it is a number of episodes and must be a whole number, got 2.5');
    expect(inputError(() => parseSupport('5e9', '--min-support'))).toMatch(/whole number/);
  });
});

describe('parseSize', () => {
  it('takes bytes or a number with a unit in powers of 1024, in any case', () => {
    expect(parseSize('1048576', '--memory-limit')).toBe(2 ** 20);
    expect(parseSize('64mb', '--memory-limit')).toBe(64 * 2 ** 20);
    expect(parseSize('64MiB', '--memory-limit')).toBe(64 * 2 ** 20);
    expect(parseSize('512 KB', '--memory-limit')).toBe(512 * 1024);
    expect(parseSize('1.5g', '--memory-limit')).toBe(1.5 * 2 ** 30);
    expect(parseSize('2tb', '--memory-limit')).toBe(2 * 2 ** 40);
    expect(parseSize('10b', '--memory-limit')).toBe(10);
  });

  it('refuses unknown units, zero and negatives', () => {
    for (const bad of ['64xb', '0', '0.4b', '-1mb', 'lots', '']) {
      expect(inputError(() => parseSize(bad, '--memory-limit'))).toBe('--memory-limit: must be a positive size in bytes or with a unit (e.g. 64mb, 1gb)');
    }
  });
});

describe('enum flags', () => {
  it('read a strategy or an item source by its short name in any case, or by its enum name', () => {
    expect(parseStrategy('prefixspan', '--strategy')).toBe('INDEXING_STRATEGY_PREFIXSPAN');
    expect(parseStrategy('NGram', '--strategy')).toBe('INDEXING_STRATEGY_NGRAM');
    expect(parseStrategy('INDEXING_STRATEGY_FPGROWTH', '--strategy')).toBe('INDEXING_STRATEGY_FPGROWTH');
    expect(parseItemSource('tags', '--items')).toBe('ITEM_SOURCE_TAGS');
    expect(parseItemSource(' TERMS ', '--items')).toBe('ITEM_SOURCE_TERMS');
  });

  it('list the choices when the value is none of them (unspecified is not a choice)', () => {
    expect(inputError(() => parseStrategy('apriori', '--strategy'))).toBe('--strategy: must be one of prefixspan, ngram, fpgrowth; got "apriori"');
    expect(inputError(() => parseStrategy('unspecified', '--strategy'))).toMatch(/^--strategy: must be one of/);
    expect(inputError(() => parseItemSource('words', '--items'))).toBe('--items: must be one of kind, tags, terms; got "words"');
  });
});

describe('parseLayerList, parseShare and occurredRange', () => {
  it('reads comma-separated layers, once each', () => {
    expect(parseLayerList('logic, ETERNAL,logic', '--layers')).toEqual(['LAYER_LOGIC', 'LAYER_ETERNAL']);
    expect(inputError(() => parseLayerList('logic,deep', '--layers'))).toMatch(/^--layers: must be one of sensory, emotion, logic, dream, eternal; got "deep"/);
    expect(inputError(() => parseLayerList(' , ', '--layers'))).toMatch(/^--layers: must name at least one layer/);
  });

  it('takes a share above 0 and at most 1', () => {
    expect(parseShare('0.5', '--cpu-limit')).toBe(0.5);
    expect(parseShare('1', '--cpu-limit')).toBe(1);
    expect(inputError(() => parseShare('0', '--cpu-limit'))).toBe('--cpu-limit: must be above 0 and at most 1');
    expect(inputError(() => parseShare('1.5', '--cpu-limit'))).toBe('--cpu-limit: must be from 0 to 1, got 1.5');
  });

  it('makes a time range of either end or both, and refuses an empty one', () => {
    expect(occurredRange(undefined, undefined)).toBeNull();
    expect(occurredRange(T, undefined)).toEqual({ start: { seconds: T / 1000, nanos: 0 }, end: null });
    expect(occurredRange(undefined, T)).toEqual({ start: null, end: { seconds: T / 1000, nanos: 0 } });
    expect(inputError(() => occurredRange(T, T))).toBe('--since must be before --until');
  });
});

describe('patternConfig', () => {
  it('is undefined without flags, so the engine applies every default', () => {
    expect(patternConfig({})).toBeUndefined();
  });

  it('maps every flag to its PatternConfig field', () => {
    expect(
      patternConfig({
        strategy: 'INDEXING_STRATEGY_PREFIXSPAN',
        items: 'ITEM_SOURCE_TAGS',
        minSupport: { absoluteSupport: 3 },
        minLength: 2,
        maxLength: 4,
        maxGap: 1,
        episodeGap: 90_000,
        layers: ['LAYER_LOGIC'],
        since: T,
        until: T + 1000,
        maxPatterns: 50,
        concurrency: 2,
        batchSize: 8,
        cpuLimit: 0.5,
        memoryLimit: 64 * 2 ** 20,
      }),
    ).toEqual({
      indexingStrategy: 'INDEXING_STRATEGY_PREFIXSPAN',
      itemSource: 'ITEM_SOURCE_TAGS',
      absoluteSupport: 3,
      minPatternLength: 2,
      maxPatternLength: 4,
      maxGap: 1,
      episodeGap: { seconds: 90, nanos: 0 },
      layers: ['LAYER_LOGIC'],
      occurred: { start: { seconds: T / 1000, nanos: 0 }, end: { seconds: T / 1000 + 1, nanos: 0 } },
      maxPatterns: 50,
      concurrencyLevel: 2,
      batchSize: 8,
      cpuLimit: 0.5,
      memoryLimit: 64 * 2 ** 20,
    });
  });

  it('keeps a max gap of 0 (contiguous), which differs from leaving it unset', () => {
    expect(patternConfig({ maxGap: 0 })).toEqual({ maxGap: 0 });
    expect(patternConfig({ minSupport: { relativeSupport: 0.5 } })).toEqual({ relativeSupport: 0.5 });
  });

  it('refuses flags that contradict each other', () => {
    expect(inputError(() => patternConfig({ minLength: 4, maxLength: 2 }))).toBe('--max-length (2) must not be less than --min-length (4)');
    expect(inputError(() => patternConfig({ strategy: 'INDEXING_STRATEGY_NGRAM', maxGap: 2 }))).toBe('--max-gap must be 0 with --strategy ngram (its patterns are contiguous)');
    expect(patternConfig({ strategy: 'INDEXING_STRATEGY_NGRAM', maxGap: 0 })).toEqual({ indexingStrategy: 'INDEXING_STRATEGY_NGRAM', maxGap: 0 });
    expect(inputError(() => patternConfig({ since: T, until: T - 1 }))).toBe('--since must be before --until');
  });
});
