import { afterEach, describe, expect, it } from 'vitest';
import { prng } from '@engram/cognition/testing';
import type { QueryRequest__Output } from '@engram/protocol';
import type { MemoryEngine } from './engine.js';
import { input, query, testEngines } from './test-engine.js';

// Accesses are written back when the test says (flushAccesses), the same in every engine, never by the timer.
const engines = testEngines({ ENGRAM_DEDUP_WINDOW: '0', ENGRAM_REINFORCE_FLUSH_INTERVAL: '60s' });
afterEach(engines.closeAll);

const WORDS = 'heron lake shore river stone cloud apple window garden music'.split(' ');

/** Writes the accesses collected so far (the engine's timer would, some time later). */
const flushAccesses = (engine: MemoryEngine) => (engine as unknown as { reinforcement: { flush(): Promise<void> } }).reinforcement.flush();

/** Up to three pages of a query, as JSON. */
async function pages(engine: MemoryEngine, req: QueryRequest__Output): Promise<string> {
  const out: unknown[] = [];
  let pageToken = '';
  for (let page = 0; page < 3; page++) {
    const res = await engine.query('t', { ...req, pageToken });
    out.push(res.results, res.nextPageToken);
    pageToken = res.nextPageToken ?? '';
    if (pageToken === '') break;
  }
  return JSON.stringify(out);
}

describe('subject queries read from the scoring columns', () => {
  it('answer as reading every record does, through writes, deletions, accesses, expiry and cache evictions', async () => {
    // No record cache (every candidate read as a record), a small one (evictions, candidates partly cached), the
    // default (everything cached, posting lists kept).
    const all = [await engines.open({ ENGRAM_CACHE_MAX_BYTES: '0' }), await engines.open({ ENGRAM_CACHE_MAX_BYTES: '24kb' }), await engines.open()];
    const random = prng(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
    const live: string[] = [];
    const subjectOf = new Map<string, string>();
    let next = 0;
    let compared = 0;
    for (let step = 0; step < 400; step++) {
      const op = random();
      if (op < 0.4 || live.length < 5) {
        const id = `m${next++}`;
        subjectOf.set(id, pick(['s', 's', 'other']));
        const memory = input({
          subject: subjectOf.get(id)!,
          id,
          content: words(2 + Math.floor(random() * 5)),
          kind: pick(['note', 'chat']),
          tags: random() < 0.3 ? ['x'] : [],
          ttl: random() < 0.1 ? { seconds: 1 + Math.floor(random() * 3), nanos: 0 } : null,
        });
        for (const { engine } of all) await engine.remember('t', memory);
        live.push(id);
      } else if (op < 0.5) {
        const id = live.splice(Math.floor(random() * live.length), 1)[0]!;
        for (const { engine } of all) await engine.forget('t', subjectOf.get(id)!, id);
      } else if (op < 0.6) {
        const id = pick(live);
        // An expired memory is not found.
        for (const { engine } of all) await engine.recall('t', subjectOf.get(id)!, id, true).catch(() => undefined);
        if (random() < 0.5) for (const { engine } of all) await flushAccesses(engine);
      } else if (op < 0.7) {
        const ms = Math.floor(random() * 1500);
        for (const { clock } of all) clock.advance(ms);
      } else {
        const req = query({
          subject: 's',
          text: words(1 + Math.floor(random() * 3)),
          limit: 1 + Math.floor(random() * 4),
          skipReinforce: random() < 0.7,
          ...(random() < 0.2 ? { kinds: ['note'] } : {}),
          ...(random() < 0.2 ? { tags: ['x'] } : {}),
        });
        const [expected, ...others] = await Promise.all(all.map(({ engine }) => pages(engine, req)));
        for (const got of others) expect(got).toBe(expected);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('sees a new memory that the cache cannot hold (no row) once a term\'s postings were kept as rows', async () => {
    const { engine } = await engines.open({ ENGRAM_CACHE_MAX_BYTES: '64kb', ENGRAM_STORAGE_PAYLOAD_DEFLATE_THRESHOLD: '10mb' });
    for (let i = 0; i < 3; i++) await engine.remember('t', input({ subject: 's', id: `m${i}`, content: `heron ${i}` }));
    const ids = async () => (await engine.query('t', query({ subject: 's', text: 'heron', skipReinforce: true }))).results!.map((r) => r.memory!.id!).sort();
    expect(await ids()).toEqual(['m0', 'm1', 'm2']);
    expect(await ids()).toEqual(['m0', 'm1', 'm2']);
    // Larger than the whole cache: its record is not cached, and no memory joins the subject's columns.
    await engine.remember('t', input({ subject: 's', id: 'big', content: 'heron big', payload: Buffer.alloc(100_000, 1) }));
    expect(await ids()).toEqual(['big', 'm0', 'm1', 'm2']);
  });

  it('never returns a memory twice or a forgotten one while the cache churns under concurrent queries', async () => {
    const { engine } = await engines.open({ ENGRAM_CACHE_MAX_BYTES: '16kb' });
    const random = prng(3);
    const content = () => Array.from({ length: 3 }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' ');
    for (let i = 0; i < 60; i++) await engine.remember('t', input({ subject: 's', id: `m${i}`, content: content() }));
    const forgotten = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const queries = Array.from({ length: 6 }, () => engine.query('t', query({ subject: 's', text: content(), limit: 50, skipReinforce: true })));
      const writes: Promise<unknown>[] = [engine.remember('t', input({ subject: 's', id: `n${round}`, content: content() })), engine.recall('t', 's', `m${round * 2 + 1}`, false)];
      // Forgotten before this round's queries began: never seen.
      const before = new Set(forgotten);
      if (round % 3 === 0) {
        forgotten.add(`m${round * 2}`);
        writes.push(engine.forget('t', 's', `m${round * 2}`));
      }
      for (const res of await Promise.all(queries)) {
        const ids = res.results!.map((r) => r.memory!.id!);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.filter((id) => before.has(id))).toEqual([]);
      }
      await Promise.all(writes);
    }
  });
});
