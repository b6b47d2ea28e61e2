import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ABSENT, ByteLru, ENTRY_BYTES, isAbsent, stringHeapBytes } from '@engram/cache';

interface Item {
  name: string;
  size: number;
}

const item = (name: string, size = 10): Item => ({ name, size });
const lru = (maxBytes: number) => new ByteLru<Item>(maxBytes, (v) => v.size);
/** What an entry of a one-character key and a value of `size` counts. */
const cost = (size: number, key = 'k') => ENTRY_BYTES + stringHeapBytes(key) + size;

describe('ByteLru basics', () => {
  it('returns what was set and undefined on a miss', () => {
    const cache = lru(1000);
    const a = item('a');
    cache.set('a', a);
    expect(cache.get('a')).toBe(a);
    expect(cache.get('b')).toBeUndefined();
  });

  it('overwrites on set', () => {
    const cache = lru(1000);
    cache.set('a', item('first'));
    cache.set('a', item('second'));
    expect((cache.get('a') as Item).name).toBe('second');
    expect(cache.stats().entries).toBe(1);
  });

  it('deletes one key and clears all', () => {
    const cache = lru(1000);
    cache.set('a', item('a'));
    cache.set('b', item('b'));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe('ByteLru eviction by size', () => {
  it('counts each entry as its bookkeeping, its key\'s heap bytes and its value\'s size', () => {
    const cache = lru(10_000);
    cache.set('key', item('a', 40));
    expect(cache.stats().bytes).toBe(ENTRY_BYTES + 24 + 40);
    cache.set('k2', item('b', 7));
    expect(cache.stats().bytes).toBe(ENTRY_BYTES + 24 + 40 + ENTRY_BYTES + 24 + 7);
  });

  it('evicts the least recently used entries once the byte budget is exceeded', () => {
    const cache = lru(3 * cost(30) + 10);
    for (const k of ['a', 'b', 'c']) cache.set(k, item(k, 30));
    expect(cache.stats()).toMatchObject({ entries: 3, bytes: 3 * cost(30) });
    cache.set('d', item('d', 30));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * cost(30) + 10);
  });

  it('treats a read as a use, so the unread entry goes first', () => {
    const cache = lru(3 * cost(30) + 10);
    for (const k of ['a', 'b', 'c']) cache.set(k, item(k, 30));
    cache.get('a');
    cache.set('d', item('d', 30));
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('evicts as many entries as it takes to fit a large one', () => {
    const budget = 5 * cost(10);
    const cache = lru(budget);
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, item(k, 10));
    cache.set('big', item('big', budget - 2 * cost(10) - ENTRY_BYTES - stringHeapBytes('big'))); // leaves room for two
    expect(cache.get('big')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(budget);
    expect(['a', 'b', 'c', 'd', 'e'].filter((k) => cache.get(k) !== undefined)).toEqual(['d', 'e']);
  });

  it('does not cache a value larger than the whole budget', () => {
    const cache = lru(1000);
    cache.set('small', item('small', 10));
    cache.set('huge', item('huge', 5000));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
  });

  it('never exceeds its budget over many inserts of varied sizes', () => {
    const cache = lru(5000);
    for (let i = 0; i < 2000; i++) {
      cache.set(`k${i}`, item(`k${i}`, (i * 37) % 1500));
      expect(cache.stats().bytes).toBeLessThanOrEqual(5000);
    }
    expect(cache.get('k1999')).toBeDefined();
  });

  it('counts an entry with an empty key and a zero-sized value by its bookkeeping', () => {
    const cache = lru(1000);
    cache.set('', item('empty', 0));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: ENTRY_BYTES + 16 });
  });
});

describe('stringHeapBytes', () => {
  it('is a 16-byte header and a byte a Latin-1 character, rounded up to 8', () => {
    expect(stringHeapBytes('')).toBe(16);
    expect(stringHeapBytes('a')).toBe(24);
    expect(stringHeapBytes('12345678')).toBe(24);
    expect(stringHeapBytes('123456789')).toBe(32);
    expect(stringHeapBytes('café')).toBe(24);
  });

  it('counts two bytes a character for a string with any character outside Latin-1', () => {
    expect(stringHeapBytes('東京')).toBe(24);
    expect(stringHeapBytes('abcdefgh ✓')).toBe(16 + 24);
  });
});

describe('ByteLru against the heap', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapUsed = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };

  it('counts roughly the heap its entries take, keys built by concatenation included', () => {
    // Keys as the engine builds them: parts joined by a template literal, the id itself built piece by piece (as
    // ulid does); unflattened, such a key costs several times its flat size.
    const n = 20_000;
    const parts = Array.from({ length: 100 }, (_, i) => `subject-${i}`);
    const id = (i: number) => {
      let s = '';
      for (const c of String(i).padStart(26, '0')) s = c + s;
      return s;
    };
    const before = heapUsed();
    const cache = new ByteLru<Item>(2 ** 40, () => 0);
    for (let i = 0; i < n; i++) cache.set(`m\x00tenant\x00${parts[i % 100]}\x00${id(i)}`, ABSENT);
    const measured = heapUsed() - before;
    const counted = cache.stats().bytes;
    expect(cache.stats().entries).toBe(n);
    // Measured ~1.1 (lru-cache's arrays grow in steps, so its bookkeeping per entry varies); keys left as trees of
    // pieces would bring it under 0.5.
    expect(counted / measured, `counted ${counted} vs measured ${measured}`).toBeGreaterThan(0.7);
    expect(counted / measured, `counted ${counted} vs measured ${measured}`).toBeLessThan(1.35);
  });
});

describe('ByteLru setIfAbsent', () => {
  it('fills a key that nobody has set', () => {
    const cache = lru(1000);
    const a = item('from-read');
    cache.setIfAbsent('a', a);
    expect(cache.get('a')).toBe(a);
  });

  it('does not overwrite a value a writer set', () => {
    const cache = lru(1000);
    cache.set('a', item('from-write'));
    cache.setIfAbsent('a', item('stale-read'));
    expect((cache.get('a') as Item).name).toBe('from-write');
  });

  it('does not overwrite a known deletion', () => {
    const cache = lru(1000);
    cache.set('a', ABSENT);
    cache.setIfAbsent('a', item('stale-read'));
    expect(cache.get('a')).toBe(ABSENT);
  });

  it('fills again after the key was deleted from the cache', () => {
    const cache = lru(1000);
    cache.set('a', item('old'));
    cache.delete('a');
    cache.setIfAbsent('a', item('fresh'));
    expect((cache.get('a') as Item).name).toBe('fresh');
  });
});

describe('ByteLru ABSENT marker', () => {
  it('is cached, told apart from values, and frozen', () => {
    const cache = lru(1000);
    cache.set('gone', ABSENT);
    const v = cache.get('gone');
    expect(v).toBe(ABSENT);
    expect(isAbsent(v!)).toBe(true);
    expect(isAbsent(item('x'))).toBe(false);
    expect(Object.isFrozen(ABSENT)).toBe(true);
  });

  it('costs its entry and key only (the marker is shared)', () => {
    const cache = lru(1000);
    cache.set('gone', ABSENT);
    expect(cache.stats().bytes).toBe(ENTRY_BYTES + stringHeapBytes('gone'));
  });

  it('counts a read of ABSENT as a hit', () => {
    const cache = lru(1000);
    cache.set('gone', ABSENT);
    cache.get('gone');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
  });
});

describe('ByteLru with maxBytes 0', () => {
  it('caches nothing', () => {
    const cache = lru(0);
    cache.set('a', item('a'));
    cache.setIfAbsent('b', item('b'));
    cache.set('c', ABSENT);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
    cache.delete('a');
    cache.clear();
    expect(cache.stats()).toEqual({ hits: 0, misses: 3, entries: 0, bytes: 0, maxBytes: 0 });
  });
});

describe('ByteLru stats', () => {
  it('counts hits, misses, entries and bytes', () => {
    const cache = lru(5000);
    cache.set('a', item('a', 9));
    cache.set('b', item('b', 19));
    cache.get('a');
    cache.get('a');
    cache.get('b');
    cache.get('x');
    expect(cache.stats()).toEqual({ hits: 3, misses: 1, entries: 2, bytes: cost(9, 'a') + cost(19, 'b'), maxBytes: 5000 });
  });

  it('does not count setIfAbsent as a read', () => {
    const cache = lru(5000);
    cache.set('a', item('a'));
    cache.setIfAbsent('a', item('b'));
    cache.setIfAbsent('c', item('c'));
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, entries: 2 });
  });
});

describe('ByteLru listener', () => {
  const watched = (maxBytes: number) => {
    const seen: [string, string | undefined][] = [];
    const cache = new ByteLru<Item>(maxBytes, (v) => v.size, (key, value) => seen.push([key, value === undefined ? undefined : isAbsent(value) ? 'ABSENT' : value.name]));
    return { cache, seen };
  };

  it('is told every value a key takes and when the key leaves (evicted, deleted, cleared, too large to keep)', () => {
    const { cache, seen } = watched(2 * cost(30) + 10);
    cache.set('a', item('a1', 30));
    cache.set('a', item('a2', 30));
    cache.setIfAbsent('a', item('ignored', 30));
    cache.setIfAbsent('b', item('b', 30));
    cache.set('c', item('c', 30)); // evicts a
    cache.set('b', ABSENT);
    cache.delete('c');
    cache.set('b', item('huge', 10_000));
    cache.set('d', item('d', 30));
    cache.clear();
    expect(seen).toEqual([
      ['a', 'a1'],
      ['a', 'a2'],
      ['b', 'b'],
      ['a', undefined],
      ['c', 'c'],
      ['b', 'ABSENT'],
      ['c', undefined],
      ['b', undefined],
      ['d', 'd'],
      ['d', undefined],
    ]);
  });

  it('is not told anything when the cache is off', () => {
    const { cache, seen } = watched(0);
    cache.set('a', item('a'));
    cache.setIfAbsent('b', item('b'));
    expect(seen).toEqual([]);
  });
});

describe('ByteLru reads without get()', () => {
  it('peeks without counting or moving an entry; touch moves it without counting; countHits counts', () => {
    const cache = lru(3 * cost(30) + 10);
    for (const k of ['a', 'b', 'c']) cache.set(k, item(k, 30));
    expect((cache.peek('a') as Item).name).toBe('a');
    cache.set('d', item('d', 30)); // a was not moved by peek: evicted
    expect(cache.peek('a')).toBeUndefined();
    cache.touch('b');
    cache.set('e', item('e', 30)); // b was moved by touch: c goes
    expect(cache.peek('b')).toBeDefined();
    expect(cache.peek('c')).toBeUndefined();
    cache.countHits(5);
    expect(cache.stats()).toMatchObject({ hits: 5, misses: 0, entries: 3 });
  });

  it('moves its recency clock on set() and on get() hits, not on touch(), peek() or misses', () => {
    const cache = lru(5000);
    cache.set('a', item('a'));
    cache.setIfAbsent('a', item('x'));
    cache.setIfAbsent('b', item('b'));
    cache.get('a');
    cache.get('zz');
    cache.touch('a');
    cache.peek('b');
    expect(cache.recencyClock).toBe(3);
    expect(cache.size).toBe(2);
  });
});
