import { ABSENT, ByteLru, isAbsent } from '@engram/cache';
import { recordCodec, type Store, type StoredMemory } from '@engram/storage';
import type { WriteMeta } from './counters.js';

/** Approximate in-memory size of a decoded record, for the byte-bounded cache. */
export function recordSize(r: StoredMemory): number {
  let n = 256 + r.content.length * 2 + r.payload.length + r.embedding.length * 8 + r.recentAccessMs.length * 8;
  for (const t of r.tags) n += 40 + t.length * 2;
  for (const t of r.terms) n += 48 + t.term.length * 2;
  for (const k of r.keywords) n += 40 + k.length * 2;
  for (const [k, v] of Object.entries(r.attributes)) n += 80 + (k.length + v.length) * 2;
  return n;
}

/**
 * Reads memory records: pending writes first (the store's overlay), then the cache, then LevelDB. A write
 * publishes its record to the cache once its batch commits (committed()), so the cache never runs ahead of
 * the store and a slower read cannot put back an older value.
 */
export class RecordReader {
  readonly cache: ByteLru<StoredMemory>;

  constructor(
    private readonly store: Store<WriteMeta>,
    cacheBytes: number,
  ) {
    this.cache = new ByteLru<StoredMemory>(cacheBytes, recordSize);
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
    this.cache.set(key, record ?? ABSENT);
  }
}

/** Whether a memory is still alive at nowMs (expired ones are hidden before the sweep deletes them). */
export function isLive(r: StoredMemory, nowMs: number): boolean {
  return r.expiresAtMs === 0 || r.expiresAtMs > nowMs;
}

/** When a memory was last touched before asOf: its latest access, or its event time. */
export function lastTouchMs(r: StoredMemory, asOfMs: number): number {
  let last = r.occurredAtMs;
  for (const t of r.recentAccessMs) if (t < asOfMs && t > last) last = t;
  return last;
}
