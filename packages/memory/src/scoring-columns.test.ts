import { describe, expect, it } from 'vitest';
import { ABSENT, ByteLru } from '@engram/cache';
import { memoryKey, subjectMemoryPrefix, type StoredMemory } from '@engram/storage';
import { CandidateList } from './candidate-list.js';
import { MemoryColumns } from './memory-columns.js';
import { ScoringColumns } from './scoring-columns.js';

/** The fields the columns read; the rest of a record does not matter here. */
const record = (subject: string, id: string, p: Partial<StoredMemory> = {}): StoredMemory =>
  ({
    id,
    subject,
    layer: 2,
    ingestedAtMs: 1000,
    occurredAtMs: 900,
    expiresAtMs: 0,
    importance: 0.5,
    length: 4,
    accessCount: 0,
    recentAccessMs: [],
    ...p,
  }) as StoredMemory;

/** A record cache of `entries` records and the columns that follow it. */
function cached(entries = 100) {
  let cache: ByteLru<StoredMemory> | undefined;
  const columns = new ScoringColumns(() => cache!.recencyClock, 1 << 20);
  cache = new ByteLru<StoredMemory>(entries * 250, () => 100, columns.onCacheChange);
  const put = (subject: string, id: string, p: Partial<StoredMemory> = {}) => cache!.set(memoryKey('t', subject, id), record(subject, id, p));
  return { cache, columns, put, prefix: (subject: string) => subjectMemoryPrefix('t', subject) };
}

describe('MemoryColumns', () => {
  it('holds each field of a record in its row, through growth', () => {
    const c = new MemoryColumns(2);
    for (let i = 0; i < 40; i++) c.add(record('s', `m${i}`, { importance: i / 40, ingestedAtMs: i, recentAccessMs: i % 2 ? [i] : [] }));
    expect(c.rows).toBe(40);
    expect([c.ids[33], c.importance[33], c.ingestedAtMs[33], c.recentAccessMs[33], c.layer[33]]).toEqual(['m33', 33 / 40, 33, [33], 2]);
    c.clear(33);
    expect([c.records[33], c.recentAccessMs[33]]).toEqual([undefined, []]);
    c.dropLast();
    expect([c.rows, c.records[39], c.add(record('s', 'again'))]).toEqual([39, undefined, 39]);
  });
});

describe('ScoringColumns', () => {
  it('has a row for each cached memory of a subject, rewritten in place, gone when the record leaves the cache', () => {
    const { cache, columns, put, prefix } = cached(3);
    put('s', 'a', { importance: 0.1 });
    put('s', 'b');
    put('other', 'c');
    const s = columns.acquire(prefix('s'))!;
    const row = s.row('a')!;
    const before = s.membership;
    put('s', 'a', { importance: 0.9 });
    expect([s.row('a'), s.columns.importance[row], s.membership]).toEqual([row, 0.9, before]);
    cache.set(memoryKey('t', 's', 'b'), ABSENT);
    expect([s.row('b'), s.membership]).toEqual([undefined, before + 1]);
    // Other subjects' memories push a out of the cache.
    for (let i = 0; i < 10 && s.row('a') !== undefined; i++) put('other', `x${i}`);
    expect([s.row('a'), s.membership]).toEqual([undefined, before + 2]);
    columns.release(s);
    expect(columns.acquire(prefix('s'))).toBeUndefined();
    const others = ['c', ...Array.from({ length: 10 }, (_, i) => `x${i}`)].filter((id) => cache.peek(memoryKey('t', 'other', id)) !== undefined);
    expect(columns.memories).toBe(others.length);
  });

  it('reuses the row of a memory that left only once no query holds the subject', () => {
    const { cache, columns, put, prefix } = cached();
    put('s', 'a');
    put('s', 'b');
    const s = columns.acquire(prefix('s'))!;
    const row = s.row('a')!;
    cache.delete(memoryKey('t', 's', 'a'));
    put('s', 'c');
    expect(s.row('c')).not.toBe(row);
    // The held row is as it was.
    expect(s.columns.records[row]!.id).toBe('a');
    columns.release(s);
    expect(s.columns.records[row]).toBeUndefined();
    put('s', 'd');
    expect(s.row('d')).toBe(row);
  });

  it('keeps a subject held by a query when its last memory leaves, and drops it at release', () => {
    const { cache, columns, put, prefix } = cached();
    put('s', 'a');
    const s = columns.acquire(prefix('s'))!;
    cache.delete(memoryKey('t', 's', 'a'));
    put('s', 'b');
    expect(columns.acquire(prefix('s'))).toBe(s);
    columns.release(s);
    cache.delete(memoryKey('t', 's', 'b'));
    columns.release(s);
    expect(columns.acquire(prefix('s'))).toBeUndefined();
  });

  it('gives back posting lists only while their subject has the same members and postings', () => {
    const { cache, columns, put, prefix } = cached();
    put('s', 'a');
    put('s', 'b');
    const s = columns.acquire(prefix('s'))!;
    const keep = () =>
      columns.keepPostings('heron', { columns: s, membership: s.membership, version: s.postingsVersion, rows: Int32Array.of(0, 1), tf: Float64Array.of(1, 2) });
    keep();
    expect(columns.postings(s, 'heron')?.rows).toEqual(Int32Array.of(0, 1));
    expect(columns.postings(s, 'lake')).toBeUndefined();
    put('s', 'a', { importance: 1 }); // rewritten in place: still valid
    expect(columns.postings(s, 'heron')).toBeDefined();
    columns.postingsChanged(memoryKey('t', 's', 'a'));
    expect(columns.postings(s, 'heron')).toBeUndefined();
    keep();
    put('s', 'c');
    expect(columns.postings(s, 'heron')).toBeUndefined();
    keep();
    cache.delete(memoryKey('t', 's', 'b'));
    expect(columns.postings(s, 'heron')).toBeUndefined();
    columns.release(s);
  });
});

describe('CandidateList', () => {
  it('collects rows with their term frequencies, through growth', () => {
    const c = new MemoryColumns();
    const list = new CandidateList(1, 2);
    for (let i = 0; i < 50; i++) list.push(c, i, [i, 0, 2 * i], 1);
    const set = list.toSet(new Map());
    expect(set.count).toBe(50);
    expect([set.rows[49], set.tf![98], set.tf![99], set.columns[49]]).toEqual([49, 0, 98, c]);
    expect(new CandidateList(4, undefined).toSet(new Map()).tf).toBeUndefined();
  });
});

describe('SubjectColumns compaction', () => {
  it('shrinks the columns once most rows are free, keeping every cached memory\'s values', () => {
    const { cache, columns, put, prefix } = cached(1000);
    for (let i = 0; i < 400; i++) put('s', `m${i}`, { importance: i / 400 });
    const s = columns.acquire(prefix('s'))!;
    columns.release(s);
    for (let i = 0; i < 400; i++) if (i % 10 !== 0) cache.delete(memoryKey('t', 's', `m${i}`));
    expect(s.columns.layer.length).toBeLessThan(256);
    expect(s.memories).toBe(40);
    for (let i = 0; i < 400; i += 10) expect(s.columns.importance[s.row(`m${i}`)!]).toBe(i / 400);
  });

  it('waits while a query holds the columns', () => {
    const { cache, columns, put, prefix } = cached(1000);
    for (let i = 0; i < 400; i++) put('s', `m${i}`);
    const s = columns.acquire(prefix('s'))!;
    const held = s.columns;
    for (let i = 0; i < 390; i++) cache.delete(memoryKey('t', 's', `m${i}`));
    expect(s.columns).toBe(held);
    columns.release(s);
    cache.delete(memoryKey('t', 's', 'm390'));
    expect(s.columns).not.toBe(held);
    expect(s.columns.ids[s.row('m399')!]).toBe('m399');
  });
});
