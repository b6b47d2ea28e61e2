import { describe, expect, it } from 'vitest';
import { ABSENT, ByteLru, isAbsent } from '@engram/cache';

interface Item {
  name: string;
  size: number;
}

const item = (name: string, size = 10): Item => ({ name, size });
const lru = (maxBytes: number) => new ByteLru<Item>(maxBytes, (v) => v.size);

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
  it('counts each entry as key length plus value size', () => {
    const cache = lru(1000);
    cache.set('key', item('a', 40));
    expect(cache.stats().bytes).toBe(43);
    cache.set('k2', item('b', 7));
    expect(cache.stats().bytes).toBe(43 + 9);
  });

  it('evicts the least recently used entries once the byte budget is exceeded', () => {
    const cache = lru(100);
    for (const k of ['a', 'b', 'c']) cache.set(k, item(k, 30)); // 31 bytes each: 93
    expect(cache.stats()).toMatchObject({ entries: 3, bytes: 93 });
    cache.set('d', item('d', 30));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(100);
  });

  it('treats a read as a use, so the unread entry goes first', () => {
    const cache = lru(100);
    for (const k of ['a', 'b', 'c']) cache.set(k, item(k, 30));
    cache.get('a');
    cache.set('d', item('d', 30));
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('evicts as many entries as it takes to fit a large one', () => {
    const cache = lru(100);
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, item(k, 9)); // 10 bytes each
    cache.set('big', item('big', 77)); // 80 bytes
    expect(cache.get('big')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(100);
    expect(['a', 'b', 'c', 'd', 'e'].filter((k) => cache.get(k) !== undefined)).toEqual(['d', 'e']);
  });

  it('does not cache a value larger than the whole budget', () => {
    const cache = lru(100);
    cache.set('small', item('small', 10));
    cache.set('huge', item('huge', 500));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(100);
  });

  it('never exceeds its budget over many inserts of varied sizes', () => {
    const cache = lru(1000);
    for (let i = 0; i < 2000; i++) {
      cache.set(`k${i}`, item(`k${i}`, (i * 37) % 150));
      expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    }
    expect(cache.get('k1999')).toBeDefined();
  });

  it('counts a zero-sized entry as at least one byte', () => {
    const cache = lru(10);
    cache.set('', item('empty', 0));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 1 });
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

  it('costs its key length plus 8 bytes', () => {
    const cache = lru(1000);
    cache.set('gone', ABSENT);
    expect(cache.stats().bytes).toBe(4 + 8);
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
    const cache = lru(500);
    cache.set('a', item('a', 9));
    cache.set('b', item('b', 19));
    cache.get('a');
    cache.get('a');
    cache.get('b');
    cache.get('x');
    expect(cache.stats()).toEqual({ hits: 3, misses: 1, entries: 2, bytes: 10 + 20, maxBytes: 500 });
  });

  it('does not count setIfAbsent as a read', () => {
    const cache = lru(500);
    cache.set('a', item('a'));
    cache.setIfAbsent('a', item('b'));
    cache.setIfAbsent('c', item('c'));
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, entries: 2 });
  });
});
