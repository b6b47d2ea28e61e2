import { LRUCache } from 'lru-cache';

/** Marks a key known to have no value (deleted), so that a slow read cannot put an old value back. */
export const ABSENT: { readonly absent: true } = Object.freeze({ absent: true as const });
export type Cached<V> = V | typeof ABSENT;

export function isAbsent<V>(value: Cached<V>): value is typeof ABSENT {
  return value === ABSENT;
}

/** Characters outside Latin-1: V8 stores such a string with two bytes a character, any other with one. */
const NON_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * V8 heap bytes of a flat string on 64-bit: a 16-byte header, then one byte a character (two if any character is
 * outside Latin-1), rounded up to 8. Testing the string with a regular expression also flattens it.
 */
export function stringHeapBytes(s: string): number {
  return 16 + ((s.length * (NON_LATIN1.test(s) ? 2 : 1) + 7) & ~7);
}

/**
 * Heap bytes of one entry's bookkeeping in the LRU, besides its key and value: the key map's entry and a slot in
 * each of lru-cache's per-entry arrays (keys, values, sizes, next, prev), with their growth slack. Measured
 * (v8.getHeapStatistics around filling a cache) at 80–100 bytes.
 */
export const ENTRY_BYTES = 96;

/**
 * Told whenever the value cached under a key changes: the new value, ABSENT, or undefined once the key is no
 * longer cached (evicted, deleted, or set to a value too large to keep). Lets a caller keep a view of what the
 * cache holds (memory's scoring columns) without a cache lookup per read.
 */
export type CacheListener<V> = (key: string, value: Cached<V> | undefined) => void;

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
}

/**
 * An LRU bounded by the heap bytes it holds (lru-cache underneath): each entry counts ENTRY_BYTES, its key's
 * stringHeapBytes and sizeOf(value), which should be the value's own heap cost (ABSENT costs nothing but its
 * entry). maxBytes 0 turns it off.
 *
 * Keys are flattened when they are stored: V8 keeps a string built by concatenation (a memory key of tenant,
 * subject and id) as a tree of pieces until something reads it whole, and a key the cache keeps for long would
 * cost several times its flat size (a ULID memory key: ~300 bytes as a tree, 64 flat).
 * Writers set values (or ABSENT) when their write commits; readers only fill keys nobody has set since,
 * via setIfAbsent, which keeps a read that raced a write from caching the older value.
 */
export class ByteLru<V extends object> {
  private readonly lru: LRUCache<string, Cached<V>> | undefined;
  private hits = 0;
  private misses = 0;
  private moves = 0;

  constructor(
    readonly maxBytes: number,
    sizeOf: (value: V) => number,
    private readonly listener?: CacheListener<V>,
  ) {
    if (maxBytes > 0) {
      this.lru = new LRUCache<string, Cached<V>>({
        maxSize: maxBytes,
        // stringHeapBytes(key) runs a regular expression over the key, which flattens it in place (the collector
        // then drops the tree): see the class comment.
        sizeCalculation: (value, key) => ENTRY_BYTES + stringHeapBytes(key) + (value === ABSENT ? 0 : Math.max(0, sizeOf(value as V))),
        // A replaced value ('set') is reported by the set that replaced it.
        ...(listener ? { dispose: (_value: Cached<V>, key: string, reason: LRUCache.DisposeReason) => void (reason !== 'set' && listener(key, undefined)) } : {}),
      });
    }
  }

  /**
   * Entries moved to the most recently used end by set() and get() so far: a clock of how far the LRU order has
   * moved on. An entry moved at clock t has about `size` entries ahead of it in the order of eviction, so among
   * entries of similar sizes it stays cached until about t + size unless touch() moves those ahead past it (a
   * reader that touches what it uses every so often keeps it cached; touches do not move the clock, or such a
   * reader would have to touch ever more often).
   */
  get recencyClock(): number {
    return this.moves;
  }

  /** Entries held now. */
  get size(): number {
    return this.lru?.size ?? 0;
  }

  /** The cached value, ABSENT for a known deletion, undefined on a miss. */
  get(key: string): Cached<V> | undefined {
    const v = this.lru?.get(key);
    if (v === undefined) {
      this.misses += 1;
    } else {
      this.hits += 1;
      this.moves += 1;
    }
    return v;
  }

  /** The cached value without marking it used or counting a hit or miss. */
  peek(key: string): Cached<V> | undefined {
    return this.lru?.peek(key);
  }

  /**
   * Marks a key as just used, as get() does, for a reader that found its value elsewhere (see CacheListener). Not
   * counted as a hit: such readers count theirs with countHits().
   */
  touch(key: string): void {
    this.lru?.get(key);
  }

  /** Counts hits of readers that found values through a listener's view without a get() each. */
  countHits(n: number): void {
    this.hits += n;
  }

  set(key: string, value: Cached<V>): void {
    if (!this.lru) return;
    this.lru.set(key, value);
    this.moves += 1;
    // A value larger than the whole budget is not kept (and whatever the key held is gone).
    if (this.listener) this.listener(key, this.lru.peek(key) === value ? value : undefined);
  }

  /** Fills a key from a read unless a writer has set it meanwhile. */
  setIfAbsent(key: string, value: Cached<V>): void {
    if (this.lru && !this.lru.has(key)) this.set(key, value);
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
