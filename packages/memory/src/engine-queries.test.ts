import { afterEach, describe, expect, it } from 'vitest';
import type { QueryRequest__Output } from '@engram/protocol';
import { input, openTestEngine, query as testQuery, testEngines } from './test-engine.js';

const engines = testEngines({ ENGRAM_DEDUP_WINDOW: '0' });
const opened = engines.opened;
const open = engines.open;
afterEach(engines.closeAll);
const query = (p: Partial<QueryRequest__Output>) => testQuery({ skipReinforce: true, ...p });

const ids = (res: { results?: { memory?: { id?: string } | null }[] }) => (res.results ?? []).map((r) => r.memory?.id);

describe('MemoryEngine queries', () => {
  it('keeps tenants apart', async () => {
    const { engine } = await open();
    const a = await engine.remember('tenant-a', input({ subject: 's', content: 'shared words here' }));
    await engine.remember('tenant-b', input({ subject: 's', content: 'shared words here' }));
    expect(ids(await engine.query('tenant-a', query({ subject: 's', text: 'shared' })))).toEqual([a.id]);
    await expect(engine.recall('tenant-b', 's', a.id!, false)).rejects.toMatchObject({ code: 5 });
    const stats = await engine.stats();
    expect(stats).toMatchObject({ memories: 2, subjects: 2, tenants: 2 });
  });

  it('filters by layer, kind, tags, attributes and time range', async () => {
    const { engine } = await open();
    const day = 86_400_000;
    const base = Date.UTC(2025, 11, 1);
    const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: 0 });
    const a = await engine.remember('t', input({ subject: 's', content: 'alpha', kind: 'note', tags: ['x', 'y'], attributes: { room: 'kitchen' }, layer: 'LAYER_LOGIC', occurredAt: ts(base) }));
    const b = await engine.remember('t', input({ subject: 's', content: 'beta', kind: 'chat', tags: ['x'], layer: 'LAYER_LOGIC', occurredAt: ts(base + day) }));
    const c = await engine.remember('t', input({ subject: 's', content: 'gamma', kind: 'note', tags: ['y'], layer: 'LAYER_ETERNAL', occurredAt: ts(base + 2 * day) }));
    const sorted = async (q: Partial<QueryRequest__Output>) => ids(await engine.query('t', query({ subject: 's', ...q }))).sort();
    expect(await sorted({ layers: ['LAYER_ETERNAL'] })).toEqual([c.id]);
    expect(await sorted({ kinds: ['note'] })).toEqual([a.id, c.id].sort());
    expect(await sorted({ tags: ['x', 'y'] })).toEqual([a.id]);
    expect(await sorted({ attributes: { room: 'kitchen' } })).toEqual([a.id]);
    expect(await sorted({ occurred: { start: ts(base + day), end: ts(base + 2 * day) } })).toEqual([b.id]);
    expect(await sorted({ occurred: { start: ts(base + day), end: null } })).toEqual([b.id, c.id].sort());
  });

  it('ranks by cosine similarity for an embedding cue, over memories of the same dimension', async () => {
    const { engine } = await open();
    const near = await engine.remember('t', input({ subject: 's', content: 'near', embedding: [1, 0.1, 0] }));
    const far = await engine.remember('t', input({ subject: 's', content: 'far', embedding: [0, 0, 1] }));
    await engine.remember('t', input({ subject: 's', content: 'other dimension', embedding: [1, 0] }));
    await engine.remember('t', input({ subject: 's', content: 'no embedding' }));
    const res = await engine.query('t', query({ subject: 's', embedding: [1, 0, 0], weights: { relevance: 1, recency: 0, importance: 0, activation: 0 } }));
    expect(ids(res)).toEqual([near.id, far.id]);
    expect(res.results![0]!.components!.relevance).toBe(1);
  });

  it('answers RESOURCE_EXHAUSTED when a query would score more memories than allowed', async () => {
    const { engine } = await open({ ENGRAM_LIMIT_QUERY_CANDIDATES: '5' });
    for (let i = 0; i < 6; i++) await engine.remember('t', input({ subject: 's', content: `item ${i}` }));
    await expect(engine.query('t', query({ subject: 's' }))).rejects.toMatchObject({ code: 8 });
    expect(ids(await engine.query('t', query({ subject: 's', text: '3' })))).toHaveLength(1);
  });

  it('counts accesses from reads and moves expiry out when they are written back', async () => {
    const { engine, clock } = await open();
    const a = await engine.remember('t', input({ subject: 's', content: 'remember me' }));
    const before = (await engine.recall('t', 's', a.id!, false)).memory!;
    clock.advance(20 * 3600_000);
    await engine.recall('t', 's', a.id!, true);
    await engine.query('t', query({ subject: 's', skipReinforce: false }));
    await engine.close();
    const reopened = await openTestEngine({}, opened[0]!.dir);
    opened.push(reopened);
    const after = (await reopened.engine.recall('t', 's', a.id!, false)).memory!;
    expect(after.accessCount).toBe(2);
    expect(Number(after.expiresAt!.seconds)).toBeGreaterThan(Number(before.expiresAt!.seconds) + 19 * 3600);
    expect(after.activation).toBeGreaterThan(-10);
  });

  it('stores large payloads deflated and returns them intact', async () => {
    const { engine } = await open();
    const payload = Buffer.from('abc'.repeat(5000));
    const a = await engine.remember('t', input({ subject: 's', content: 'with payload', payload }));
    const { memory } = await engine.recall('t', 's', a.id!, false);
    expect(Buffer.compare(memory!.payload as Buffer, payload)).toBe(0);
  });

  it('runs a tenant-wide query in phases with the same result as a subject-less single pass', async () => {
    const { engine } = await open();
    for (let i = 0; i < 12; i++) await engine.remember('t', input({ subject: `s${i % 4}`, content: `river stone ${i % 3 === 0 ? 'river' : 'hill'}`, importance: i / 12 }));
    const q = query({ text: 'river' });
    const terms = await engine.scatter('t', { query: q, phase: 'SCATTER_PHASE_TERMS', queryId: 'q1', asOfMs: Date.UTC(2026, 0, 1), globalTerms: null, globalRanges: null, after: null, limit: 0 });
    expect(Number(terms.terms!.documents)).toBe(12);
    expect(Number((terms.terms!.documentFrequency as Record<string, number>).river)).toBe(12);
    const ranges = await engine.scatter('t', { query: q, phase: 'SCATTER_PHASE_RANGES', queryId: 'q1', asOfMs: Date.UTC(2026, 0, 1), globalTerms: terms.terms as never, globalRanges: null, after: null, limit: 0 });
    const top = await engine.scatter('t', { query: q, phase: 'SCATTER_PHASE_TOP', queryId: 'q1', asOfMs: Date.UTC(2026, 0, 1), globalTerms: terms.terms as never, globalRanges: ranges.ranges as never, after: null, limit: 5 });
    expect(top.results).toHaveLength(6);
    const scores = top.results!.map((r) => Number(r.score));
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('keeps counters exact through writes, forgets and expiry', async () => {
    const { engine, clock } = await open();
    for (let i = 0; i < 10; i++) await engine.remember('t', input({ subject: `s${i % 3}`, content: `c ${i}`, layer: i % 2 ? 'LAYER_LOGIC' : 'LAYER_SENSORY' }));
    await engine.forgetSubject('t', 's0');
    clock.advance(25 * 3600_000);
    await engine.maintain();
    const stats = await engine.stats();
    const remaining = [1, 2, 4, 5, 7, 8].filter((i) => i % 2 === 1).length;
    expect(stats.memories).toBe(remaining);
    expect(stats.layers).toEqual([{ layer: 'LAYER_LOGIC', memories: remaining }]);
    expect(stats.subjects).toBe(2);
  });
});
