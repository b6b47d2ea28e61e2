import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashEntryCodec, hashKey, Store } from '@engram/storage';
import { RecentHashes } from './recent-hashes.js';

const WINDOW = 600_000;
const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-recent-hashes-'));
  dirs.push(dir);
  const store = await Store.open(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }, { maxWrites: 512, maxBytes: 1 << 20, maxDelayMs: 0, maxPending: 10_000, sync: false });
  stores.push(store);
  return store;
}

/** A filter over an empty store, loaded (so that it answers), on a clock the test moves. */
async function loaded(startMs = 1_000_000_000) {
  const clock = { ms: startMs };
  const recent = new RecentHashes(WINDOW, () => clock.ms);
  await recent.load(await openStore());
  return { recent, clock };
}

const key = (i: number) => hashKey('t', `s${i % 7}`, `hash-${i}`);

describe('RecentHashes', () => {
  it('answers "maybe" for every key until it has loaded the store', () => {
    const recent = new RecentHashes(WINDOW, () => 1_000_000_000);
    expect(recent.mayHave(key(1), 1_000_000_000 - WINDOW)).toBe(true);
  });

  it('after loading, knows the keys it noted and rules out the others', async () => {
    const { recent, clock } = await loaded();
    recent.note(key(1), clock.ms);
    expect(recent.mayHave(key(1), clock.ms - WINDOW)).toBe(true);
    let falsePositives = 0;
    for (let i = 2; i < 1002; i++) if (recent.mayHave(key(i), clock.ms - WINDOW)) falsePositives += 1;
    expect(falsePositives).toBeLessThan(20);
  });

  it('loads the entries of the store that are within the window, and only those', async () => {
    const store = await openStore();
    const now = 2_000_000_000;
    const entry = (ingestedAtMs: number) => hashEntryCodec.encode({ id: 'm', ingestedAtMs });
    await store.write({
      ops: [
        { type: 'put', key: key(1), value: entry(now - 1000) },
        { type: 'put', key: key(2), value: entry(now - WINDOW - 1) },
        // Written by a clock that was ahead: still within the window (and must stay known).
        { type: 'put', key: key(3), value: entry(now + 60_000) },
      ],
      priority: 1,
    });
    const recent = new RecentHashes(WINDOW, () => now);
    await recent.load(store);
    expect(recent.mayHave(key(1), now - WINDOW)).toBe(true);
    expect(recent.mayHave(key(3), now - WINDOW)).toBe(true);
    // key(2) is outside the window: absent unless a false positive, and it is one of few keys here.
    expect(recent.mayHave(key(2), now - WINDOW)).toBe(false);
  });

  it('keeps answering "maybe" if the store cannot be read', async () => {
    const store = await openStore();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const recent = new RecentHashes(WINDOW, () => 1_000_000_000);
    await recent.load(store);
    expect(recent.mayHave(key(1), 1_000_000_000 - WINDOW)).toBe(true);
  });

  it('never rules out a key noted within the window, through growth and rotation', async () => {
    const { recent, clock } = await loaded();
    const noted = new Map<string, number>();
    let missed = 0;
    for (let i = 0; i < 60_000; i++) {
      clock.ms += 37; // 60 000 keys over ~3.7 windows
      recent.note(key(i), clock.ms);
      noted.set(key(i), clock.ms);
      if (i % 1999 === 0) {
        const since = clock.ms - WINDOW;
        for (const [k, at] of noted) if (at >= since && !recent.mayHave(k, since)) missed += 1;
      }
    }
    expect(missed).toBe(0);
  });

  it('never rules out a key noted within the window while the clock jumps back and forth', async () => {
    const { recent, clock } = await loaded();
    const latest = new Map<string, number>();
    let missed = 0;
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      // Mostly forward, sometimes back by more than a window (a clock stepped back, or a test clock).
      clock.ms += i % 1000 === 999 ? -1.5 * WINDOW : Math.floor((random() - 0.3) * 200_000);
      const k = key(Math.floor(random() * 5000));
      recent.note(k, clock.ms);
      latest.set(k, clock.ms);
      if (i % 1000 === 999 || i % 1000 === 0) {
        const since = clock.ms - WINDOW;
        for (const [k2, at] of latest) if (at >= since && !recent.mayHave(k2, since)) missed += 1;
      }
    }
    expect(missed).toBe(0);
  });

  it('forgets keys once they are older than the window', async () => {
    const { recent, clock } = await loaded();
    for (let i = 0; i < 1000; i++) recent.note(key(i), clock.ms);
    clock.ms += 2 * WINDOW;
    // Later writes rotate the old generations out.
    for (let i = 1000; i < 1010; i++) recent.note(key(i), clock.ms);
    clock.ms += WINDOW / 2;
    recent.note(key(2000), clock.ms);
    let present = 0;
    for (let i = 0; i < 1000; i++) if (recent.mayHave(key(i), clock.ms - WINDOW)) present += 1;
    expect(present).toBeLessThan(20);
  });

  it('still answers after more writes in one window than its first generations hold', async () => {
    const { recent, clock } = await loaded();
    // Over a million writes without the clock moving: generations fill and double, none may be dropped.
    for (let i = 0; i < 1_100_000; i++) recent.note(key(i), clock.ms);
    let present = 0;
    for (let i = 0; i < 1000; i++) if (recent.mayHave(key(2_000_000 + i), clock.ms - WINDOW)) present += 1;
    expect(present).toBeLessThan(50);
    expect(recent.mayHave(key(7), clock.ms - WINDOW)).toBe(true);
  });
});
