import { afterEach, describe, expect, it } from 'vitest';
import { input, openTestEngine, query, testEngines } from './test-engine.js';

const engines = testEngines();
const opened = engines.opened;
const open = engines.open;
afterEach(engines.closeAll);

describe('MemoryEngine', () => {
  it('remembers and recalls, deriving affect, importance and keywords', async () => {
    const { engine } = await open();
    const res = await engine.remember('t', input({ subject: 'alice', content: 'Alice is allergic to peanuts and hates the smell of them!' }));
    expect(res.deduplicated).toBe(false);
    expect(res.id).toMatch(/^[0-9A-Z]{26}$/);
    const { memory } = await engine.recall('t', 'alice', res.id!, false);
    expect(memory?.content).toContain('peanuts');
    expect(memory?.valence).toBeLessThan(0);
    expect(memory?.importance).toBeGreaterThan(0.4);
    expect(memory?.keywords).toContain('alice');
    expect(memory?.layer).toMatch(/^LAYER_/);
  });

  it('recalls a batch with one read, each item answered or refused as its Recall would be', async () => {
    const { engine } = await open();
    const a = await engine.remember('t', input({ subject: 'alice', content: 'likes green tea in the morning' }));
    const b = await engine.remember('t', input({ subject: 'bob', content: 'plays chess on sundays' }));
    const items = [
      { subject: 'alice', id: a.id!, reinforce: false },
      { subject: 'bob', id: 'no-such-id', reinforce: false },
      { subject: '', id: a.id!, reinforce: false },
      { subject: 'bob', id: b.id!, reinforce: true },
    ];
    const answers = await engine.recallMany('t', items);
    const singles = await Promise.all(items.map((r) => engine.recall('t', r.subject, r.id, false).catch((e: unknown) => e)));
    expect(answers).toHaveLength(4);
    expect((answers[0] as { memory: { content: string } }).memory.content).toContain('green tea');
    expect(answers[1]).toMatchObject({ code: 5, message: (singles[1] as Error).message });
    expect(answers[2]).toMatchObject({ code: 3, message: (singles[2] as Error).message });
    // The batch's reinforcing Recall counted its access, as a single one does.
    expect((answers[3] as { memory: { accessCount: number } }).memory.accessCount).toBe(1);
    expect((singles[3] as { memory: { accessCount: number } }).memory.accessCount).toBe(1);
  });

  it('reinforces a duplicate within the window instead of adding it', async () => {
    const { engine, clock } = await open();
    const a = await engine.remember('t', input({ subject: 's', kind: 'msg', content: 'Hello   there' }));
    clock.advance(1000);
    const b = await engine.remember('t', input({ subject: 's', kind: 'msg', content: 'hello there' }));
    expect(b.deduplicated).toBe(true);
    expect(b.id).toBe(a.id);
    const stats = await engine.stats();
    expect(stats.memories).toBe(1);
    const { memory } = await engine.recall('t', 's', a.id!, false);
    expect(memory?.accessCount).toBe(1);
    clock.advance(11 * 60_000);
    const c = await engine.remember('t', input({ subject: 's', kind: 'msg', content: 'hello there' }));
    expect(c.deduplicated).toBe(false);
  });

  it('treats a client id as an idempotency key', async () => {
    const { engine } = await open();
    const a = await engine.remember('t', input({ subject: 's', id: 'evt-1', content: 'one' }));
    const again = await engine.remember('t', input({ subject: 's', id: 'evt-1', content: 'one' }));
    expect(again.id).toBe('evt-1');
    expect(again.version).toEqual(a.version);
    await expect(engine.remember('t', input({ subject: 's', id: 'evt-1', content: 'two' }))).rejects.toMatchObject({ code: 6 });
    expect((await engine.stats()).memories).toBe(1);
  });

  it('ranks by recency, importance and relevance', async () => {
    const { engine, clock } = await open({ ENGRAM_DEDUP_WINDOW: '0' });
    const old = await engine.remember('t', input({ subject: 's', content: 'coffee with Bob', importance: 0.2, layer: 'LAYER_LOGIC' }));
    clock.advance(48 * 3600_000);
    const important = await engine.remember('t', input({ subject: 's', content: 'coffee allergy discovered', importance: 0.9, layer: 'LAYER_LOGIC' }));
    clock.advance(3600_000);
    const recent = await engine.remember('t', input({ subject: 's', content: 'tea time', importance: 0.1, layer: 'LAYER_LOGIC' }));
    const byImportance = await engine.query(
      't',
      query({ subject: 's', weights: { importance: 1, recency: 0, relevance: 0, activation: 0 }, skipReinforce: true }),
    );
    expect(byImportance.results!.map((r) => r.memory?.id)).toEqual([important.id, old.id, recent.id]);
    const byRecency = await engine.query(
      't',
      query({ subject: 's', weights: { importance: 0, recency: 1, relevance: 0, activation: 0 }, skipReinforce: true }),
    );
    expect(byRecency.results!.map((r) => r.memory?.id)).toEqual([recent.id, important.id, old.id]);
    const text = await engine.query('t', query({ subject: 's', text: 'coffee', skipReinforce: true }));
    expect(text.results!.map((r) => r.memory?.id).sort()).toEqual([old.id, important.id].sort());
  });

  it('pages through results without repeats or gaps', async () => {
    const { engine, clock } = await open({ ENGRAM_DEDUP_WINDOW: '0' });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      clock.advance(1000);
      ids.push((await engine.remember('t', input({ subject: 's', content: `event number ${i}`, importance: (i % 5) / 5 }))).id!);
    }
    const seen: string[] = [];
    let token = '';
    for (let page = 0; page < 10; page++) {
      const res = await engine.query('t', query({ subject: 's', limit: 7, pageToken: token }));
      seen.push(...res.results!.map((r) => r.memory!.id!));
      token = res.nextPageToken!;
      if (!token) break;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('forgets a memory everywhere, and a retried write of it is refused', async () => {
    const { engine } = await open();
    const a = await engine.remember('t', input({ subject: 's', id: 'x1', content: 'secret plan about zebras' }));
    expect((await engine.forget('t', 's', a.id!)).existed).toBe(true);
    await expect(engine.recall('t', 's', 'x1', false)).rejects.toMatchObject({ code: 5 });
    expect((await engine.query('t', query({ subject: 's', text: 'zebras' }))).results).toHaveLength(0);
    await expect(engine.remember('t', input({ subject: 's', id: 'x1', content: 'secret plan about zebras' }))).rejects.toMatchObject({
      code: 9,
    });
    expect((await engine.stats()).memories).toBe(0);
  });

  it('expires memories by layer retention under a manual clock', async () => {
    const { engine, clock } = await open();
    const sensory = await engine.remember('t', input({ subject: 's', content: 'a passing car', layer: 'LAYER_SENSORY' }));
    const logic = await engine.remember('t', input({ subject: 's', content: 'the sky is blue', layer: 'LAYER_LOGIC' }));
    clock.advance(25 * 3600_000);
    await expect(engine.recall('t', 's', sensory.id!, false)).rejects.toMatchObject({ code: 5 });
    expect(await engine.maintain()).toBe(1);
    const stats = await engine.stats();
    expect(stats.memories).toBe(1);
    expect(stats.expiredTotal).toBe(1);
    await engine.recall('t', 's', logic.id!, false);
  });

  it('writes a batch with per-item results', async () => {
    const { engine } = await open();
    const res = await engine.rememberBatch(
      't',
      [input({ subject: 'a', content: 'one' }), input({ subject: '', content: 'bad' }), input({ subject: 'b', content: 'three' })],
      () => ({ code: 2, message: 'bug' }),
    );
    expect(res.succeeded).toBe(2);
    expect(res.failed).toBe(1);
    expect(res.results?.[1]?.error?.message).toMatch(/^memories\[1\]\.subject/);
    const stats = await engine.stats();
    expect(stats.subjects).toBe(2);
  });

  it('keeps everything across a restart', async () => {
    const first = await open();
    const a = await first.engine.remember('t', input({ subject: 's', content: 'durable fact' }));
    await first.engine.close();
    const second = await openTestEngine({}, first.dir);
    opened.push(second);
    const { memory } = await second.engine.recall('t', 's', a.id!, false);
    expect(memory?.content).toBe('durable fact');
    expect((await second.engine.stats()).memories).toBe(1);
  });
});

describe('MemoryEngine details', () => {
  it('stores a memory with a client id under that id even when its content repeats a recent one', async () => {
    const { engine } = await open();
    const a = await engine.remember('t', input({ subject: 's', content: 'same words' }));
    const b = await engine.remember('t', input({ subject: 's', content: 'same words', id: 'mine-1' }));
    expect(b).toMatchObject({ id: 'mine-1', deduplicated: false });
    expect(a.id).not.toBe('mine-1');
    expect((await engine.recall('t', 's', 'mine-1', false)).memory?.content).toBe('same words');
  });

  it('answers a reinforcing recall with the access counted', async () => {
    const { engine } = await open();
    const a = await engine.remember('t', input({ subject: 's', content: 'count me' }));
    expect((await engine.recall('t', 's', a.id!, true)).memory?.accessCount).toBe(1);
    const second = (await engine.recall('t', 's', a.id!, true)).memory!;
    expect(second.accessCount).toBe(2);
    expect(second.lastAccessedAt).not.toBeNull();
    expect((await engine.recall('t', 's', a.id!, false)).memory?.accessCount).toBe(2);
  });
});

describe('MemoryEngine retention and access', () => {
  it('does not expire a memory accessed shortly before its expiry, even before the access is written back', async () => {
    const { engine, clock } = await open();
    const a = await engine.remember('t', input({ subject: 's', content: 'nearly forgotten' }));
    clock.advance(23 * 3600_000);
    await engine.recall('t', 's', a.id!, true);
    clock.advance(2 * 3600_000);
    expect(await engine.maintain()).toBe(0);
    expect((await engine.recall('t', 's', a.id!, false)).memory?.accessCount).toBe(1);
  });
});
