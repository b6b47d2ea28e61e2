import { describe, expect, it } from 'vitest';
import type { Sequence } from '@engram/patterns';
import { FirstOrderMarkov, MostFrequentItem } from './baselines.js';

const seq = (...items: number[]): Sequence => items.map((x) => [x]);
const times = (n: number, s: Sequence): Sequence[] => Array.from({ length: n }, () => s);

// 3 is the most frequent item overall (2·30 + 40 = 100 occurrences); after 2 comes 3 (40×) or 4 (20×).
const db: Sequence[] = [...times(20, seq(1, 2, 4)), ...times(40, seq(5, 2, 3)), ...times(30, seq(3, 6, 3))];

describe('MostFrequentItem', () => {
  it('predicts the most frequent items whatever the context, ties by item', () => {
    const m = new MostFrequentItem(db);
    const top = m.predict([1, 2], 6);
    expect(top.map((p) => p.item)).toEqual([3, 2, 5, 6, 1, 4]);
    expect(top[0]!.probability).toBeCloseTo(100 / 270, 12);
    expect(m.predict([], 2)).toEqual(m.predict([9, 9, 9], 2));
    expect(top.every((p) => p.patterns.length === 0)).toBe(true);
    expect(m.predict([1], 0)).toEqual([]);
    expect(() => m.predict([1], -1)).toThrow(RangeError);
  });
});

describe('FirstOrderMarkov', () => {
  it('ranks by transition count from the last item', () => {
    const m = new FirstOrderMarkov(db);
    const top = m.predict([1, 2], 2);
    expect(top.map((p) => p.item)).toEqual([3, 4]);
    // P ∝ count + P₀: (40 + 100/270) / (60 + 1).
    expect(top[0]!.probability).toBeCloseTo((40 + 100 / 270) / 61, 12);
    expect(m.predict([6], 1)[0]!.item).toBe(3);
  });

  it('fills the top k, and falls back to frequency for an unseen or final item', () => {
    const m = new FirstOrderMarkov(db);
    // After 1 only 2 was seen; the rest of the top 3 are the most frequent other items.
    expect(m.predict([1], 3).map((p) => p.item)).toEqual([2, 3, 5]);
    expect(m.predict([99], 3).map((p) => p.item)).toEqual([3, 2, 5]);
    expect(m.predict([4], 2).map((p) => p.item)).toEqual([3, 2]); // 4 only ever ends a sequence
    expect(m.predict([], 1).map((p) => p.item)).toEqual([3]);
  });

  it('counts transitions between every item of consecutive elements', () => {
    const m = new FirstOrderMarkov([[[1, 2], [3]], [[2], [4]], [[2], [4]]]);
    expect(m.predict([[1, 2]], 1)[0]!.item).toBe(4); // 2→4 twice beats 1→3 plus 2→3 once each
    expect(m.predict([[1]], 1)[0]!.item).toBe(3);
  });
});
