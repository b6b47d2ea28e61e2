import { describe, expect, it } from 'vitest';
import { engineGroups, loadConfig, type EngineConfig } from '@engram/config';
import { isEngramError, type PatternConfig__Output } from '@engram/protocol';
import { DEFAULT_LAYERS, resolveMiningConfig, strategyName } from './config.js';

const engineConfig = (env: Record<string, string> = {}): EngineConfig => loadConfig(engineGroups, { env, argv: [] });
const defaults = engineConfig().patterns;

/** A PatternConfig as the gRPC layer decodes it (every field at its default), then the given ones. */
function patternConfig(p: Partial<PatternConfig__Output> = {}): PatternConfig__Output {
  return {
    concurrencyLevel: 0,
    batchSize: 0,
    minPatternLength: 0,
    maxPatternLength: 0,
    indexingStrategy: 'INDEXING_STRATEGY_UNSPECIFIED',
    memoryLimit: 0,
    cpuLimit: 0,
    episodeGap: null,
    itemSource: 'ITEM_SOURCE_UNSPECIFIED',
    layers: [],
    occurred: null,
    maxPatterns: 0,
    ...p,
  };
}

/** The INVALID_ARGUMENT a call throws; fails the test when it does not throw one. */
function invalid(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isEngramError(err)).toBe(true);
    expect((err as { code: number }).code).toBe(3);
    return err as Error;
  }
  throw new Error('expected INVALID_ARGUMENT, nothing was thrown');
}

describe('resolveMiningConfig', () => {
  it('takes every default from the engine configuration', () => {
    for (const c of [null, patternConfig()]) {
      const cfg = resolveMiningConfig(c, defaults, 4);
      expect(cfg).toEqual({
        strategy: 'prefixspan',
        itemSource: 'ITEM_SOURCE_KIND',
        minLength: 1,
        maxLength: 5,
        minSupport: { relative: 0.3 },
        maxGap: 2,
        episodeGapMs: 30 * 60_000,
        layers: DEFAULT_LAYERS,
        occurred: null,
        maxPatterns: 500,
        batchSize: 4,
        parallelism: 4,
        memoryLimitBytes: 256 * 1024 * 1024,
      });
    }
  });

  it('follows engine settings given by environment', () => {
    const patterns = engineConfig({
      ENGRAM_PATTERN_STRATEGY: 'fpgrowth',
      ENGRAM_PATTERN_ITEMS: 'tags',
      ENGRAM_PATTERN_MIN_SUPPORT: '3',
      ENGRAM_PATTERN_MAX_GAP: 'unbounded',
      ENGRAM_PATTERN_EPISODE_GAP: '5m',
      ENGRAM_PATTERN_MIN_LENGTH: '2',
      ENGRAM_PATTERN_MAX_LENGTH: '3',
    }).patterns;
    const cfg = resolveMiningConfig(null, patterns, 2);
    expect(cfg).toMatchObject({ strategy: 'fpgrowth', itemSource: 'ITEM_SOURCE_TAGS', minSupport: { absolute: 3 }, episodeGapMs: 300_000, minLength: 2, maxLength: 3 });
    expect(cfg.maxGap).toBeUndefined();
  });

  it('takes the request fields over the defaults', () => {
    const cfg = resolveMiningConfig(
      patternConfig({
        minPatternLength: 2,
        maxPatternLength: 7,
        minSupport: 'absoluteSupport',
        absoluteSupport: 4,
        _maxGap: 'maxGap',
        maxGap: 5,
        episodeGap: { seconds: 90, nanos: 500_000_000 },
        itemSource: 'ITEM_SOURCE_TERMS',
        layers: ['LAYER_LOGIC', 'LAYER_DREAM'],
        occurred: { start: { seconds: 10, nanos: 0 }, end: null },
        maxPatterns: 12,
        batchSize: 3,
        memoryLimit: 1024 * 1024,
      }),
      defaults,
      4,
    );
    expect(cfg).toEqual({
      strategy: 'prefixspan',
      itemSource: 'ITEM_SOURCE_TERMS',
      minLength: 2,
      maxLength: 7,
      minSupport: { absolute: 4 },
      maxGap: 5,
      episodeGapMs: 90_500,
      layers: ['LAYER_LOGIC', 'LAYER_DREAM'],
      occurred: { start: { seconds: 10, nanos: 0 }, end: null },
      maxPatterns: 12,
      batchSize: 3,
      parallelism: 4,
      memoryLimitBytes: 1024 * 1024,
    });
  });

  it('accepts a relative support in (0, 1]', () => {
    expect(resolveMiningConfig(patternConfig({ minSupport: 'relativeSupport', relativeSupport: 1 }), defaults, 1).minSupport).toEqual({ relative: 1 });
    expect(resolveMiningConfig(patternConfig({ minSupport: 'relativeSupport', relativeSupport: 0.05 }), defaults, 1).minSupport).toEqual({ relative: 0.05 });
  });

  it('raises the default max length to a larger requested min length', () => {
    const cfg = resolveMiningConfig(patternConfig({ minPatternLength: 9 }), defaults, 1);
    expect(cfg.minLength).toBe(9);
    expect(cfg.maxLength).toBe(9);
  });

  it('normalises layers given by number or short name', () => {
    const cfg = resolveMiningConfig(patternConfig({ layers: [3 as never, 'sensory' as never] }), defaults, 1);
    expect(cfg.layers).toEqual(['LAYER_LOGIC', 'LAYER_SENSORY']);
  });

  it('reads every layer but DREAM by default', () => {
    const cfg = resolveMiningConfig(patternConfig(), defaults, 1);
    expect(cfg.layers).toEqual(['LAYER_SENSORY', 'LAYER_EMOTION', 'LAYER_LOGIC', 'LAYER_ETERNAL']);
    expect(cfg.layers).not.toContain('LAYER_DREAM');
  });

  describe('strategy', () => {
    it('UNSPECIFIED with max_gap 0 is NGRAM', () => {
      const cfg = resolveMiningConfig(patternConfig({ _maxGap: 'maxGap', maxGap: 0 }), defaults, 1);
      expect(cfg.strategy).toBe('ngram');
      expect(cfg.maxGap).toBe(0);
    });

    it('UNSPECIFIED with a default max_gap of 0 is NGRAM', () => {
      const patterns = engineConfig({ ENGRAM_PATTERN_MAX_GAP: '0' }).patterns;
      expect(resolveMiningConfig(null, patterns, 1)).toMatchObject({ strategy: 'ngram', maxGap: 0 });
    });

    it('UNSPECIFIED with another max_gap is PREFIXSPAN', () => {
      expect(resolveMiningConfig(patternConfig({ _maxGap: 'maxGap', maxGap: 1 }), defaults, 1)).toMatchObject({ strategy: 'prefixspan', maxGap: 1 });
    });

    it('UNSPECIFIED keeps the engine default strategy FPGROWTH even for max_gap 0', () => {
      const patterns = engineConfig({ ENGRAM_PATTERN_STRATEGY: 'fpgrowth' }).patterns;
      expect(resolveMiningConfig(patternConfig({ _maxGap: 'maxGap', maxGap: 0 }), patterns, 1).strategy).toBe('fpgrowth');
    });

    it('UNSPECIFIED with an engine default of NGRAM forces max_gap 0', () => {
      const patterns = engineConfig({ ENGRAM_PATTERN_STRATEGY: 'ngram' }).patterns;
      expect(resolveMiningConfig(null, patterns, 1)).toMatchObject({ strategy: 'ngram', maxGap: 0 });
    });

    it('NGRAM without max_gap is contiguous', () => {
      expect(resolveMiningConfig(patternConfig({ indexingStrategy: 'INDEXING_STRATEGY_NGRAM' }), defaults, 1)).toMatchObject({ strategy: 'ngram', maxGap: 0 });
    });

    it('NGRAM with max_gap 0 is accepted', () => {
      expect(resolveMiningConfig(patternConfig({ indexingStrategy: 'INDEXING_STRATEGY_NGRAM', _maxGap: 'maxGap', maxGap: 0 }), defaults, 1).strategy).toBe('ngram');
    });

    it('NGRAM with max_gap 2 is INVALID_ARGUMENT naming config.max_gap', () => {
      const err = invalid(() => resolveMiningConfig(patternConfig({ indexingStrategy: 'INDEXING_STRATEGY_NGRAM', _maxGap: 'maxGap', maxGap: 2 }), defaults, 1));
      expect(err.message).toContain('config.max_gap');
    });

    it('PREFIXSPAN keeps a max_gap of 0', () => {
      expect(resolveMiningConfig(patternConfig({ indexingStrategy: 'INDEXING_STRATEGY_PREFIXSPAN', _maxGap: 'maxGap', maxGap: 0 }), defaults, 1)).toMatchObject({
        strategy: 'prefixspan',
        maxGap: 0,
      });
    });

    it('FPGROWTH is FP-growth', () => {
      const cfg = resolveMiningConfig(patternConfig({ indexingStrategy: 'INDEXING_STRATEGY_FPGROWTH' }), defaults, 1);
      expect(cfg.strategy).toBe('fpgrowth');
    });

    it('maps strategies back to their wire names', () => {
      expect(strategyName('prefixspan')).toBe('INDEXING_STRATEGY_PREFIXSPAN');
      expect(strategyName('ngram')).toBe('INDEXING_STRATEGY_NGRAM');
      expect(strategyName('fpgrowth')).toBe('INDEXING_STRATEGY_FPGROWTH');
    });
  });

  describe('parallelism', () => {
    const parallelism = (threads: number, p: Partial<PatternConfig__Output>) => resolveMiningConfig(patternConfig(p), defaults, threads).parallelism;

    it('is min(concurrency, floor(threads x cpu_limit)), at least 1', () => {
      expect(parallelism(4, {})).toBe(4);
      expect(parallelism(4, { concurrencyLevel: 2 })).toBe(2);
      expect(parallelism(4, { concurrencyLevel: 8 })).toBe(4);
      expect(parallelism(4, { cpuLimit: 0.5 })).toBe(2);
      expect(parallelism(4, { cpuLimit: 0.6 })).toBe(2);
      expect(parallelism(4, { concurrencyLevel: 1, cpuLimit: 1 })).toBe(1);
      expect(parallelism(4, { cpuLimit: 0.1 })).toBe(1);
      expect(parallelism(1, { concurrencyLevel: 64 })).toBe(1);
      expect(parallelism(8, { concurrencyLevel: 3, cpuLimit: 0.5 })).toBe(3);
    });

    it('is always a whole number of at least 1', () => {
      for (let threads = 1; threads <= 8; threads++) {
        for (const concurrencyLevel of [0, 1, 3, 64]) {
          for (const cpuLimit of [0, 0.01, 0.3, 0.75, 1]) {
            const p = parallelism(threads, { concurrencyLevel, cpuLimit });
            expect(Number.isInteger(p)).toBe(true);
            expect(p).toBeGreaterThanOrEqual(1);
            expect(p).toBeLessThanOrEqual(threads);
            expect(p).toBe(Math.max(1, Math.min(concurrencyLevel || threads, Math.floor(threads * (cpuLimit || 1)))));
          }
        }
      }
    });
  });

  describe('memory limit', () => {
    it('accepts the engine limit and below', () => {
      expect(resolveMiningConfig(patternConfig({ memoryLimit: defaults.memoryLimit }), defaults, 1).memoryLimitBytes).toBe(defaults.memoryLimit);
      expect(resolveMiningConfig(patternConfig({ memoryLimit: 1 }), defaults, 1).memoryLimitBytes).toBe(1);
    });

    it('refuses more than the engine limit, naming config.memory_limit', () => {
      const err = invalid(() => resolveMiningConfig(patternConfig({ memoryLimit: defaults.memoryLimit + 1 }), defaults, 1));
      expect(err.message).toContain('config.memory_limit');
      expect(err.message).toContain(String(defaults.memoryLimit));
    });
  });

  describe('INVALID_ARGUMENT names the field', () => {
    const cases: [string, Partial<PatternConfig__Output>, string][] = [
      ['min length above 64', { minPatternLength: 65 }, 'config.min_pattern_length'],
      ['max length above 64', { maxPatternLength: 65 }, 'config.max_pattern_length'],
      ['max length below min length', { minPatternLength: 4, maxPatternLength: 3 }, 'config.max_pattern_length'],
      ['relative support 0', { minSupport: 'relativeSupport', relativeSupport: 0 }, 'config.relative_support'],
      ['relative support above 1', { minSupport: 'relativeSupport', relativeSupport: 1.5 }, 'config.relative_support'],
      ['relative support negative', { minSupport: 'relativeSupport', relativeSupport: -0.5 }, 'config.relative_support'],
      ['relative support NaN', { minSupport: 'relativeSupport', relativeSupport: Number.NaN }, 'config.relative_support'],
      ['absolute support 0', { minSupport: 'absoluteSupport', absoluteSupport: 0 }, 'config.absolute_support'],
      ['max gap above 1000', { _maxGap: 'maxGap', maxGap: 1001 }, 'config.max_gap'],
      ['ngram with a gap', { indexingStrategy: 'INDEXING_STRATEGY_NGRAM', _maxGap: 'maxGap', maxGap: 1 }, 'config.max_gap'],
      ['unknown strategy', { indexingStrategy: 'INDEXING_STRATEGY_BOGUS' as never }, 'config.indexing_strategy'],
      ['zero episode gap', { episodeGap: { seconds: 0, nanos: 0 } }, 'config.episode_gap'],
      ['negative episode gap', { episodeGap: { seconds: -5, nanos: 0 } }, 'config.episode_gap'],
      ['unknown item source', { itemSource: 'ITEM_SOURCE_BOGUS' as never }, 'config.item_source'],
      ['unknown layer', { layers: ['LAYER_LOGIC', 'LAYER_BOGUS' as never] }, 'config.layers[1]'],
      ['unspecified layer', { layers: ['LAYER_UNSPECIFIED'] }, 'config.layers[0]'],
      ['max patterns above 100000', { maxPatterns: 100_001 }, 'config.max_patterns'],
      ['batch size above 100000', { batchSize: 100_001 }, 'config.batch_size'],
      ['concurrency above 64', { concurrencyLevel: 65 }, 'config.concurrency_level'],
      ['cpu limit above 1', { cpuLimit: 1.5 }, 'config.cpu_limit'],
      ['cpu limit negative', { cpuLimit: -0.5 }, 'config.cpu_limit'],
      ['memory limit above the engine', { memoryLimit: Number.MAX_SAFE_INTEGER }, 'config.memory_limit'],
    ];
    for (const [name, fields, field] of cases) {
      it(`${name}: ${field}`, () => {
        const err = invalid(() => resolveMiningConfig(patternConfig(fields), defaults, 4));
        expect(err.message.startsWith(`${field}: `)).toBe(true);
      });
    }

    it('under a custom prefix (options.patterns for Dream)', () => {
      for (const [fields, field] of [
        [{ _maxGap: 'maxGap', maxGap: 5000 }, 'options.patterns.max_gap'],
        [{ layers: ['LAYER_BOGUS' as never] }, 'options.patterns.layers[0]'],
        [{ memoryLimit: defaults.memoryLimit * 2 }, 'options.patterns.memory_limit'],
        [{ indexingStrategy: 'INDEXING_STRATEGY_NGRAM', _maxGap: 'maxGap', maxGap: 3 }, 'options.patterns.max_gap'],
      ] as [Partial<PatternConfig__Output>, string][]) {
        const err = invalid(() => resolveMiningConfig(patternConfig(fields), defaults, 2, 'options.patterns'));
        expect(err.message.startsWith(`${field}: `)).toBe(true);
        expect(err.message).not.toMatch(/^config\./);
      }
    });

    it('accepts the bounds themselves', () => {
      const cfg = resolveMiningConfig(
        patternConfig({ minPatternLength: 64, maxPatternLength: 64, _maxGap: 'maxGap', maxGap: 1000, maxPatterns: 100_000, batchSize: 100_000, concurrencyLevel: 64, cpuLimit: 1 }),
        defaults,
        2,
      );
      expect(cfg).toMatchObject({ minLength: 64, maxLength: 64, maxGap: 1000, maxPatterns: 100_000, batchSize: 100_000, parallelism: 2 });
    });
  });
});

describe('resolveMiningConfig: an explicit gap with no strategy', () => {
  it('picks contiguous n-grams for gap 0 and PrefixSpan otherwise, whatever the engine default', () => {
    const ngramDefault = engineConfig({ ENGRAM_PATTERN_STRATEGY: 'ngram' }).patterns;
    const gapped = resolveMiningConfig(patternConfig({ _maxGap: 'maxGap', maxGap: 3 }), ngramDefault, 2);
    expect(gapped).toMatchObject({ strategy: 'prefixspan', maxGap: 3 });
    const contiguous = resolveMiningConfig(patternConfig({ _maxGap: 'maxGap', maxGap: 0 }), defaults, 2);
    expect(contiguous).toMatchObject({ strategy: 'ngram', maxGap: 0 });
  });

  it('returns a copy of the default layers', () => {
    const cfg = resolveMiningConfig(null, defaults, 2);
    cfg.layers.push('LAYER_DREAM');
    expect(DEFAULT_LAYERS).not.toContain('LAYER_DREAM');
  });
});
