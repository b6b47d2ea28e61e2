import { ABSENT, ByteLru, isAbsent, stringHeapBytes, type Cached } from '@engram/cache';
import { accessCodec, accessKeyOf, prefixRange, recordCodec, type AccessStats, type KeyRange, type Store, type StoredMemory } from '@engram/storage';
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
 * Heap bytes of a record's terms (their array and strings), kept per terms array: a memory's reinforced or merged
 * record is a new object holding the same terms (never changed once made), and the cache sizes every record it
 * takes, which tested each term's string again.
 */
const termsBytesOf = new WeakMap<StoredMemory['terms'], number>();

function termsBytes(terms: StoredMemory['terms']): number {
  let n = termsBytesOf.get(terms);
  if (n === undefined) {
    n = arrayBytes(terms.length);
    for (const t of terms) n += TERM_BYTES + stringHeapBytes(t.term);
    termsBytesOf.set(terms, n);
  }
  return n;
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
  n += arrayBytes(r.tags.length) + arrayBytes(r.keywords.length) + arrayBytes(r.evidenceIds.length) + termsBytes(r.terms);
  n += arrayBytes(r.embedding.length) + arrayBytes(r.recentAccessMs.length);
  for (const t of r.tags) n += stringHeapBytes(t);
  for (const k of r.keywords) n += stringHeapBytes(k);
  for (const e of r.evidenceIds) n += stringHeapBytes(e);
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

  /**
   * The ids, under a subject's memory-key prefix, of the memories whose record or accesses a pending write is
   * changing (those that pending() may answer for): one walk over the pending keys, for a caller about to check more
   * memories than that. Undefined when there are more pending keys than `checks` (looking each up is then cheaper).
   */
  pendingIds(keyPrefix: string, checks: number): Set<string> | undefined {
    const writer = this.store.writer;
    if (writer.pendingKeys > checks) return undefined;
    return new Set(writer.pendingKeys === 0 ? [] : writer.pendingSuffixes([keyPrefix, accessKeyOf(keyPrefix)]));
  }

  /**
   * The pending value of a memory (see Store.writer.read), its accesses merged in: a record, null if deleted,
   * undefined if neither its record nor its accesses are pending (a pending access alone is merged into the
   * cached record, or reads as undefined when that is not cached).
   */
  pending(key: string): StoredMemory | null | undefined {
    const writer = this.store.writer;
    const bytes = writer.read(key);
    const access = writer.read(accessKeyOf(key));
    if (bytes === undefined && access === undefined) return undefined;
    if (bytes === null) return null;
    if (bytes !== undefined) return merged(bytes, access);
    const cached = this.cache.peek(key);
    if (cached === undefined || isAbsent(cached)) return undefined;
    return access ? withAccessStats(cached, accessCodec.decode(access)) : cached;
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

  /**
   * A memory's record with its accesses (its AccessRecord, if any) merged in: pending writes of either key first,
   * then the cache, then LevelDB (both keys in one read).
   */
  async get(key: string): Promise<StoredMemory | undefined> {
    const writer = this.store.writer;
    const accessKey = accessKeyOf(key);
    const pending = writer.read(key);
    const pendingAccess = writer.read(accessKey);
    const settled = pending === undefined && pendingAccess === undefined;
    if (settled) {
      const cached = this.cache.get(key);
      if (cached !== undefined) return isAbsent(cached) ? undefined : cached;
    }
    const keys: string[] = [];
    if (pending === undefined) keys.push(key);
    if (pendingAccess === undefined) keys.push(accessKey);
    const values = keys.length > 0 ? await this.store.db.getMany(keys) : [];
    const record = merged(pending !== undefined ? pending : values[0], pendingAccess !== undefined ? pendingAccess : values[keys.length - 1]);
    if (settled) this.cache.setIfAbsent(key, record ?? ABSENT);
    return record;
  }

  async getMany(keys: readonly string[]): Promise<(StoredMemory | undefined)[]> {
    const writer = this.store.writer;
    const out: (StoredMemory | undefined)[] = new Array(keys.length);
    const misses: number[] = [];
    const pendingOf: { record: Uint8Array | null | undefined; access: Uint8Array | null | undefined }[] = [];
    const checkPending = writer.pending > 0;
    keys.forEach((key, i) => {
      if (checkPending) {
        const record = writer.read(key);
        const access = writer.read(accessKeyOf(key));
        if (record !== undefined || access !== undefined) {
          misses.push(i);
          pendingOf[i] = { record, access };
          return;
        }
      }
      const cached = this.cache.get(key);
      if (cached === undefined) misses.push(i);
      else out[i] = isAbsent(cached) ? undefined : cached;
    });
    if (misses.length > 0) {
      // Both keys of each miss (what is pending is taken from the overlay instead), in one read.
      const read: string[] = [];
      for (const i of misses) {
        const p = pendingOf[i];
        if (p?.record === undefined) read.push(keys[i]!);
        if (p?.access === undefined) read.push(accessKeyOf(keys[i]!));
      }
      const values = read.length > 0 ? await this.store.db.getMany(read) : [];
      let j = 0;
      for (const i of misses) {
        const p = pendingOf[i];
        const recordBytes = p?.record !== undefined ? p.record : values[j++];
        const accessBytes = p?.access !== undefined ? p.access : values[j++];
        const record = merged(recordBytes, accessBytes);
        if (p === undefined) this.cache.setIfAbsent(keys[i]!, record ?? ABSENT);
        out[i] = record;
      }
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

/**
 * A copy of a record with its accesses and expiry replaced, as a plain object of every MemoryRecord field in one
 * order: one shape for all of them, where copying a decoded message generically (its defaults sit on its prototype,
 * so a spread drops them, and Object.assign onto Object.create(prototype) took a fifth of a shard's Recall CPU) was
 * slow and gave every copy a shape of its own. records.test.ts checks that it covers every field of the schema.
 */
export function recordWithAccesses(r: StoredMemory, accessCount: number, recentAccessMs: number[], expiresAtMs: number): StoredMemory {
  return {
    id: r.id,
    subject: r.subject,
    layer: r.layer,
    kind: r.kind,
    content: r.content,
    tags: r.tags,
    attributes: r.attributes,
    payload: r.payload,
    payloadDeflated: r.payloadDeflated,
    embedding: r.embedding,
    occurredAtMs: r.occurredAtMs,
    ingestedAtMs: r.ingestedAtMs,
    importance: r.importance,
    valence: r.valence,
    arousal: r.arousal,
    accessCount,
    recentAccessMs,
    versionWallMs: r.versionWallMs,
    versionLogical: r.versionLogical,
    versionNode: r.versionNode,
    expiresAtMs,
    expiryExplicit: r.expiryExplicit,
    evidenceIds: r.evidenceIds,
    keywords: r.keywords,
    contentHash: r.contentHash,
    terms: r.terms,
    length: r.length,
    indexSegment: r.indexSegment,
  };
}

/** A copy of a decoded record with some fields replaced, keeping the defaults protobufjs leaves on its prototype (a spread would drop them). */
export function patchRecord(r: StoredMemory, patch: Partial<StoredMemory>): StoredMemory {
  return { ...recordWithAccesses(r, r.accessCount, r.recentAccessMs, r.expiresAtMs), ...patch };
}

/** A record with the accesses of its AccessRecord in place of its own (the record itself when there is none). */
export function withAccessStats(r: StoredMemory, a: AccessStats | undefined): StoredMemory {
  if (a === undefined) return r;
  return recordWithAccesses(r, a.accessCount, a.recentAccessMs, a.expiresAtMs);
}

/** The record of a memory's stored bytes and its AccessRecord's (either absent: undefined or null). */
function merged(recordBytes: Uint8Array | null | undefined, accessBytes: Uint8Array | null | undefined): StoredMemory | undefined {
  if (!recordBytes) return undefined;
  const record = recordCodec.decode(recordBytes);
  return accessBytes ? withAccessStats(record, accessCodec.decode(accessBytes)) : record;
}

/** Rows of a scan in chunks (see Store.scan). */
const SCAN_CHUNK = 1000;

/**
 * Visits the memory records of a range of memory keys in key order (either direction), each with its accesses
 * merged in: the AccessRecords of the same range are read alongside, by a second iterator that moves in step (they
 * are few next to the records, and in the same order). Like Store.scan: committed entries only; return false from
 * visit to stop.
 */
export async function scanRecords(store: Store<unknown>, range: KeyRange, visit: (key: string, record: StoredMemory) => boolean | void): Promise<void> {
  const reverse = range.reverse === true;
  const accessRange: KeyRange = { reverse };
  if (range.gt !== undefined) accessRange.gt = accessKeyOf(range.gt);
  if (range.gte !== undefined) accessRange.gte = accessKeyOf(range.gte);
  if (range.lt !== undefined) accessRange.lt = accessKeyOf(range.lt);
  if (range.lte !== undefined) accessRange.lte = accessKeyOf(range.lte);
  const records = store.db.iterator({ ...range, highWaterMarkBytes: 256 * 1024 });
  const accesses = store.db.iterator({ ...accessRange, highWaterMarkBytes: 64 * 1024 });
  let buffered: [string, Uint8Array][] = [];
  let next = 0;
  let accessesDone = false;
  /** The AccessRecord of the memory with this access key; null when more AccessRecords must be read to tell. */
  const lookup = (accessKey: string): Uint8Array | undefined | null => {
    while (next < buffered.length) {
      const [k, v] = buffered[next]!;
      if (k === accessKey) {
        next += 1;
        return v;
      }
      // Past the memory (in the scan's direction): it has none. Before it: an AccessRecord without a record.
      if (reverse ? k < accessKey : k > accessKey) return undefined;
      next += 1;
    }
    return accessesDone ? undefined : null;
  };
  try {
    for (;;) {
      const entries = await records.nextv(SCAN_CHUNK);
      if (entries.length === 0) return;
      for (const [key, value] of entries) {
        const accessKey = accessKeyOf(key);
        let access = lookup(accessKey);
        while (access === null) {
          buffered = await accesses.nextv(SCAN_CHUNK);
          next = 0;
          if (buffered.length === 0) accessesDone = true;
          access = lookup(accessKey);
        }
        const record = recordCodec.decode(value);
        if (visit(key, access ? withAccessStats(record, accessCodec.decode(access)) : record) === false) return;
      }
    }
  } finally {
    await Promise.all([records.close(), accesses.close()]);
  }
}

/**
 * The records under a memory-key prefix (accesses merged), a page of at most `size` at a time, in key order, so
 * that a whole subject is never in memory at once. A page is read when the caller asks for it, starting past the
 * last key of the page before: writes the caller queued for earlier pages (still pending, which scans do not see)
 * are behind it.
 */
export async function* recordPages(store: Store<unknown>, prefix: string, size: number): AsyncGenerator<StoredMemory[]> {
  const { gte, lt } = prefixRange(prefix);
  let after: string | undefined;
  for (;;) {
    const page: StoredMemory[] = [];
    let last = '';
    await scanRecords(store, after === undefined ? { gte, lt, limit: size } : { gt: after, lt, limit: size }, (key, r) => {
      page.push(r);
      last = key;
    });
    if (page.length === 0) return;
    yield page;
    if (page.length < size) return;
    after = last;
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
