import { afterEach, describe, expect, it } from 'vitest';
import { messageType } from '@engram/protocol';
import { memoryKey, recordCodec, type StoredMemory } from '@engram/storage';
import type { MemoryEngine } from './engine.js';
import { input, openTestEngine, testEngines } from './test-engine.js';
import { pooledRandom } from './writes.js';

const engines = testEngines();
afterEach(engines.closeAll);

/** What the engine caches for a memory once its write has committed (the record the write path built). */
function cached(engine: MemoryEngine, key: string): StoredMemory | undefined {
  const value = engine['ctx'].records.cache.get(key);
  return value === undefined || typeof value !== 'object' ? undefined : (value as StoredMemory);
}

describe('MemoryWriter: the record of a new memory', () => {
  it('is, field for field, what decoding its stored bytes gives', async () => {
    const { engine } = await engines.open();
    const memories = [
      input({ subject: 's', content: 'Plain words about tea' }),
      input({
        subject: 's',
        kind: 'note',
        content: 'Everything set: café, 東京, numbers 12 and 0.1!',
        tags: ['a', 'b'],
        attributes: { source: 'test', lang: 'en' },
        payload: Buffer.from('some payload bytes'),
        embedding: [0.1, -0.2, 1 / 3],
        importance: 0.123456789,
        valence: -0.3,
        arousal: 0.7,
        ttl: { seconds: 3600, nanos: 0 },
        evidenceIds: ['e-1'],
        layer: 'LAYER_LOGIC',
      }),
      input({ subject: 's', id: 'client-1', content: 'A client id, no expiry', layer: 'LAYER_ETERNAL' }),
    ];
    const fields = messageType('engram.storage.v1.MemoryRecord').fieldsArray.map((f) => f.name);
    for (const m of memories) {
      const res = await engine.remember('t', m);
      const key = memoryKey('t', 's', res.id!);
      const record = cached(engine, key);
      expect(record, 'the committed write publishes its record').toBeDefined();
      const decoded = recordCodec.decode((await engine['ctx'].store.db.get(key))!);
      for (const field of fields) expect(record![field as keyof StoredMemory], field).toEqual(decoded[field as keyof StoredMemory]);
      expect(Buffer.isBuffer(record!.payload)).toBe(true);
      // The response is taken from the same record: floats as stored (32-bit).
      expect(res.importance).toBe(decoded.importance);
      expect(res.valence).toBe(decoded.valence);
    }
  });

  it('shares nothing with the request, which the caller may reuse', async () => {
    const { engine } = await engines.open();
    const request = input({ subject: 's', content: 'Reused request', tags: ['a'], attributes: { k: 'v' }, payload: Buffer.from('abc'), evidenceIds: ['e-1'] });
    const res = await engine.remember('t', request);
    request.tags.push('b');
    request.attributes.k = 'changed';
    request.payload.fill(0);
    request.evidenceIds.push('e-2');
    const { memory } = await engine.recall('t', 's', res.id!, false);
    expect(memory).toMatchObject({ tags: ['a'], attributes: { k: 'v' }, evidenceIds: ['e-1'] });
    expect(Buffer.from(memory!.payload as Uint8Array).toString()).toBe('abc');
  });

  it('answers a recall the same before and after a restart', async () => {
    const first = await openTestEngine();
    const res = await first.engine.remember('t', input({ subject: 's', content: 'Odd floats', importance: 0.1, valence: 0.3, arousal: 0.9, embedding: [0.7, 0.2] }));
    const before = await first.engine.recall('t', 's', res.id!, false);
    await first.engine.close();
    const second = await openTestEngine({}, first.dir);
    engines.opened.push(second);
    expect(await second.engine.recall('t', 's', res.id!, false)).toEqual(before);
  });
});

describe('MemoryWriter: duplicate detection across a restart', () => {
  it('finds a duplicate written before the restart, at once and after the hash entries are loaded', async () => {
    const first = await openTestEngine();
    const a = await first.engine.remember('t', input({ subject: 's', content: 'Said before the restart' }));
    await first.engine.close();
    const second = await openTestEngine({}, first.dir);
    engines.opened.push(second);
    const right = await second.engine.remember('t', input({ subject: 's', content: 'said before the restart' }));
    expect(right).toMatchObject({ id: a.id, deduplicated: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = await second.engine.remember('t', input({ subject: 's', content: 'SAID before the restart' }));
    expect(later).toMatchObject({ id: a.id, deduplicated: true });
    expect((await second.engine.stats()).memories).toBe(1);
  });

  it('finds a duplicate whose entry a clock ahead of this one wrote', async () => {
    const first = await openTestEngine();
    first.clock.advance(5 * 60_000);
    const a = await first.engine.remember('t', input({ subject: 's', content: 'From the future' }));
    await first.engine.close();
    // The new process's clock starts 5 minutes behind the entry; it is within the window all along.
    const second = await openTestEngine({}, first.dir);
    engines.opened.push(second);
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.clock.advance(11 * 60_000);
    expect(await second.engine.remember('t', input({ subject: 's', content: 'from the future' }))).toMatchObject({ id: a.id, deduplicated: true });
  });

  it('adds a memory whose content was not seen within the window', async () => {
    const { engine, clock } = await engines.open();
    const a = await engine.remember('t', input({ subject: 's', content: 'Once' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await engine.remember('t', input({ subject: 's', content: 'once' }))).toMatchObject({ id: a.id, deduplicated: true });
    clock.advance(11 * 60_000);
    const b = await engine.remember('t', input({ subject: 's', content: 'once' }));
    expect(b.deduplicated).toBe(false);
    expect(b.id).not.toBe(a.id);
  });
});

describe('pooledRandom', () => {
  it('gives bytes / 256 across pool refills, about uniformly', () => {
    const random = pooledRandom(64);
    const buckets = new Array<number>(32).fill(0);
    const n = 32 * 1000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = random();
      if (!(x >= 0 && x < 1 && Number.isInteger(x * 256))) outOfRange += 1;
      buckets[Math.floor(x * 32)]! += 1;
    }
    expect(outOfRange).toBe(0);
    // Each of ulid's 32 characters is drawn about equally often (expected 1000 each).
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(200);
  });

  it('feeds ulid: new memories get distinct, increasing ids', async () => {
    const { engine } = await engines.open();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await engine.remember('t', input({ subject: 's', content: `memory ${i}` }))).id!);
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('RememberBatch with client ids', () => {
  it('commits one subject\'s items together (their ids checked with one read), and still refuses what it must', async () => {
    const { engine } = await engines.open();
    const writer = (engine as unknown as { ctx: { store: { writer: { totals: { batches: number } } } } }).ctx.store.writer;
    const forgotten = await engine.remember('t', input({ subject: 's', id: 'gone', content: 'to be forgotten' }));
    await engine.forget('t', 's', forgotten.id!);
    await engine.remember('t', input({ subject: 's', id: 'taken', content: 'the first' }));
    const before = writer.totals.batches;
    const items = [
      ...Array.from({ length: 300 }, (_, i) => input({ subject: 's', id: `n-${i}`, content: `note ${i}` })),
      input({ subject: 's', id: 'taken', content: 'the first' }), // the same memory again: answered, not written
      input({ subject: 's', id: 'taken', content: 'another' }), // a different memory under a taken id
      input({ subject: 's', id: 'gone', content: 'back again' }), // a forgotten id
    ];
    const res = await engine.rememberBatch('t', items, () => ({ code: 2, message: 'bug' }));
    expect(res.succeeded).toBe(301);
    expect(res.results!.slice(301).map((r) => r.error?.code)).toEqual([6, 9]); // ALREADY_EXISTS, FAILED_PRECONDITION
    expect(writer.totals.batches - before).toBe(1);
    expect((await engine.recall('t', 's', 'n-299', false)).memory?.content).toBe('note 299');
  });
});
