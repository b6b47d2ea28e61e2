import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '@engram/storage';
import { CounterBook, type WriteMeta } from './counters.js';

const dirs: string[] = [];
const stores: Store<WriteMeta>[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function book(maxSubjects = 100) {
  const dir = mkdtempSync(join(tmpdir(), 'engram-counters-'));
  dirs.push(dir);
  const counters = new CounterBook(maxSubjects);
  const store = await Store.open<WriteMeta>(
    dir,
    { keyEncoding: 'utf8', valueEncoding: 'view' },
    { maxWrites: 100, maxBytes: 1 << 20, maxDelayMs: 0, maxPending: 1000, sync: false },
    counters,
  );
  stores.push(store);
  await counters.attach(store);
  return { counters, store };
}

const add = (subject: string, layer = 1, length = 3) => ({ tenant: 't', subject, memories: 1, length, layers: [[layer, 1]] as [number, number][] });

describe('CounterBook', () => {
  it('applies deltas when a batch forms and keeps subject and tenant totals', async () => {
    const { counters, store } = await book();
    await Promise.all(
      ['a', 'a', 'b'].map((s) => store.write({ ops: [], priority: 1, meta: { deltas: [add(s)], holds: [counters.hold('t', s)] } })),
    );
    expect(counters.subject('t', 'a')).toEqual({ memories: 2, totalLength: 6 });
    expect(counters.tenant('t')).toMatchObject({ memories: 3, subjects: 2, totalLength: 9 });
    expect(counters.tenant('t').layers.get(1)).toBe(3);
  });

  it('takes the counters key of a delta from its hold, and undoes such a delta too', async () => {
    const { counters, store } = await book();
    const hold = counters.hold('t', 'a');
    await store.write({ ops: [], priority: 1, meta: { deltas: [{ ...add('a'), key: hold.key }], holds: [hold] } });
    expect(counters.subject('t', 'a')).toEqual({ memories: 1, totalLength: 3 });
    const again = counters.hold('t', 'a');
    const meta: WriteMeta = { deltas: [{ ...add('a'), key: again.key }], holds: [again] };
    counters.contribute([meta]);
    counters.settled([meta], false);
    expect(counters.subject('t', 'a')).toEqual({ memories: 1, totalLength: 3 });
    expect(counters.tenant('t')).toMatchObject({ memories: 1, subjects: 1 });
  });

  it('undoes the deltas of a failed batch and releases its holds', async () => {
    const { counters } = await book();
    const meta: WriteMeta = { deltas: [add('a')], holds: [counters.hold('t', 'a')] };
    counters.contribute([meta]);
    expect(counters.tenant('t').memories).toBe(1);
    counters.settled([meta], false);
    expect(counters.tenant('t')).toMatchObject({ memories: 0, subjects: 0 });
    expect(counters.subject('t', 'a').memories).toBe(0);
  });

  it('refuses deltas of subjects nobody holds without changing anything', async () => {
    const { counters } = await book();
    const held: WriteMeta = { deltas: [add('a')], holds: [counters.hold('t', 'a')] };
    const unheld: WriteMeta = { deltas: [add('never-held')], holds: [] };
    expect(() => counters.contribute([held, unheld])).toThrow(/not held/);
    counters.settled([held, unheld], false);
    expect(counters.tenant('t').memories).toBe(0);
  });

  it('reads stored counters back after a restart', async () => {
    const first = await book();
    await first.store.write({ ops: [], priority: 1, meta: { deltas: [add('a'), add('b')], holds: [first.counters.hold('t', 'a'), first.counters.hold('t', 'b')] } });
    const dir = dirs[0]!;
    await first.store.close();
    stores.splice(0);
    const counters = new CounterBook();
    const store = await Store.open<WriteMeta>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }, { maxWrites: 10, maxBytes: 1 << 20, maxDelayMs: 0, maxPending: 10, sync: false }, counters);
    stores.push(store);
    await counters.attach(store);
    expect(counters.tenant('t')).toMatchObject({ memories: 2, subjects: 2 });
    expect(counters.subject('t', 'b')).toEqual({ memories: 1, totalLength: 3 });
  });

  it('evicts idle subjects beyond its size but never held ones', async () => {
    const { counters, store } = await book(10);
    const pinned = counters.hold('t', 'pinned');
    for (let i = 0; i < 30; i++) {
      await store.write({ ops: [], priority: 1, meta: { deltas: [add(`s${i}`)], holds: [counters.hold('t', `s${i}`)] } });
    }
    const meta: WriteMeta = { deltas: [add('pinned')], holds: [pinned] };
    expect(() => counters.contribute([meta])).not.toThrow();
    counters.settled([meta], true);
    expect(counters.subject('t', 's0')).toEqual({ memories: 1, totalLength: 3 });
  });
});
