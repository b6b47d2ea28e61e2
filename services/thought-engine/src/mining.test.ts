import { describe, expect, it } from 'vitest';
import type { Element, Item, Sequence } from '@engram/patterns';
import { containsPattern, mulberry32, randomSequenceDatabase } from '../../../packages/patterns/src/reference-sequences.js';
import { findOccurrence, patternId } from './mining.js';

// mine() needs the pool's built worker files, so it is covered by the cluster tests, not here.

/** The lexicographically smallest valid index tuple, by enumerating every tuple (small inputs only). */
function leftmostByEnumeration(seq: Sequence, pattern: readonly Element[], maxGap: number | undefined): number[] | undefined {
  const subset = (p: Element, e: Element) => p.every((x) => e.includes(x));
  const walk = (j: number, prev: number, at: number[]): number[] | undefined => {
    if (j === pattern.length) return at;
    for (let i = prev + 1; i < seq.length; i++) {
      if (j > 0 && maxGap !== undefined && i - prev - 1 > maxGap) break;
      if (!subset(pattern[j]!, seq[i]!)) continue;
      const found = walk(j + 1, i, [...at, i]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(0, -1, []);
}

/** Checks that `at` is an occurrence of pattern in seq under maxGap. */
function expectValidOccurrence(seq: Sequence, pattern: readonly Element[], maxGap: number | undefined, at: number[]) {
  expect(at).toHaveLength(pattern.length);
  at.forEach((i, j) => {
    for (const item of pattern[j]!) expect(seq[i]).toContain(item);
    if (j > 0) {
      expect(i).toBeGreaterThan(at[j - 1]!);
      if (maxGap !== undefined) expect(i - at[j - 1]! - 1).toBeLessThanOrEqual(maxGap);
    }
  });
}

describe('findOccurrence', () => {
  const seq: Sequence = [[1], [2], [3], [1], [2], [4]];

  it('finds the leftmost occurrence without a gap limit', () => {
    expect(findOccurrence(seq, [[1], [2]], undefined)).toEqual([0, 1]);
    expect(findOccurrence(seq, [[1], [4]], undefined)).toEqual([0, 5]);
    expect(findOccurrence(seq, [[3], [2]], undefined)).toEqual([2, 4]);
    expect(findOccurrence(seq, [[2], [1], [2]], undefined)).toEqual([1, 3, 4]);
    expect(findOccurrence(seq, [[4]], undefined)).toEqual([5]);
  });

  it('respects max_gap, moving right to an occurrence that fits', () => {
    // 1 … 4: from index 0 the gap is 4, from index 3 it is 1.
    expect(findOccurrence(seq, [[1], [4]], 0)).toBeUndefined();
    expect(findOccurrence(seq, [[1], [4]], 1)).toEqual([3, 5]);
    expect(findOccurrence(seq, [[1], [4]], 4)).toEqual([0, 5]);
    expect(findOccurrence(seq, [[1], [2]], 0)).toEqual([0, 1]);
    expect(findOccurrence(seq, [[1], [3]], 0)).toBeUndefined();
    expect(findOccurrence(seq, [[1], [3]], 1)).toEqual([0, 2]);
    expect(findOccurrence(seq, [[3], [1], [2], [4]], 0)).toEqual([2, 3, 4, 5]);
  });

  it('does not limit where the first element may start', () => {
    expect(findOccurrence(seq, [[2], [4]], 0)).toEqual([4, 5]);
  });

  it('backtracks past a first match that cannot be completed', () => {
    const s: Sequence = [[1], [9], [9], [1], [2]];
    expect(findOccurrence(s, [[1], [2]], 0)).toEqual([3, 4]);
    // 1 @0, 9 @1 leaves a gap of 2 before the 2 @4; 9 @2 leaves 1.
    expect(findOccurrence(s, [[1], [9], [2]], 1)).toEqual([0, 2, 4]);
    expect(findOccurrence(s, [[1], [9], [2]], 2)).toEqual([0, 1, 4]);
    expect(findOccurrence(s, [[1], [9], [2]], 0)).toBeUndefined();
  });

  it('matches itemset elements as subsets', () => {
    const s: Sequence = [[1, 2], [1, 3, 5], [2, 4], [1, 2, 3]];
    expect(findOccurrence(s, [[1, 3]], undefined)).toEqual([1]);
    expect(findOccurrence(s, [[1], [3, 5]], undefined)).toEqual([0, 1]);
    expect(findOccurrence(s, [[2], [1, 3]], undefined)).toEqual([0, 1]);
    expect(findOccurrence(s, [[2, 4], [2, 3]], undefined)).toEqual([2, 3]);
    expect(findOccurrence(s, [[1, 2, 3]], undefined)).toEqual([3]);
    expect(findOccurrence(s, [[1, 4]], undefined)).toBeUndefined();
    expect(findOccurrence(s, [[3, 5], [1, 2]], 0)).toBeUndefined();
    expect(findOccurrence(s, [[3, 5], [1, 2]], 1)).toEqual([1, 3]);
  });

  it('gives undefined when the pattern does not occur', () => {
    expect(findOccurrence(seq, [[7]], undefined)).toBeUndefined();
    expect(findOccurrence(seq, [[4], [1]], undefined)).toBeUndefined();
    expect(findOccurrence(seq, [[1], [1], [1]], undefined)).toBeUndefined();
    expect(findOccurrence([], [[1]], undefined)).toBeUndefined();
    expect(findOccurrence(seq, [[1], [2], [3], [1], [2], [4], [1]], undefined)).toBeUndefined();
  });

  it('finds the empty pattern anywhere', () => {
    expect(findOccurrence(seq, [], undefined)).toEqual([]);
    expect(findOccurrence([], [], 0)).toEqual([]);
  });

  it('agrees with containsPattern and finds the leftmost occurrence on seeded random cases', () => {
    const rand = mulberry32(20260101);
    let cases = 0;
    let found = 0;
    let missing = 0;
    while (cases < 600) {
      const db = randomSequenceDatabase(rand, { sequences: [2, 5], elements: [1, 8], itemsPerElement: [1, 3], alphabet: [3, 6] });
      const alphabet = Math.max(...db.flatMap((s) => s.flat()));
      for (const seq of db) {
        // Half the patterns are drawn from the sequence itself (so they tend to occur), half at random.
        const pattern: Item[][] = [];
        const length = 1 + Math.floor(rand() * 3);
        if (rand() < 0.5) {
          let at = Math.floor(rand() * seq.length);
          for (let j = 0; j < length && at < seq.length; j++) {
            const element = seq[at]!.filter(() => rand() < 0.7);
            pattern.push(element.length > 0 ? element : [seq[at]![0]!]);
            at += 1 + Math.floor(rand() * 3);
          }
        } else {
          for (let j = 0; j < length; j++) {
            const size = 1 + Math.floor(rand() * 2);
            const set = new Set<Item>();
            while (set.size < size) set.add(1 + Math.floor(rand() * alphabet));
            pattern.push([...set].sort((a, b) => a - b));
          }
        }
        for (const maxGap of [undefined, 0, 1, 2]) {
          const at = findOccurrence(seq, pattern, maxGap);
          expect(at !== undefined, JSON.stringify({ seq, pattern, maxGap })).toBe(containsPattern(seq, pattern, maxGap));
          expect(at).toEqual(leftmostByEnumeration(seq, pattern, maxGap));
          if (at) {
            expectValidOccurrence(seq, pattern, maxGap, at);
            found += 1;
          } else missing += 1;
          cases += 1;
        }
      }
    }
    // Both outcomes are well represented.
    expect(found).toBeGreaterThan(100);
    expect(missing).toBeGreaterThan(100);
  });
});

describe('patternId', () => {
  const ID = /^[A-Za-z0-9_-]{1,64}$/;

  it('is stable for the same strategy, item source and elements', () => {
    const a = patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['login'], ['search', 'view']]);
    const b = patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['login'], ['search', 'view']]);
    expect(a).toBe(b);
    expect(a).toMatch(ID);
    expect(a.startsWith('p_')).toBe(true);
  });

  it('differs for a different strategy, item source or elements', () => {
    const base = patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['a'], ['b']]);
    const others = [
      patternId('INDEXING_STRATEGY_NGRAM', 'ITEM_SOURCE_KIND', [['a'], ['b']]),
      patternId('INDEXING_STRATEGY_FPGROWTH', 'ITEM_SOURCE_KIND', [['a'], ['b']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_TAGS', [['a'], ['b']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_TERMS', [['a'], ['b']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['a', 'b']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['b'], ['a']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['a'], ['b'], ['b']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['ab']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', [['a']]),
      patternId('INDEXING_STRATEGY_PREFIXSPAN', 'ITEM_SOURCE_KIND', []),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('is a valid, distinct pattern id for many patterns', () => {
    const rand = mulberry32(7);
    const ids = new Map<string, string>();
    for (let n = 0; n < 500; n++) {
      const elements = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
        Array.from({ length: 1 + Math.floor(rand() * 2) }, () => `item-${Math.floor(rand() * 8)}-ü`),
      );
      const strategy = ['INDEXING_STRATEGY_PREFIXSPAN', 'INDEXING_STRATEGY_NGRAM'][Math.floor(rand() * 2)]!;
      const key = JSON.stringify([strategy, elements]);
      const id = patternId(strategy, 'ITEM_SOURCE_TAGS', elements);
      expect(id).toMatch(ID);
      if (ids.has(id)) expect(ids.get(id)).toBe(key);
      ids.set(id, key);
    }
  });
});
