import { ABSENT, ByteLru, isAbsent, stringHeapBytes, type Cached } from '@engram/cache';
import { recordCodec, type Store, type StoredMemory } from '@engram/storage';
import type { WriteMeta } from './counters.js';
import type { MemoryColumns } from './memory-columns.js';
import { ScoringColumns } from './scoring-columns.js';

/**
 * Heap bytes of the parts every decoded record has whatever it holds: the MemoryRecord object with its 27
 * fields, the boxed doubles of its times and scores, the empty arrays and attributes object protobufjs creates for
 * every repeated and map field, and the (empty) payload Buffer with its ArrayBuffer.
 */
const RECORD_BASE_BYTES = 860;
/** A decoded TermCount object (besides its term string). */
const TERM_BYTES = 40;
/** An attribute's slot in the attributes object (besides its value string; keys are shared by V8 across records). */
const ATTRIBUTE_BYTES = 8;

/** Capacity of an array filled by n pushes: V8 grows a full backing store to 1.5 x its length + 16. */
function pushedCapacity(n: number): number {
  let capacity = 0;
  while (capacity < n) capacity += (capacity >> 1) + 16;
  return capacity;
}

/** Heap bytes of the backing store of an array of n elements filled by push (8 bytes a pointer or a double). */
function arrayBytes(n: number): number {
  return n === 0 ? 0 : 16 + 8 * pushedCapacity(n);
}

/**
 * The memory a decoded record takes, for the byte-bounded cache: its V8 heap bytes as measured with
 * v8.getHeapStatistics (records.test.ts checks it against the heap for several shapes of record), plus, for a
 * record with a payload, the bytes that the payload (a view into the record's encoded bytes) keeps alive outside
 * the heap. Without an honest figure a cache configured at 64 MiB would hold ~100 MiB.
 */
export function recordSize(r: StoredMemory): number {
  let n =
    RECORD_BASE_BYTES +
    stringHeapBytes(r.id) +
    stringHeapBytes(r.subject) +
    stringHeapBytes(r.kind) +
    stringHeapBytes(r.content) +
    stringHeapBytes(r.versionNode) +
    stringHeapBytes(r.contentHash);
  n += arrayBytes(r.tags.length) + arrayBytes(r.keywords.length) + arrayBytes(r.evidenceIds.length) + arrayBytes(r.terms.length);
  n += arrayBytes(r.embedding.length) + arrayBytes(r.recentAccessMs.length);
  for (const t of r.tags) n += stringHeapBytes(t);
  for (const k of r.keywords) n += stringHeapBytes(k);
  for (const e of r.evidenceIds) n += stringHeapBytes(e);
  for (const t of r.terms) n += TERM_BYTES + stringHeapBytes(t.term);
  for (const k in r.attributes) n += ATTRIBUTE_BYTES + k.length + stringHeapBytes(r.attributes[k]!);
  // A payload is a view into the record's encoded bytes and keeps them alive: the payload and, roughly, the rest
  // of the encoding (content, terms, the fixed fields).
  if (r.payload.length > 0) n += r.payload.length + r.content.length + 16 * r.terms.length + 128;
  return n;
}

/**
 * Heap bytes of a cached memory's row in the scoring columns: 8 numeric columns, 4 references, its id's entry in
 * the subject's map. Counted with the record, so that the cache's budget covers both.
 */
export const COLUMN_ROW_BYTES = 8 * 8 + 4 * 8 + 40;
/** Share of the cache's budget, on top of it, for the posting lists of recently queried terms (ScoringColumns). */
const POSTINGS_SHARE = 1 / 16;

/**
 * Reads memory records: pending writes first (the store's overlay), then the cache, then LevelDB. A write
 * publishes its record to the cache once its batch commits (committed()), so the cache never runs ahead of
 * the store and a slower read cannot put back an older value. The cached memories are also kept as per-subject
 * columns (`columns`), which a query reads instead of looking its candidates up one by one.
 */
export class RecordReader {
  readonly cache: ByteLru<StoredMemory>;
  readonly columns: ScoringColumns;

  constructor(
    private readonly store: Store<WriteMeta>,
    cacheBytes: number,
  ) {
    this.columns = new ScoringColumns(() => this.cache.recencyClock, Math.floor(cacheBytes * POSTINGS_SHARE));
    this.cache = new ByteLru<StoredMemory>(cacheBytes, (r) => recordSize(r) + COLUMN_ROW_BYTES, this.columns.onCacheChange);
  }

  /** Whether writes are pending, whose records a read must take from the store's overlay instead of the cache. */
  get writesPending(): boolean {
    return this.store.writer.pending > 0;
  }

  /** The pending value of a key (see Store.writer.read): a record, null if deleted, undefined if none pending. */
  pending(key: string): StoredMemory | null | undefined {
    const bytes = this.store.writer.read(key);
    return bytes === undefined ? undefined : bytes === null ? null : recordCodec.decode(bytes);
  }

  /**
   * Counts n rows of columns as cache hits, and marks as used in the cache those among them that have drifted a
   * quarter of the way towards eviction: a memory that queries keep finding in the columns stays cached like one
   * they looked up, for one cache lookup per row per quarter turn of the cache instead of one per use.
   */
  usedRows(columns: MemoryColumns, keyPrefix: string, rows: Int32Array, n: number): void {
    this.cache.countHits(n);
    const cache = this.cache;
    const stale = cache.recencyClock - cache.size / 4;
    const usedAt = columns.usedAt;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (usedAt[row]! < stale) {
        cache.touch(keyPrefix + columns.ids[row]!);
        usedAt[row] = cache.recencyClock;
      }
    }
  }

  async get(key: string): Promise<StoredMemory | undefined> {
    const pending = this.store.writer.read(key);
    if (pending !== undefined) return pending === null ? undefined : recordCodec.decode(pending);
    const cached = this.cache.get(key);
    if (cached !== undefined) return isAbsent(cached) ? undefined : cached;
    const bytes = await this.store.db.get(key);
    const record = bytes ? recordCodec.decode(bytes) : undefined;
    this.cache.setIfAbsent(key, record ?? ABSENT);
    return record;
  }

  async getMany(keys: readonly string[]): Promise<(StoredMemory | undefined)[]> {
    const out: (StoredMemory | undefined)[] = new Array(keys.length);
    const misses: number[] = [];
    keys.forEach((key, i) => {
      const pending = this.store.writer.read(key);
      if (pending !== undefined) {
        out[i] = pending === null ? undefined : recordCodec.decode(pending);
        return;
      }
      const cached = this.cache.get(key);
      if (cached === undefined) misses.push(i);
      else out[i] = isAbsent(cached) ? undefined : cached;
    });
    if (misses.length > 0) {
      const values = await this.store.db.getMany(misses.map((i) => keys[i]!));
      misses.forEach((i, j) => {
        const bytes = values[j];
        const record = bytes ? recordCodec.decode(bytes) : undefined;
        this.cache.setIfAbsent(keys[i]!, record ?? ABSENT);
        out[i] = record;
      });
    }
    return out;
  }

  /** Publishes the outcome of a committed write. */
  committed(key: string, record: StoredMemory | undefined): void {
    const previous = this.cache.peek(key);
    this.cache.set(key, record ?? ABSENT);
    // Reinforcement rewrites records with their terms unchanged, and leaves the postings as they were.
    if (!sameTerms(previous, record)) this.columns.postingsChanged(key);
  }
}

/** Whether two versions of a memory index the same terms (false when the earlier one is unknown). */
function sameTerms(a: Cached<StoredMemory> | undefined, b: StoredMemory | undefined): boolean {
  if (a === undefined || isAbsent(a) || b === undefined || a.terms.length !== b.terms.length) return false;
  for (let i = 0; i < a.terms.length; i++) {
    if (a.terms[i]!.term !== b.terms[i]!.term || a.terms[i]!.count !== b.terms[i]!.count) return false;
  }
  return true;
}

/** Whether a memory is still alive at nowMs (expired ones are hidden before the sweep deletes them). */
export function isLive(r: StoredMemory, nowMs: number): boolean {
  return r.expiresAtMs === 0 || r.expiresAtMs > nowMs;
}

/** When a memory was last touched before asOf: its latest access, or its event time. */
export function lastTouchMs(r: StoredMemory, asOfMs: number): number {
  return latestTouchMs(r.occurredAtMs, r.recentAccessMs, asOfMs);
}

/** lastTouchMs of a memory given by its event time and recent accesses. */
export function latestTouchMs(occurredAtMs: number, recentAccessMs: readonly number[], asOfMs: number): number {
  let last = occurredAtMs;
  for (let i = 0; i < recentAccessMs.length; i++) {
    const t = recentAccessMs[i]!;
    if (t < asOfMs && t > last) last = t;
  }
  return last;
}
