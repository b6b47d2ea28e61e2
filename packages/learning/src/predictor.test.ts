import { describe, expect, it } from 'vitest';
import { prefixSpan } from '@engram/patterns';
import type { Sequence, SequentialPattern } from '@engram/patterns';
import { FirstOrderMarkov, MostFrequentItem } from './baselines.js';
import { PatternPredictor, reinforcePatterns } from './predictor.js';
import type { WeightState } from './weights.js';

/** Deterministic PRNG (mulberry32), so generated data is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

const seq = (...items: number[]): Sequence => items.map((x) => [x]);
const times = (n: number, s: Sequence): Sequence[] => Array.from({ length: n }, () => s);
const items = (ps: { item: number }[]) => ps.map((p) => p.item);

// A planted pattern 1 2 → 4 (20 sequences), while after 2 the globally most frequent item 3 is twice as common.
const A = 1;
const B = 2;
const C = 3;
const D = 4;
const planted: Sequence[] = [...times(20, seq(A, B, D)), ...times(40, seq(5, B, C)), ...times(30, seq(C, 6, C))];
const plantedPatterns = prefixSpan(planted, { minSupport: 2, maxGap: 0 });

describe('PatternPredictor', () => {
  it('predicts a planted pattern over the globally frequent item and first-order statistics', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    expect(p.predict([A, B], 1)[0]!.item).toBe(D);
    expect(new MostFrequentItem(planted).predict([A, B], 1)[0]!.item).toBe(C);
    expect(new FirstOrderMarkov(planted).predict([A, B], 1)[0]!.item).toBe(C);
    // A different longer context flips the answer back: 5 2 is followed by 3.
    expect(p.predict([5, B], 1)[0]!.item).toBe(C);
    expect(p.predict([9, 9, A, B], 1)[0]!.item).toBe(D); // only the end of the context matters
  });

  it('lists the supporting patterns, the most specific first', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    const top = p.predict([A, B], 1)[0]!;
    expect(top.patterns).toEqual(['1|2|4', '2|4']);
  });

  it('returns a distribution: probabilities sum to 1 over all items, sorted, ties by item', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    for (const ctx of [[A, B], [5, B], [C], [], [99]]) {
      const all = p.predict(ctx, p.itemCount);
      expect(all).toHaveLength(6);
      expect(all.reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 12);
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!, all[i]!];
        expect(a.probability > b.probability || (a.probability === b.probability && a.item < b.item)).toBe(true);
      }
    }
    expect(p.predict([A], 0)).toEqual([]);
    expect(() => p.predict([A], 1.5)).toThrow(RangeError);
  });

  it('falls back to item frequency when nothing matches', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    const top = p.predict([99], 6);
    // Sequence supports: 3 → 70, 2 → 60, 5 → 40, 6 → 30, 1 and 4 → 20.
    expect(items(top)).toEqual([3, 2, 5, 6, 1, 4]);
    expect(top[0]!.probability).toBeCloseTo(70 / 240, 12);
    expect(top[0]!.patterns).toEqual(['3']);
    expect(p.predict([], 6)).toEqual(top);
  });

  it('lets learned pattern and item weights change the ranking', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    const before = p.predict([A, B], 2);
    expect(items(before)).toEqual([D, C]);
    for (const key of before[0]!.patterns) p.setPatternWeight(key, 0.05);
    expect(p.patternWeight('1|2|4')).toBe(0.05);
    expect(p.predict([A, B], 1)[0]!.item).toBe(C);
    // The same through build options, and an item weight that restores 4.
    const q = PatternPredictor.build(plantedPatterns, { maxGap: 0, patternWeights: { '1|2|4': 0.05, '2|4': 0.05 } });
    expect(q.predict([A, B], 2)).toEqual(p.predict([A, B], 2));
    q.setItemWeight(D, 10);
    expect(q.predict([A, B], 1)[0]!.item).toBe(D);
    // Weighting a length-1 pattern moves the frequency fallback.
    q.setPatternWeight('6', 10);
    expect(q.predict([99], 1)[0]!.item).toBe(6);
    expect(q.setPatternWeight('7|7', 2)).toBe(false);
    expect(() => q.setPatternWeight('1|2|4', 0)).toThrow(RangeError);
  });

  it('learns from feedback: repeated negative rewards on the top prediction demote it', () => {
    const p = PatternPredictor.build(plantedPatterns, { maxGap: 0 });
    const states = new Map<string, WeightState>();
    let rounds = 0;
    while (p.predict([A, B], 1)[0]!.item === D) {
      const top = p.predict([A, B], 1)[0]!;
      const updated = reinforcePatterns(p, states, top.patterns, -1, rounds * 1000);
      expect([...updated.keys()]).toEqual(top.patterns);
      rounds++;
      expect(rounds).toBeLessThan(20);
    }
    expect(rounds).toBeGreaterThan(0);
    expect(states.get('1|2|4')!.weight).toBeLessThan(1);
    expect(p.patternWeight('1|2|4')).toBe(states.get('1|2|4')!.weight);
    // Positive rewards bring it back.
    for (let i = 0; i < 20 && p.predict([A, B], 1)[0]!.item !== D; i++) {
      reinforcePatterns(p, states, ['1|2|4', '2|4'], 1, (rounds + i) * 1000);
    }
    expect(p.predict([A, B], 1)[0]!.item).toBe(D);
  });

  it('is deterministic and independent of the order of the patterns', () => {
    const random = prng(7);
    const db: Sequence[] = Array.from({ length: 200 }, () =>
      Array.from({ length: 8 }, () => [Math.floor(random() * 10)]),
    );
    const patterns = prefixSpan(db, { minSupport: 3, maxLength: 3, maxGap: 1 });
    const a = PatternPredictor.build(patterns, { maxGap: 1, skipGap: 1 });
    const b = PatternPredictor.build(shuffle([...patterns], prng(1)), { maxGap: 1, skipGap: 1 });
    for (const s of db.slice(0, 30)) {
      const ctx = s.slice(0, 5);
      expect(b.predict(ctx, 5)).toEqual(a.predict(ctx, 5));
      expect(a.predict(ctx, 5)).toEqual(a.predict(ctx, 5));
    }
  });

  it('matches antecedents with the gap semantics of the mining, and skip contexts beyond them', () => {
    const db: Sequence[] = [...times(20, seq(1, 5, 2)), ...times(20, seq(7, 8, 3))];
    const gapped = prefixSpan(db, { minSupport: 2, maxGap: 1 });
    const contiguous = prefixSpan(db, { minSupport: 2, maxGap: 0 });
    // 1 then one unknown element: with maxGap 1, (1 → 5) and (1 → 2) still apply.
    const g = PatternPredictor.build(gapped, { maxGap: 1 }).predict([1, 99], 2);
    expect(items(g).sort()).toEqual([2, 5]);
    expect(g[0]!.patterns[0]).toMatch(/^1\|/);
    // Mined contiguously, nothing ends the context: item frequency (all supports tie at 20, so by item).
    const c = PatternPredictor.build(contiguous, { maxGap: 0 }).predict([1, 99], 2);
    expect(c.map((x) => x.patterns)).toEqual([['1'], ['2']]);
    // Two unknown elements are beyond maxGap 1, but within a skip context of one more.
    expect(PatternPredictor.build(gapped, { maxGap: 1 }).predict([1, 98, 99], 1)[0]!.patterns).toEqual(['1']);
    const skip = PatternPredictor.build(gapped, { maxGap: 1, skipGap: 1 }).predict([1, 98, 99], 2);
    expect(items(skip).sort()).toEqual([2, 5]);
  });

  it('predicts over itemset elements, with contexts of elements or bare items', () => {
    const db: Sequence[] = [...times(10, [[1, 2], [3]]), ...times(15, [[1], [4]]), ...times(10, [[5], [6, 7]])];
    const patterns = prefixSpan(db, { minSupport: 2 });
    // Little data: trust even antecedents seen in 10 sequences (the default κ = 30 would lean on frequency).
    const p = PatternPredictor.build(patterns, { shrinkage: 1 });
    expect(p.predict([[2, 1]], 1)[0]!.item).toBe(3); // unsorted element; {1,2} → 3 is the most specific rule
    expect(p.predict([1], 1)[0]!.item).toBe(4); // {1} → 4 (15) beats {1} → 3 (10)
    const after5 = p.predict([5], 2);
    expect(items(after5)).toEqual([6, 7]);
    expect(after5[0]!.probability).toBeCloseTo(after5[1]!.probability, 12);
    // {5} → {6}, {5} → {7} and {5} → {6, 7} give one rule per item, not two.
    expect(after5[0]!.patterns).toEqual(['5|6']);
  });

  it('learns from data that items do not repeat (recency calibration)', () => {
    // Random permutations of 8 of 12 items: an item never occurs twice in a sequence.
    const random = prng(3);
    const db: Sequence[] = Array.from({ length: 400 }, () =>
      shuffle(Array.from({ length: 12 }, (_, i) => i), random)
        .slice(0, 8)
        .map((x) => [x]),
    );
    const patterns = prefixSpan(db, { minSupport: 3, maxLength: 3, maxGap: 2 });
    const p = PatternPredictor.build(patterns, { maxGap: 2 });
    const ctx = [0, 1, 2, 3, 4];
    const before = items(p.predict(ctx, 7));
    expect(before.some((x) => ctx.includes(x))).toBe(true);
    const calibration = p.calibrate(db);
    expect(calibration.factors).toHaveLength(6);
    for (const f of calibration.factors.slice(0, -1)) expect(f).toBeLessThan(0.05);
    expect(calibration.factors.at(-1)!).toBeGreaterThan(1);
    expect(items(p.predict(ctx, 7)).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    // The calibration is plain data: another instance can use it.
    const q = PatternPredictor.build(patterns, { maxGap: 2, calibration: JSON.parse(JSON.stringify(calibration)) });
    expect(q.predict(ctx, 7)).toEqual(p.predict(ctx, 7));
    expect(() => q.setCalibration({ factors: [1] })).toThrow(RangeError);
  });

  it('handles a pattern set without the antecedents or length-1 patterns', () => {
    const only: SequentialPattern[] = [{ elements: [[1], [2], [3]], support: 4 }];
    const p = PatternPredictor.build(only);
    expect(p.predict([1, 2], 1)).toEqual([{ item: 3, probability: expect.any(Number), patterns: ['1|2|3'] }]);
    expect(p.predict([1, 2], 3).reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 12);
    expect(PatternPredictor.build([]).predict([1], 3)).toEqual([]);
  });

  it('builds from tens of thousands of patterns and predicts quickly', () => {
    const random = prng(42);
    const db: Sequence[] = [];
    for (let s = 0; s < 4000; s++) {
      const q: number[][] = [];
      let x = Math.floor(random() * 60);
      for (let i = 0; i < 15; i++) {
        q.push([x]);
        x = random() < 0.6 ? (x * 7 + 3) % 60 : Math.floor(random() * 60);
      }
      db.push(q);
    }
    const patterns = prefixSpan(db, { minSupport: 2, maxLength: 5, maxGap: 0 });
    expect(patterns.length).toBeGreaterThan(20_000);
    let t = performance.now();
    const p = PatternPredictor.build(patterns, { maxGap: 0 });
    const buildMs = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < 2000; i++) p.predict(db[i]!.slice(0, 10), 5);
    const predictMs = performance.now() - t;
    // Generous bounds for a shared machine; typical figures are ~10× lower.
    expect(buildMs).toBeLessThan(3000);
    expect(predictMs).toBeLessThan(3000);
  });
});
