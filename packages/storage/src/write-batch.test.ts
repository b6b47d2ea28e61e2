import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteBatch } from './write-batch.js';

type Db = ClassicLevel<string, Uint8Array>;

const dirs: string[] = [];
const dbs: ClassicLevel<any, any>[] = [];

afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openDb(dir = mkdtempSync(join(tmpdir(), 'engram-write-batch-'))): Promise<Db> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  dbs.push(db);
  return db;
}

const bytes = (s: string) => new TextEncoder().encode(s);
/** Every entry as stored, keys and values as raw bytes (hex). */
async function rawEntries(db: Db): Promise<[string, string][]> {
  const entries = await db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }).all();
  return entries.map(([k, v]) => [Buffer.from(k as unknown as Uint8Array).toString('hex'), Buffer.from(v).toString('hex')]);
}

describe('WriteBatch', () => {
  it('stores the same bytes as a chained batch of abstract-level, durably', async () => {
    const keys = ['p\x00t\x00café\x00s\x00id', 'm\x00t\x00日本\x00x', 'plain', 'gone', 'emoji 😀'];
    const values = [Uint8Array.of(1), bytes('value ü'), Buffer.from('buffer value'), bytes('x'), new Uint8Array(0)];
    const viaPublic = await openDb();
    const chained = viaPublic.batch();
    keys.forEach((k, i) => chained.put(k, values[i]!));
    chained.del('gone');
    await chained.write({ sync: true });

    const dir = mkdtempSync(join(tmpdir(), 'engram-write-batch-'));
    const ours = await openDb(dir);
    await ours.put('gone', bytes('old'));
    const batch = new WriteBatch(ours);
    keys.forEach((k, i) => batch.put(k, values[i]!));
    batch.del('gone');
    expect(batch.length).toBe(keys.length + 1);
    await batch.write(true);
    expect(await rawEntries(ours)).toEqual(await rawEntries(viaPublic));

    // Written, not only visible: the entries are there after reopening.
    await ours.close();
    const reopened = await openDb(dir);
    expect(await rawEntries(reopened)).toEqual(await rawEntries(viaPublic));
    expect(await reopened.get('gone')).toBeUndefined();
  });

  it('releases the batch after writing, and an empty batch writes nothing', async () => {
    const db = await openDb();
    const empty = new WriteBatch(db);
    await empty.write(false);
    const batch = new WriteBatch(db);
    batch.put('k', bytes('v'));
    await batch.write(false);
    await expect(batch.write(false)).rejects.toThrow(/written already/);
    expect(await db.keys().all()).toEqual(['k']);
  });

  it('refuses a database with other encodings, under which the bytes would differ', async () => {
    const db = await openDb();
    expect(() => WriteBatch.checkEncodings(db)).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), 'engram-write-batch-'));
    dirs.push(dir);
    const json = new ClassicLevel<string, unknown>(dir, { keyEncoding: 'utf8', valueEncoding: 'json' });
    await json.open();
    dbs.push(json);
    expect(() => WriteBatch.checkEncodings(json as unknown as Db)).toThrow(/utf8 keys and view values/);
  });
});
