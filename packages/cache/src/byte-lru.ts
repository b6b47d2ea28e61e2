import { LRUCache } from 'lru-cache';

/** Marks a key known to have no value (deleted), so that a slow read cannot put an old value back. */
export const ABSENT: { readonly absent: true } = Object.freeze({ absent: true as const });
export type Cached<V> = V | typeof ABSENT;

export function isAbsent<V>(value: Cached<V>): value is typeof ABSENT {
  return value === ABSENT;
}

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

/**
 * An LRU bounded by the approximate size of its values (lru-cache underneath). maxBytes 0 turns it off.
 * Writers set values (or ABSENT) when their write commits; readers only fill keys nobody has set since,
 * via setIfAbsent, which keeps a read that raced a write from caching the older value.
 */
export class ByteLru<V extends object> {
  private readonly lru: LRUCache<string, Cached<V>> | undefined;
  private hits = 0;
  private misses = 0;

  constructor(
    readonly maxBytes: number,
    sizeOf: (value: V) => number,
  ) {
    if (maxBytes > 0) {
      this.lru = new LRUCache<string, Cached<V>>({
        maxSize: maxBytes,
        sizeCalculation: (value, key) => Math.max(1, key.length + (value === ABSENT ? 8 : sizeOf(value as V))),
      });
    }
  }

  /** The cached value, ABSENT for a known deletion, undefined on a miss. */
  get(key: string): Cached<V> | undefined {
    const v = this.lru?.get(key);
    if (v === undefined) this.misses += 1;
    else this.hits += 1;
    return v;
  }

  set(key: string, value: Cached<V>): void {
    this.lru?.set(key, value);
  }

  /** Fills a key from a read unless a writer has set it meanwhile. */
  setIfAbsent(key: string, value: Cached<V>): void {
    if (this.lru && !this.lru.has(key)) this.lru.set(key, value);
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  clear(): void {
    this.lru?.clear();
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      entries: this.lru?.size ?? 0,
      bytes: this.lru?.calculatedSize ?? 0,
      maxBytes: this.maxBytes,
    };
  }
}
