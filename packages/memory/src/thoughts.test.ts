import { afterEach, describe, expect, it } from 'vitest';
import { queryTerms } from '@engram/cognition';
import type {
  IndexingStrategy__Output as IndexingStrategy,
  ItemSource__Output as ItemSource,
  Layer__Output as Layer,
  MemoryInput__Output,
  Pattern__Output,
  ReadStreamRequest__Output,
  WeightTarget__Output,
} from '@engram/protocol';
import type { MemoryEngine } from './engine.js';
import { input, streamRequest, testEngines } from './test-engine.js';

// Background sweeps and access write-backs run on real-time intervals: push them out, so only the calls of a
// test (and its ManualClock) decide what happens.
const engines = testEngines({ ENGRAM_DEDUP_WINDOW: '0', ENGRAM_RETENTION_SWEEP_INTERVAL: '1h', ENGRAM_REINFORCE_FLUSH_INTERVAL: '60s' });
afterEach(engines.closeAll);

const T = 't';
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

type MemoryFields = Partial<MemoryInput__Output> & { subject: string; id: string };
async function remember(engine: MemoryEngine, p: MemoryFields, tenant = T) {
  return engine.remember(tenant, input({ content: `memory ${p.id}`, layer: 'LAYER_SENSORY', ...p }));
}


function pattern(id: string, p: Partial<Pattern__Output> = {}): Pattern__Output {
  return {
    id,
    elements: [{ items: ['a'] }, { items: ['b'] }],
    support: 1,
    relativeSupport: 0.5,
    confidence: 1,
    strategy: 'INDEXING_STRATEGY_PREFIXSPAN',
    itemSource: 'ITEM_SOURCE_KIND',
    weight: 1,
    evidenceIds: [],
    detectedAt: null,
    ...p,
  };
}

const putPatterns = (engine: MemoryEngine, subject: string, strategy: IndexingStrategy, itemSource: ItemSource, patterns: Pattern__Output[]) =>
  engine.thoughts.putPatterns(T, { subject, strategy, itemSource, patterns: patterns.map((p) => ({ ...p, strategy, itemSource })) });

const listPatterns = (engine: MemoryEngine, subject: string, p: { limit?: number; strategy?: IndexingStrategy } = {}) =>
  engine.thoughts.listPatterns(T, { subject, limit: p.limit ?? 0, strategy: p.strategy ?? 'INDEXING_STRATEGY_UNSPECIFIED' });

const target = (kind: WeightTarget__Output['kind'], id: string): WeightTarget__Output => ({ kind, id });
const feedback = (engine: MemoryEngine, subject: string, targets: WeightTarget__Output[], reward: number, requireExisting = false) =>
  engine.thoughts.applyFeedback(T, { subject, targets, reward, requireExisting });

const weights = async (engine: MemoryEngine, subject: string, kind: WeightTarget__Output['kind'] = 'WEIGHT_KIND_UNSPECIFIED') =>
  (await engine.thoughts.getWeights(T, { subject, kind })).weights!;

const consolidate = (engine: MemoryEngine, subject: string, p: { threshold: number; dryRun?: boolean; promoteFrom?: Layer[] }) =>
  engine.thoughts.consolidate(T, { subject, promoteThreshold: p.threshold, dryRun: p.dryRun ?? false, promoteFrom: p.promoteFrom ?? [] });

const layerCounts = async (engine: MemoryEngine) => Object.fromEntries((await engine.stats()).layers!.map((l) => [l.layer, l.memories]));

const invalid = (field: string) => ({ code: 3, message: expect.stringContaining(field) as unknown });

describe('ThoughtStore.readStream', () => {
  it('returns every live memory of the subject in id order, with its items', async () => {
    const { engine, clock } = await engines.open();
    const t0 = clock.now();
    await remember(engine, { subject: 's', id: 'm02', kind: 'buy', tags: ['shop', 'web'], content: 'bought coffee beans', occurredAt: ts(t0 - 5000), importance: 0.7 });
    clock.advance(10);
    await remember(engine, { subject: 's', id: 'm01', kind: 'view', layer: 'LAYER_LOGIC' });
    await remember(engine, { subject: 'other', id: 'm00', kind: 'x' });
    await remember(engine, { subject: 's', id: 'm03', kind: 'y' }, 'another-tenant');
    const res = await engine.thoughts.readStream(T, streamRequest({ subject: 's' }));
    expect(res.nowMs).toBe(clock.now());
    expect(res.nextAfterId).toBe('');
    expect(res.entries!.map((e) => e.id)).toEqual(['m01', 'm02']);
    const bought = res.entries![1]!;
    expect(bought).toMatchObject({ id: 'm02', kind: 'buy', tags: ['shop', 'web'], layer: 'LAYER_SENSORY', occurredAtMs: t0 - 5000, ingestedAtMs: t0 });
    expect(bought.importance).toBeCloseTo(0.7, 6);
    // The indexed terms of the content (stemmed, stop words dropped).
    expect(bought.terms).toEqual(queryTerms('bought coffee beans'));
    expect(bought.terms).toHaveLength(3);
    expect(res.entries![0]).toMatchObject({ kind: 'view', layer: 'LAYER_LOGIC', occurredAtMs: t0 + 10, ingestedAtMs: t0 + 10 });
  });

  it('pages with afterId and limit, oldest id first and newest first', async () => {
    const { engine } = await engines.open();
    const ids = Array.from({ length: 9 }, (_, i) => `m${i + 1}`);
    for (const id of ids) await remember(engine, { subject: 's', id, kind: 'k' });

    const forward: string[][] = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const res = await engine.thoughts.readStream(T, streamRequest({ subject: 's', limit: 4, afterId: after }));
      forward.push(res.entries!.map((e) => e.id!));
      after = res.nextAfterId!;
      if (after === '') break;
    }
    expect(forward).toEqual([['m1', 'm2', 'm3', 'm4'], ['m5', 'm6', 'm7', 'm8'], ['m9']]);

    const backward: string[][] = [];
    after = '';
    for (let page = 0; page < 10; page++) {
      const res = await engine.thoughts.readStream(T, streamRequest({ subject: 's', limit: 3, afterId: after, newestFirst: true }));
      backward.push(res.entries!.map((e) => e.id!));
      after = res.nextAfterId!;
      if (after === '') break;
    }
    expect(backward).toEqual([['m9', 'm8', 'm7'], ['m6', 'm5', 'm4'], ['m3', 'm2', 'm1']]);

    // A page that ends exactly at the last memory says there is no more.
    const exact = await engine.thoughts.readStream(T, streamRequest({ subject: 's', limit: 9 }));
    expect(exact.entries).toHaveLength(9);
    expect(exact.nextAfterId).toBe('');
    // The newest one, as readLatest asks for it.
    const latest = await engine.thoughts.readStream(T, streamRequest({ subject: 's', limit: 1, newestFirst: true }));
    expect(latest.entries!.map((e) => e.id)).toEqual(['m9']);
    expect(latest.nextAfterId).toBe('m9');
  });

  it('filters by layer and by the occurred range [start, end)', async () => {
    const { engine, clock } = await engines.open();
    const t0 = clock.now();
    const layers: Layer[] = ['LAYER_SENSORY', 'LAYER_LOGIC', 'LAYER_EMOTION', 'LAYER_DREAM', 'LAYER_LOGIC', 'LAYER_SENSORY'];
    for (let i = 0; i < layers.length; i++) {
      await remember(engine, { subject: 's', id: `m${i}`, kind: 'k', layer: layers[i]!, occurredAt: ts(t0 - 60_000 + i * 1000) });
    }
    const ids = async (p: Partial<ReadStreamRequest__Output>) => (await engine.thoughts.readStream(T, streamRequest({ subject: 's', ...p }))).entries!.map((e) => e.id);
    expect(await ids({ layers: ['LAYER_LOGIC'] })).toEqual(['m1', 'm4']);
    expect(await ids({ layers: ['LAYER_SENSORY', 'LAYER_DREAM'] })).toEqual(['m0', 'm3', 'm5']);
    expect(await ids({ occurred: { start: ts(t0 - 59_000), end: ts(t0 - 56_000) } })).toEqual(['m1', 'm2', 'm3']);
    expect(await ids({ occurred: { start: ts(t0 - 57_000), end: null } })).toEqual(['m3', 'm4', 'm5']);
    expect(await ids({ occurred: { start: null, end: ts(t0 - 59_000) } })).toEqual(['m0']);
    expect(await ids({ layers: ['LAYER_LOGIC'], occurred: { start: ts(t0 - 58_000), end: null } })).toEqual(['m4']);
  });

  it('pages through a filtered stream without repeats or gaps', async () => {
    const { engine } = await engines.open();
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `m${String(i).padStart(2, '0')}`;
      const layer: Layer = i % 3 === 0 ? 'LAYER_LOGIC' : 'LAYER_SENSORY';
      if (layer === 'LAYER_LOGIC') expected.push(id);
      await remember(engine, { subject: 's', id, kind: 'k', layer });
    }
    const seen: string[] = [];
    let after = '';
    for (let page = 0; page < 20; page++) {
      const res = await engine.thoughts.readStream(T, streamRequest({ subject: 's', layers: ['LAYER_LOGIC'], limit: 2, afterId: after }));
      expect(res.entries!.length).toBeLessThanOrEqual(2);
      seen.push(...res.entries!.map((e) => e.id!));
      after = res.nextAfterId!;
      if (after === '') break;
    }
    expect(seen).toEqual(expected);
  });

  it('hides expired memories', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'short', kind: 'k', ttl: { seconds: 10, nanos: 0 } });
    await remember(engine, { subject: 's', id: 'long', kind: 'k', layer: 'LAYER_LOGIC' });
    const ids = async () => (await engine.thoughts.readStream(T, streamRequest({ subject: 's' }))).entries!.map((e) => e.id);
    expect(await ids()).toEqual(['long', 'short']);
    clock.advance(10_000);
    expect(await ids()).toEqual(['long']);
    clock.advance(25 * 3600_000); // past SENSORY's retention, within LOGIC's
    expect(await ids()).toEqual(['long']);
  });

  it('refuses a bad layer or after_id', async () => {
    const { engine } = await engines.open();
    await expect(engine.thoughts.readStream(T, streamRequest({ subject: 's', layers: ['LAYER_LOGIC', 'LAYER_UNSPECIFIED'] }))).rejects.toMatchObject(invalid('layers[1]'));
    await expect(engine.thoughts.readStream(T, streamRequest({ subject: 's', layers: ['LAYER_NOPE' as Layer] }))).rejects.toMatchObject(invalid('layers[0]'));
    await expect(engine.thoughts.readStream(T, streamRequest({ subject: 's', afterId: 'bad id' }))).rejects.toMatchObject(invalid('after_id'));
    await expect(engine.thoughts.readStream(T, streamRequest({ subject: '' }))).rejects.toMatchObject({ code: 3 });
  });
});

describe('ThoughtStore patterns', () => {
  it('replaces only the patterns of the same strategy and item source', async () => {
    const { engine } = await engines.open();
    expect(await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_a', { support: 3 }), pattern('p_b', { support: 2 }), pattern('p_c')])).toEqual({
      stored: 3,
      replaced: 0,
    });
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_NGRAM', 'ITEM_SOURCE_KIND', [pattern('p_ngram', { support: 5 })]);
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_TAGS', [pattern('p_tags', { support: 4 })]);
    await putPatterns(engine, 'other', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_other')]);

    const res = await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_b', { support: 9 }), pattern('p_d', { support: 1 })]);
    expect(res).toEqual({ stored: 2, replaced: 3 });
    const listed = (await listPatterns(engine, 's')).patterns!;
    expect(listed.map((p) => [p.id, p.support])).toEqual([
      ['p_b', 9],
      ['p_ngram', 5],
      ['p_tags', 4],
      ['p_d', 1],
    ]);
    expect((await listPatterns(engine, 'other')).patterns!.map((p) => p.id)).toEqual(['p_other']);

    // Replacing with nothing clears that strategy and source.
    expect(await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [])).toEqual({ stored: 0, replaced: 2 });
    expect((await listPatterns(engine, 's')).patterns!.map((p) => p.id)).toEqual(['p_ngram', 'p_tags']);
  });

  it('stores every field of a pattern', async () => {
    const { engine } = await engines.open();
    const p = pattern('p_full', {
      elements: [{ items: ['login'] }, { items: ['search', 'view'] }],
      support: 7,
      relativeSupport: 0.7,
      confidence: 0.875,
      evidenceIds: ['m1', 'm2'],
      detectedAt: { seconds: 1_767_225_600, nanos: 0 },
      maxGap: 2,
      _maxGap: 'maxGap',
    });
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_TERMS', [p]);
    const [listed] = (await listPatterns(engine, 's')).patterns!;
    expect(listed).toMatchObject({
      id: 'p_full',
      elements: [{ items: ['login'] }, { items: ['search', 'view'] }],
      support: 7,
      confidence: 0.875,
      strategy: 'INDEXING_STRATEGY_PREFIXSPAN',
      itemSource: 'ITEM_SOURCE_TERMS',
      evidenceIds: ['m1', 'm2'],
      detectedAt: { seconds: 1_767_225_600, nanos: 0 },
      maxGap: 2,
    });
    expect(listed!.relativeSupport).toBeCloseTo(0.7, 6);
  });

  it('refuses a pattern id that is not one', async () => {
    const { engine } = await engines.open();
    for (const id of ['', 'has space', 'a/b', 'x'.repeat(65)]) {
      await expect(putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_ok'), pattern(id)])).rejects.toMatchObject(invalid('patterns[1].id'));
    }
    expect((await listPatterns(engine, 's')).patterns).toEqual([]);
  });

  it('lists by support descending, then id; filters by strategy; limits', async () => {
    const { engine } = await engines.open();
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [
      pattern('p_c', { support: 2 }),
      pattern('p_a', { support: 2 }),
      pattern('p_z', { support: 8 }),
      pattern('p_b', { support: 1 }),
    ]);
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_FPGROWTH', 'ITEM_SOURCE_KIND', [pattern('p_f', { support: 5 })]);
    const ids = async (p: { limit?: number; strategy?: IndexingStrategy }) => (await listPatterns(engine, 's', p)).patterns!.map((x) => x.id);
    expect(await ids({})).toEqual(['p_z', 'p_f', 'p_a', 'p_c', 'p_b']);
    expect(await ids({ limit: 2 })).toEqual(['p_z', 'p_f']);
    expect(await ids({ strategy: 'INDEXING_STRATEGY_PREFIXSPAN' })).toEqual(['p_z', 'p_a', 'p_c', 'p_b']);
    expect(await ids({ strategy: 'INDEXING_STRATEGY_FPGROWTH' })).toEqual(['p_f']);
    expect(await ids({ strategy: 'INDEXING_STRATEGY_NGRAM' })).toEqual([]);
    expect((await listPatterns(engine, 'nobody')).patterns).toEqual([]);
  });

  it('lists the learned weight of each pattern (1 when none)', async () => {
    const { engine } = await engines.open();
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_good', { support: 2, weight: 3 }), pattern('p_bad', { support: 1, weight: 3 })]);
    await feedback(engine, 's', [target('WEIGHT_KIND_PATTERN', 'p_good')], 1);
    await feedback(engine, 's', [target('WEIGHT_KIND_PATTERN', 'p_bad')], -1);
    // An item weight named like a pattern does not leak into the pattern.
    await feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'p_bad')], 1);
    const listed = (await listPatterns(engine, 's')).patterns!;
    expect(listed.map((p) => p.id)).toEqual(['p_good', 'p_bad']);
    expect(listed[0]!.weight).toBeCloseTo(Math.exp(0.5), 10);
    expect(listed[1]!.weight).toBeCloseTo(Math.exp(-0.5), 10);

    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_new', { weight: 3 })]);
    expect((await listPatterns(engine, 's')).patterns!.map((p) => [p.id, p.weight])).toEqual([['p_new', 1]]);
  });
});

describe('ThoughtStore feedback and weights', () => {
  it('moves weights in log space with a shrinking learning rate', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'm1', kind: 'k' });
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_1')]);
    const targets = [target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_PATTERN', 'p_1'), target('WEIGHT_KIND_ITEM', 'coffee')];

    const first = (await feedback(engine, 's', targets, 1, true)).weights!;
    expect(first.map((w) => [w.kind, w.id, w.updates])).toEqual([
      ['WEIGHT_KIND_MEMORY', 'm1', 1],
      ['WEIGHT_KIND_PATTERN', 'p_1', 1],
      ['WEIGHT_KIND_ITEM', 'coffee', 1],
    ]);
    for (const w of first) {
      expect(w.weight).toBeCloseTo(Math.exp(0.5), 10);
      expect(w.learningRate).toBeCloseTo(0.5, 10);
    }

    clock.advance(1000);
    const second = (await feedback(engine, 's', [targets[0]!], 1, true)).weights!;
    expect(second[0]!.updates).toBe(2);
    expect(second[0]!.learningRate).toBeCloseTo(0.5 / Math.SQRT2, 10);
    expect(second[0]!.weight).toBeCloseTo(Math.exp(0.5 + 0.5 / Math.SQRT2), 10);

    const third = (await feedback(engine, 's', [targets[0]!], -1, true)).weights!;
    expect(third[0]!.learningRate).toBeCloseTo(0.5 / Math.sqrt(3), 10);
    expect(Number(third[0]!.learningRate)).toBeLessThan(Number(second[0]!.learningRate));
    expect(Number(third[0]!.weight)).toBeLessThan(Number(second[0]!.weight));
    expect(third[0]!.weight).toBeCloseTo(Math.exp(0.5 + 0.5 / Math.SQRT2 - 0.5 / Math.sqrt(3)), 10);

    // What getWeights reports is what feedback left, and the rate the next step would take.
    const stored = await weights(engine, 's');
    expect(stored.map((w) => [w.kind, w.id, w.updates])).toEqual([
      ['WEIGHT_KIND_MEMORY', 'm1', 3],
      ['WEIGHT_KIND_PATTERN', 'p_1', 1],
      ['WEIGHT_KIND_ITEM', 'coffee', 1],
    ]);
    expect(stored[0]!.weight).toBeCloseTo(Number(third[0]!.weight), 10);
    expect(stored[0]!.learningRate).toBeCloseTo(0.5 / Math.sqrt(4), 10);
  });

  it('applies repeated targets of one request one after the other', async () => {
    const { engine } = await engines.open();
    const res = (await feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'x'), target('WEIGHT_KIND_ITEM', 'x')], 1)).weights!;
    expect(res.map((w) => w.updates)).toEqual([1, 2]);
    expect(res[1]!.weight).toBeCloseTo(Math.exp(0.5 + 0.5 / Math.SQRT2), 10);
    const stored = await weights(engine, 's');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.updates).toBe(2);
  });

  it('returns the weights of one kind', async () => {
    const { engine } = await engines.open();
    await feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'b'), target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_PATTERN', 'p_1'), target('WEIGHT_KIND_ITEM', 'a')], 0.5);
    await feedback(engine, 'other', [target('WEIGHT_KIND_ITEM', 'z')], 0.5);
    expect((await weights(engine, 's', 'WEIGHT_KIND_ITEM')).map((w) => w.id)).toEqual(['a', 'b']);
    expect((await weights(engine, 's', 'WEIGHT_KIND_MEMORY')).map((w) => w.id)).toEqual(['m1']);
    expect((await weights(engine, 's', 'WEIGHT_KIND_PATTERN')).map((w) => w.id)).toEqual(['p_1']);
    expect((await weights(engine, 's')).map((w) => `${w.kind}:${w.id}`)).toEqual(['WEIGHT_KIND_MEMORY:m1', 'WEIGHT_KIND_PATTERN:p_1', 'WEIGHT_KIND_ITEM:a', 'WEIGHT_KIND_ITEM:b']);
    expect(await weights(engine, 'nobody')).toEqual([]);
    await expect(engine.thoughts.getWeights(T, { subject: 's', kind: 'WEIGHT_KIND_BOGUS' as never })).rejects.toMatchObject(invalid('kind'));
  });

  it('is NOT_FOUND for a missing memory or pattern when they must exist, and writes nothing', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'm1', kind: 'k' });
    await remember(engine, { subject: 's', id: 'brief', kind: 'k', ttl: { seconds: 1, nanos: 0 } });
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_1')]);
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_MEMORY', 'nope')], 1, true)).rejects.toMatchObject({ code: 5 });
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_PATTERN', 'p_nope')], 1, true)).rejects.toMatchObject({ code: 5 });
    // A memory of another subject is not this subject's.
    await expect(feedback(engine, 'other', [target('WEIGHT_KIND_MEMORY', 'm1')], 1, true)).rejects.toMatchObject({ code: 5 });
    clock.advance(1000);
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'brief')], 1, true)).rejects.toMatchObject({ code: 5 });
    expect(await weights(engine, 's')).toEqual([]);
    // Items need not exist; nothing needs to without require_existing.
    await feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'anything')], 1, true);
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'nope'), target('WEIGHT_KIND_PATTERN', 'p_nope')], 1, false);
    expect((await weights(engine, 's')).map((w) => w.id)).toEqual(['nope', 'p_nope', 'anything']);
  });

  it('refuses a bad reward, kind, target id or target list', async () => {
    const { engine } = await engines.open();
    const item = target('WEIGHT_KIND_ITEM', 'x');
    for (const reward of [1.5, -1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(feedback(engine, 's', [item], reward)).rejects.toMatchObject(invalid('reward'));
    }
    await expect(feedback(engine, 's', [], 1)).rejects.toMatchObject(invalid('targets'));
    await expect(feedback(engine, 's', Array.from({ length: 1001 }, () => item), 1)).rejects.toMatchObject(invalid('targets'));
    await expect(feedback(engine, 's', [item, target('WEIGHT_KIND_UNSPECIFIED', 'x')], 1)).rejects.toMatchObject(invalid('targets[1].kind'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_BOGUS' as never, 'x')], 1)).rejects.toMatchObject(invalid('targets[0].kind'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'bad id')], 1)).rejects.toMatchObject(invalid('targets[0].id'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_PATTERN', 'p/1')], 1)).rejects.toMatchObject(invalid('targets[0].id'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_ITEM', '')], 1)).rejects.toMatchObject(invalid('targets[0].id'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'a\x00b')], 1)).rejects.toMatchObject(invalid('targets[0].id'));
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'x'.repeat(513))], 1)).rejects.toMatchObject(invalid('targets[0].id'));
    expect(await weights(engine, 's')).toEqual([]);
    // The bounds themselves are fine.
    await feedback(engine, 's', [target('WEIGHT_KIND_ITEM', 'x'.repeat(512))], -1);
    await feedback(engine, 's', [item], 1);
    await feedback(engine, 's', [item], 0);
    expect(await weights(engine, 's')).toHaveLength(2);
  });
});

describe('ThoughtStore.consolidate', () => {
  /**
   * Three SENSORY memories of low importance: `hot` recalled five times a second after it was written, `cold`
   * never, `brief` with a 5 s ttl. Six seconds on, hot's activation is ln(6^-0.5 + 5·5^-0.5) ≈ 0.97 and cold's
   * ln(6^-0.5) ≈ -0.90, each plus 0.1 importance; brief has expired.
   */
  async function scenario() {
    const opened = await engines.open();
    const { engine, clock } = opened;
    for (const id of ['hot', 'cold']) await remember(engine, { subject: 's', id, kind: 'k', importance: 0.1 });
    await remember(engine, { subject: 's', id: 'brief', kind: 'k', importance: 0.1, ttl: { seconds: 5, nanos: 0 } });
    await remember(engine, { subject: 'other', id: 'hot', kind: 'k', importance: 0.1 });
    clock.advance(1000);
    for (let i = 0; i < 5; i++) await engine.recall(T, 's', 'hot', true);
    clock.advance(5000);
    return opened;
  }

  it('promotes a memory with many accesses to ETERNAL, leaves the others and deletes the expired', async () => {
    const { engine, clock } = await scenario();
    expect(await layerCounts(engine)).toEqual({ LAYER_SENSORY: 4 });
    const res = await consolidate(engine, 's', { threshold: 0.5 });
    expect(res).toEqual({ promoted: 1, expired: 1, promotedIds: ['hot'] });

    expect((await engine.recall(T, 's', 'hot', false)).memory).toMatchObject({ layer: 'LAYER_ETERNAL', expiresAt: null });
    expect((await engine.recall(T, 's', 'cold', false)).memory).toMatchObject({ layer: 'LAYER_SENSORY' });
    await expect(engine.recall(T, 's', 'brief', false)).rejects.toMatchObject({ code: 5 });
    expect((await engine.recall(T, 'other', 'hot', false)).memory).toMatchObject({ layer: 'LAYER_SENSORY' });

    const stats = await engine.stats();
    expect(stats.memories).toBe(3);
    expect(await layerCounts(engine)).toEqual({ LAYER_SENSORY: 2, LAYER_ETERNAL: 1 });
    const stream = await engine.thoughts.readStream(T, streamRequest({ subject: 's' }));
    expect(stream.entries!.map((e) => [e.id, e.layer])).toEqual([
      ['cold', 'LAYER_SENSORY'],
      ['hot', 'LAYER_ETERNAL'],
    ]);

    // Again: nothing left to do.
    expect(await consolidate(engine, 's', { threshold: 0.5 })).toEqual({ promoted: 0, expired: 0, promotedIds: [] });

    // Past SENSORY's retention, the promoted memory stays and the sweeper finds only `cold` (and other/hot).
    clock.advance(25 * 3600_000);
    expect(await engine.maintain()).toBe(2);
    expect((await engine.recall(T, 's', 'hot', false)).memory?.id).toBe('hot');
    expect((await engine.stats()).memories).toBe(1);
    expect(await layerCounts(engine)).toEqual({ LAYER_ETERNAL: 1 });
  });

  it('changes nothing on a dry run', async () => {
    const { engine } = await scenario();
    const before = await engine.stats();
    expect(await consolidate(engine, 's', { threshold: 0.5, dryRun: true })).toEqual({ promoted: 1, expired: 1, promotedIds: ['hot'] });
    const after = await engine.stats();
    expect(after.memories).toBe(before.memories);
    expect(after.layers).toEqual(before.layers);
    expect((await engine.recall(T, 's', 'hot', false)).memory?.layer).toBe('LAYER_SENSORY');
    // The real run still has everything to do.
    expect(await consolidate(engine, 's', { threshold: 0.5 })).toEqual({ promoted: 1, expired: 1, promotedIds: ['hot'] });
  });

  it('promotes by threshold and only from the given layers', async () => {
    const { engine } = await scenario();
    expect(await consolidate(engine, 's', { threshold: 5, dryRun: true })).toMatchObject({ promoted: 0 });
    expect((await consolidate(engine, 's', { threshold: -5, dryRun: true })).promotedIds!.sort()).toEqual(['cold', 'hot']);
    expect(await consolidate(engine, 's', { threshold: 0.5, promoteFrom: ['LAYER_LOGIC'], dryRun: true })).toEqual({ promoted: 0, expired: 1, promotedIds: [] });
    expect(await consolidate(engine, 's', { threshold: 0.5, promoteFrom: ['LAYER_SENSORY'], dryRun: true })).toMatchObject({ promotedIds: ['hot'] });
  });

  it('counts a memory\'s feedback weight in its promotion score', async () => {
    const { engine } = await scenario();
    // Two rewards of -1 take ln(weight) to -(0.5 + 0.5/√2) ≈ -0.85.
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'hot')], -1);
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'hot')], -1);
    // hot: ≈ 1.07 - 0.85 ≈ 0.22 < 0.5
    expect(await consolidate(engine, 's', { threshold: 0.5, dryRun: true })).toMatchObject({ promoted: 0 });
  });

  it('keeps an explicit expiry when it promotes', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'kept', kind: 'k', importance: 0.1, ttl: { seconds: 3600, nanos: 0 } });
    const { memory } = await engine.recall(T, 's', 'kept', false);
    clock.advance(1000);
    expect(await consolidate(engine, 's', { threshold: -5 })).toMatchObject({ promotedIds: ['kept'] });
    expect((await engine.recall(T, 's', 'kept', false)).memory).toMatchObject({ layer: 'LAYER_ETERNAL', expiresAt: memory!.expiresAt });
    clock.advance(3600_000);
    await expect(engine.recall(T, 's', 'kept', false)).rejects.toMatchObject({ code: 5 });
    expect(await engine.maintain()).toBe(1);
    expect((await engine.stats()).memories).toBe(0);
  });

  // A memory deleted because its retention ran out (by Consolidate here, by the sweeper alike) takes its learned
  // weight with it, as Forget does.
  it('deleting an expired memory deletes its weight too, as forgetting it does', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'brief', kind: 'k', ttl: { seconds: 5, nanos: 0 } });
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'brief')], 1, true);
    clock.advance(5000);
    expect(await consolidate(engine, 's', { threshold: 100 })).toMatchObject({ expired: 1 });
    expect(await weights(engine, 's', 'WEIGHT_KIND_MEMORY')).toEqual([]);
  });

  // Through the retention sweeper: a new memory written later under the same client id (expiry leaves no
  // tombstone) does not start with the old memory's feedback.
  it('a memory swept for retention leaves no weight for a new memory of the same id', async () => {
    const { engine, clock } = await engines.open();
    await remember(engine, { subject: 's', id: 'reused', kind: 'k', ttl: { seconds: 5, nanos: 0 } });
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'reused')], -1, true);
    clock.advance(6000);
    expect(await engine.maintain()).toBe(1);
    await remember(engine, { subject: 's', id: 'reused', kind: 'k', content: 'a new memory' });
    expect(await weights(engine, 's', 'WEIGHT_KIND_MEMORY')).toEqual([]);
  });

  it('refuses a bad threshold or layer', async () => {
    const { engine } = await engines.open();
    await expect(consolidate(engine, 's', { threshold: Number.NaN })).rejects.toMatchObject(invalid('promote_threshold'));
    await expect(consolidate(engine, 's', { threshold: 1, promoteFrom: ['LAYER_SENSORY', 'LAYER_ETERNAL'] })).rejects.toMatchObject(invalid('promote_from[1]'));
    await expect(consolidate(engine, 's', { threshold: 1, promoteFrom: ['LAYER_UNSPECIFIED'] })).rejects.toMatchObject(invalid('promote_from[0]'));
    expect(await consolidate(engine, 'empty', { threshold: 1 })).toEqual({ promoted: 0, expired: 0, promotedIds: [] });
  });
});

describe('ThoughtStore dream state and subjects', () => {
  it('round-trips the dream state', async () => {
    const { engine } = await engines.open();
    expect(await engine.thoughts.getDreamState(T, 's')).toEqual({ state: null });
    const state = { lastDreamMs: 1_767_225_600_000, lastIngestedMs: 1_767_225_599_000, memories: 42, supports: { p_a: 3, p_b: 7 }, insightPatterns: ['p_b'] };
    await engine.thoughts.putDreamState(T, 's', state);
    expect((await engine.thoughts.getDreamState(T, 's')).state).toMatchObject(state);
    const next = { ...state, memories: 43, supports: { p_c: 1 }, insightPatterns: [] };
    await engine.thoughts.putDreamState(T, 's', next);
    expect((await engine.thoughts.getDreamState(T, 's')).state).toMatchObject(next);
    expect(await engine.thoughts.getDreamState(T, 'other')).toEqual({ state: null });
    expect(await engine.thoughts.getDreamState('another-tenant', 's')).toEqual({ state: null });
    await expect(engine.thoughts.putDreamState(T, 's', null)).rejects.toMatchObject(invalid('state'));
  });

  it('lists the subjects that hold memories, page by page, in byte order', async () => {
    const { engine } = await engines.open();
    for (const subject of ['dave', 'bob', 'alice', 'bobby', 'carol', 'Zed']) await remember(engine, { subject, id: 'm1', kind: 'k' });
    await remember(engine, { subject: 'eve', id: 'm1', kind: 'k' }, 'another-tenant');
    const all = await engine.thoughts.listSubjects(T, { after: '', limit: 0 });
    expect(all).toEqual({ subjects: ['Zed', 'alice', 'bob', 'bobby', 'carol', 'dave'], nextAfter: '' });

    const pages: string[][] = [];
    let after = '';
    for (let i = 0; i < 10; i++) {
      const page = await engine.thoughts.listSubjects(T, { after, limit: 2 });
      pages.push(page.subjects!);
      after = page.nextAfter!;
      if (after === '') break;
    }
    expect(pages).toEqual([['Zed', 'alice'], ['bob', 'bobby'], ['carol', 'dave']]);
    expect((await engine.thoughts.listSubjects(T, { after: 'bob', limit: 0 })).subjects).toEqual(['bobby', 'carol', 'dave']);
    expect((await engine.thoughts.listSubjects('another-tenant', { after: '', limit: 0 })).subjects).toEqual(['eve']);
    expect((await engine.thoughts.listSubjects('nobody', { after: '', limit: 0 })).subjects).toEqual([]);

    // A subject whose memories are all gone is not listed.
    await engine.forgetSubject(T, 'bob');
    await engine.forget(T, 'carol', 'm1');
    expect((await engine.thoughts.listSubjects(T, { after: '', limit: 0 })).subjects).toEqual(['Zed', 'alice', 'bobby', 'dave']);
  });

  it('forgetting a subject forgets its patterns, weights and dream state, and only its own', async () => {
    const { engine } = await engines.open();
    for (const subject of ['bob', 'bobby']) {
      await remember(engine, { subject, id: 'm1', kind: 'k' });
      await putPatterns(engine, subject, 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_1')]);
      await feedback(engine, subject, [target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_PATTERN', 'p_1'), target('WEIGHT_KIND_ITEM', 'k')], 1);
      await engine.thoughts.putDreamState(T, subject, { lastDreamMs: 1, lastIngestedMs: 1, memories: 1, supports: { p_1: 1 }, insightPatterns: [] });
    }
    expect(await engine.forgetSubject(T, 'bob')).toEqual({ deleted: 1 });
    expect((await listPatterns(engine, 'bob')).patterns).toEqual([]);
    expect(await weights(engine, 'bob')).toEqual([]);
    expect(await engine.thoughts.getDreamState(T, 'bob')).toEqual({ state: null });
    expect((await engine.thoughts.readStream(T, streamRequest({ subject: 'bob' }))).entries).toEqual([]);

    expect((await listPatterns(engine, 'bobby')).patterns!.map((p) => p.id)).toEqual(['p_1']);
    expect(await weights(engine, 'bobby')).toHaveLength(3);
    expect((await engine.thoughts.getDreamState(T, 'bobby')).state).toMatchObject({ memories: 1 });
    expect((await engine.stats()).memories).toBe(1);
  });

  it('forgetting a memory forgets its weight only', async () => {
    const { engine } = await engines.open();
    await remember(engine, { subject: 's', id: 'm1', kind: 'k' });
    await remember(engine, { subject: 's', id: 'm2', kind: 'k' });
    await putPatterns(engine, 's', 'INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [pattern('p_1')]);
    await feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'm1'), target('WEIGHT_KIND_MEMORY', 'm2'), target('WEIGHT_KIND_PATTERN', 'p_1'), target('WEIGHT_KIND_ITEM', 'm1')], 1);
    expect(await engine.forget(T, 's', 'm1')).toEqual({ existed: true });
    expect((await weights(engine, 's')).map((w) => `${w.kind}:${w.id}`)).toEqual(['WEIGHT_KIND_MEMORY:m2', 'WEIGHT_KIND_PATTERN:p_1', 'WEIGHT_KIND_ITEM:m1']);
    await expect(feedback(engine, 's', [target('WEIGHT_KIND_MEMORY', 'm1')], 1, true)).rejects.toMatchObject({ code: 5 });
    expect((await listPatterns(engine, 's')).patterns).toHaveLength(1);
  });
});
