import { describe, expect, it } from 'vitest';
import { loadConfig, engineGroups } from '@engram/config';
import { contiguousPatterns, fpGrowth, patternKey, prefixSpan, type SequentialPattern } from '@engram/patterns';
import type { StreamEntry__Output } from '@engram/protocol';
import { resolveMiningConfig, type MiningConfig } from './config.js';
import { miningFingerprint, mineStream, patternNamesKey, type FrequentBase, type Miner } from './incremental.js';
import { toEpisodes } from './stream.js';
import { mulberry32 } from '../../../packages/patterns/src/reference-sequences.js';

const defaults = loadConfig(engineGroups, { env: {}, argv: [] }).patterns;
const MIN = 60_000;


/** An in-process miner with the configured strategy: what the pool runs, without threads. */
const minerFor =
  (cfg: MiningConfig): Miner =>
  async (sequences, b) => {
    if (cfg.strategy === 'fpgrowth') {
      const transactions = sequences.map((s) => [...new Set(s.flat())].sort((x, y) => x - y));
      return fpGrowth(transactions, b).map((s) => ({ elements: [s.items], support: s.support }));
    }
    if (cfg.strategy === 'ngram') return contiguousPatterns(sequences, b);
    return prefixSpan(sequences, b);
  };

function entry(id: string, at: number, kind: string, tags: string[], ingested: number): StreamEntry__Output {
  return { id, occurredAtMs: at, ingestedAtMs: ingested, kind, tags, terms: [], layer: 'LAYER_SENSORY', importance: 0.5 };
}

const byNames = (patterns: SequentialPattern[], dictionary: readonly string[]) =>
  patterns.map((p) => `${patternNamesKey(p.elements.map((e) => e.map((i) => dictionary[i]!)))}:${p.support}`).sort();

describe('mineStream', () => {
  it('finds exactly what mining the whole stream finds, for random streams, strategies and updates', async () => {
    const rand = mulberry32(11);
    let incremental = 0;
    for (let round = 0; round < 150; round++) {
      const strategy = (['prefixspan', 'ngram', 'fpgrowth'] as const)[round % 3]!;
      const cfg = resolveMiningConfig(
        {
          indexingStrategy: strategy === 'prefixspan' ? 'INDEXING_STRATEGY_PREFIXSPAN' : strategy === 'ngram' ? 'INDEXING_STRATEGY_NGRAM' : 'INDEXING_STRATEGY_FPGROWTH',
          minSupport: rand() < 0.5 ? 'relativeSupport' : 'absoluteSupport',
          relativeSupport: 0.2 + rand() * 0.4,
          absoluteSupport: 1 + Math.floor(rand() * 3),
          ...(strategy === 'prefixspan' ? { _maxGap: 'maxGap' as const, maxGap: Math.floor(rand() * 3) } : strategy === 'ngram' ? { _maxGap: 'maxGap' as const, maxGap: 0 } : {}),
          minPatternLength: 1 + Math.floor(rand() * 2),
          maxPatternLength: 2 + Math.floor(rand() * 3),
          itemSource: rand() < 0.5 ? 'ITEM_SOURCE_KIND' : 'ITEM_SOURCE_TAGS',
          episodeGap: { seconds: 600, nanos: 0 },
          layers: [],
        } as never,
        defaults,
        2,
      );
      // A stream of episodes (10 min apart at least) of 1-6 memories a minute apart, 3-5 kinds and tags.
      const kinds = 3 + Math.floor(rand() * 3);
      const entries: StreamEntry__Output[] = [];
      let t = 0;
      const episodes = 6 + Math.floor(rand() * 10);
      for (let e = 0; e < episodes; e++) {
        t += 20 * MIN;
        const n = 1 + Math.floor(rand() * 6);
        for (let i = 0; i < n; i++) {
          const tags = [...new Set([0, 1].filter(() => rand() < 0.5).map(() => `t${Math.floor(rand() * kinds)}`))];
          entries.push(entry(`m${e}-${i}`, t + i * MIN, `k${Math.floor(rand() * kinds)}`, tags, 1000));
        }
      }
      // New memories: fresh episodes at the end, some inside old episodes, some bridging or extending them.
      const added: StreamEntry__Output[] = [];
      const nNew = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < nNew; i++) {
        const at = rand() < 0.5 ? t + (1 + i) * 5 * MIN : Math.floor(rand() * t);
        added.push(entry(`n${i}`, at, `k${Math.floor(rand() * kinds)}`, [`t${Math.floor(rand() * kinds)}`], 2000));
      }
      const miner = minerFor(cfg);
      const oldDb = toEpisodes(entries, cfg.itemSource, cfg.episodeGapMs, 1500);
      const baseRun = await mineStream(oldDb, new Set(), cfg, undefined, miner);
      const base: FrequentBase = { fingerprint: miningFingerprint(cfg), episodes: oldDb.sequences.length, memories: entries.length, frequent: baseRun.frequent };

      const db = toEpisodes([...entries, ...added], cfg.itemSource, cfg.episodeGapMs, 2500);
      const newIds = new Set(added.map((a) => a.id));
      const update = await mineStream(db, newIds, cfg, base, miner);
      const scratch = await mineStream(db, newIds, cfg, undefined, miner);
      expect(scratch.incremental).toBe(false);
      expect(byNames(update.patterns, db.dictionary), `round ${round} (${strategy})`).toEqual(byNames(scratch.patterns, db.dictionary));
      expect(update.patterns.map(patternKey)).toEqual(scratch.patterns.map(patternKey));
      expect([...update.frequent].sort()).toEqual([...scratch.frequent].sort());
      if (update.incremental) incremental += 1;
    }
    // Most rounds really took the incremental path (the rest fell back by design: too much changed).
    expect(incremental).toBeGreaterThan(100);
  });

  it('mines from scratch when the settings changed or memories disappeared since the base', async () => {
    const cfg = resolveMiningConfig(null, defaults, 2);
    const entries = Array.from({ length: 20 }, (_, i) => entry(`m${i}`, Math.floor(i / 4) * 3600_000 + (i % 4) * MIN, `k${i % 3}`, [], 1000));
    const db = toEpisodes(entries, cfg.itemSource, cfg.episodeGapMs, 1500);
    const first = await mineStream(db, new Set(), cfg, undefined, minerFor(cfg));
    const base: FrequentBase = { fingerprint: miningFingerprint(cfg), episodes: db.sequences.length, memories: entries.length, frequent: first.frequent };
    const added = [...entries, entry('n0', 10 * 3600_000, 'k1', [], 2000)];
    const next = toEpisodes(added, cfg.itemSource, cfg.episodeGapMs, 2500);
    expect((await mineStream(next, new Set(['n0']), cfg, base, minerFor(cfg))).incremental).toBe(true);
    expect((await mineStream(next, new Set(['n0']), cfg, { ...base, fingerprint: 'other' }, minerFor(cfg))).incremental).toBe(false);
    // One old memory forgotten: the old episodes cannot be rebuilt.
    const forgotten = toEpisodes(added.slice(1), cfg.itemSource, cfg.episodeGapMs, 2500);
    expect((await mineStream(forgotten, new Set(['n0']), cfg, base, minerFor(cfg))).incremental).toBe(false);
  });
});
