import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, shardGroups } from '@engram/config';
import {
  Store,
  encodeCount,
  levelOptions,
  memoryIdOf,
  memoryKey,
  prefixRange,
  subjectMemoryPrefix,
  type GroupCommitOptions,
} from '@engram/storage';

const WRITER: GroupCommitOptions = { maxWrites: 512, maxBytes: 8 * 2 ** 20, maxDelayMs: 0, maxPending: 100_000, sync: false };
const LEVEL = { keyEncoding: 'utf8' as const, valueEncoding: 'view' as const };

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'engram-store-'));
  dirs.push(dir);
  return dir;
}

async function open(location = join(tempDir(), 'db')): Promise<Store> {
  const store = await Store.open(location, LEVEL, WRITER);
  stores.push(store);
  return store;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());
const pad = (i: number) => String(i).padStart(5, '0');

async function fill(store: Store, keys: readonly string[]): Promise<void> {
  await store.write({ ops: keys.map((key) => ({ type: 'put' as const, key, value: bytes(`v:${key}`) })), priority: 1 });
}

async function scanAll(store: Store, range: Parameters<Store['scan']>[0]): Promise<string[]> {
  const seen: string[] = [];
  await store.scan(range, (key, value) => {
    expect(text(value)).toBe(`v:${key}`);
    seen.push(key);
  });
  return seen;
}

async function scanKeysAll(store: Store, range: Parameters<Store['scanKeys']>[0]): Promise<string[]> {
  const seen: string[] = [];
  await store.scanKeys(range, (key) => void seen.push(key));
  return seen;
}

describe('Store reads', () => {
  it('get sees a pending write before it is committed, then the committed value', async () => {
    const store = await open();
    const write = store.write({ ops: [{ type: 'put', key: 'k', value: bytes('pending') }], priority: 1 });
    expect(text(await store.get('k'))).toBe('pending');
    await write;
    expect(text(await store.get('k'))).toBe('pending');
    expect(await store.get('missing')).toBeUndefined();
  });

  it('get hides a committed value behind a pending delete', async () => {
    const store = await open();
    await fill(store, ['k']);
    const write = store.write({ ops: [{ type: 'del', key: 'k' }], priority: 1 });
    expect(await store.get('k')).toBeUndefined();
    await write;
    expect(await store.get('k')).toBeUndefined();
  });

  it('getMany mixes pending, committed, deleted and missing keys in request order', async () => {
    const store = await open();
    await fill(store, ['committed', 'deleted']);
    const write = store.write({
      ops: [
        { type: 'put', key: 'pending', value: bytes('v:pending') },
        { type: 'del', key: 'deleted' },
      ],
      priority: 1,
    });
    expect((await store.getMany(['missing', 'pending', 'committed', 'deleted'])).map(text)).toEqual([undefined, 'v:pending', 'v:committed', undefined]);
    await write;
    expect(await store.getMany([])).toEqual([]);
  });

  it('opens with the level options derived from the storage settings', async () => {
    const storage = loadConfig(shardGroups, { env: { ENGRAM_STORAGE_COMPRESSION: 'none' } }).storage;
    const options = levelOptions(storage);
    expect(options).toMatchObject({ keyEncoding: 'utf8', valueEncoding: 'view', createIfMissing: true, blockSize: 4096, compression: false });
    const store = await Store.open(join(tempDir(), 'nested', 'db'), options, WRITER);
    stores.push(store);
    await fill(store, ['x']);
    expect(text(await store.get('x'))).toBe('v:x');
  });

  it('close waits for pending writes, and the data survives a reopen', async () => {
    const location = join(tempDir(), 'db');
    const store = await Store.open(location, LEVEL, WRITER);
    const write = store.write({ ops: [{ type: 'put', key: 'durable', value: bytes('yes') }], priority: 1 });
    await store.close();
    await write;
    const reopened = await open(location);
    expect(text(await reopened.get('durable'))).toBe('yes');
  });
});

describe('Store.scan', () => {
  it('visits a prefix range in key order, holding only that subject (not one it prefixes)', async () => {
    const store = await open();
    const keys = ['b', 'a', 'abc', 'ab'].flatMap((subject) => ['03', '01', '02'].map((id) => memoryKey('t', subject, id)));
    await fill(store, keys);
    const seen = await scanAll(store, prefixRange(subjectMemoryPrefix('t', 'ab')));
    expect(seen).toEqual(['01', '02', '03'].map((id) => memoryKey('t', 'ab', id)));
    expect(seen.map(memoryIdOf)).toEqual(['01', '02', '03']);
  });

  it('honours gt/lte bounds, limit and reverse', async () => {
    const store = await open();
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await fill(store, keys);
    expect(await scanAll(store, { gt: 'k2', lte: 'k5' })).toEqual(['k3', 'k4', 'k5']);
    expect(await scanAll(store, { gte: 'k2', limit: 3 })).toEqual(['k2', 'k3', 'k4']);
    expect(await scanAll(store, { lt: 'k3', reverse: true })).toEqual(['k2', 'k1', 'k0']);
    expect(await scanAll(store, { gte: 'z' })).toEqual([]);
  });

  it('visits every entry of a range larger than one chunk, in order', async () => {
    const store = await open();
    const keys = Array.from({ length: 1300 }, (_, i) => `e${pad(i)}`);
    await fill(store, keys);
    expect(await scanAll(store, { gte: 'e', lt: 'f' })).toEqual(keys);
  });

  it('stops as soon as the visitor returns false, within and across chunks', async () => {
    const store = await open();
    const keys = Array.from({ length: 1300 }, (_, i) => `e${pad(i)}`);
    await fill(store, keys);
    for (const stopAt of [1, 3, 512, 513, 700]) {
      const seen: string[] = [];
      await store.scan({ gte: 'e', lt: 'f' }, (key) => {
        seen.push(key);
        return seen.length < stopAt;
      });
      expect(seen).toEqual(keys.slice(0, stopAt));
    }
  });

  it('does not stop when the visitor returns undefined or true', async () => {
    const store = await open();
    await fill(store, ['a', 'b', 'c']);
    let count = 0;
    await store.scan({}, () => {
      count += 1;
      return count % 2 === 0 ? true : undefined;
    });
    expect(count).toBe(3);
  });
});

describe('Store.scanKeys', () => {
  it('visits keys of a range in order', async () => {
    const store = await open();
    const keys = ['b', 'a', 'ab', 'abc'].flatMap((subject) => ['02', '01'].map((id) => memoryKey('t', subject, id)));
    await fill(store, keys);
    expect(await scanKeysAll(store, prefixRange(subjectMemoryPrefix('t', 'a')))).toEqual([memoryKey('t', 'a', '01'), memoryKey('t', 'a', '02')]);
    expect(await scanKeysAll(store, {})).toEqual([...keys].sort());
  });

  it('stops early, across chunks', async () => {
    const store = await open();
    const keys = Array.from({ length: 1100 }, (_, i) => `k${pad(i)}`);
    await fill(store, keys);
    const seen: string[] = [];
    await store.scanKeys({ gte: 'k' }, (key) => {
      seen.push(key);
      if (seen.length === 600) return false;
    });
    expect(seen).toEqual(keys.slice(0, 600));
    expect(await scanKeysAll(store, { gte: 'k', limit: 5, reverse: true })).toEqual(keys.slice(-5).reverse());
  });
});

describe('Store size', () => {
  it('counts every file of the store, including writes still only in the log', async () => {
    const store = await open();
    const before = await store.diskBytes();
    await fill(store, ['a', 'b', 'c']);
    expect(await store.diskBytes()).toBeGreaterThan(before);
  });
});

describe('Store.scanCounts', () => {
  it('visits counts of every size in key order, across chunks, with the values encodeCount wrote', async () => {
    const store = await open();
    // Mostly small counts (one ASCII byte) with larger ones (two to five varint bytes) scattered through 1,300 keys.
    const countOf = (i: number) => (i % 97 === 0 ? 128 + i * 1000 : i % 53 === 0 ? 2 ** 32 - 1 - i : i % 128);
    const keys = Array.from({ length: 1300 }, (_, i) => `c${pad(i)}`);
    await store.write({ ops: keys.map((key, i) => ({ type: 'put' as const, key, value: encodeCount(countOf(i)) })), priority: 1 });
    const seen: [string, number][] = [];
    await store.scanCounts({ gte: 'c', lt: 'd' }, (key, count) => void seen.push([key, count]));
    expect(seen).toEqual(keys.map((key, i) => [key, countOf(i)]));
    // And it stops when the visitor says so.
    let visits = 0;
    await store.scanCounts({ gte: 'c', lt: 'd' }, () => ++visits < 3);
    expect(visits).toBe(3);
  });
});
