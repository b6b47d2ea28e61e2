import { describe, expect, it } from 'vitest';
import { baseLevelActivation, bm25, cosine, idf, recency, type Bm25Params } from '@engram/cognition';
import { prng } from '@engram/cognition/testing';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

describe('recency', () => {
  it('is 1 when just touched and halves every half-life', () => {
    expect(recency(T0, T0, HOUR)).toBe(1);
    expect(recency(T0 + HOUR, T0, HOUR)).toBeCloseTo(0.5, 12);
    expect(recency(T0 + 2 * HOUR, T0, HOUR)).toBeCloseTo(0.25, 12);
    expect(recency(T0 + 10 * HOUR, T0, HOUR)).toBeCloseTo(2 ** -10, 15);
  });

  it('halves between any two points a half-life apart', () => {
    for (const elapsed of [0, 1, 1234, HOUR / 3, 5 * HOUR]) {
      expect(recency(T0 + elapsed + HOUR, T0, HOUR) / recency(T0 + elapsed, T0, HOUR)).toBeCloseTo(0.5, 12);
    }
  });

  it('treats a touch in the future as now', () => {
    expect(recency(T0, T0 + HOUR, HOUR)).toBe(1);
  });

  it('decreases with age', () => {
    let previous = Infinity;
    for (let h = 0; h <= 48; h += 3) {
      const r = recency(T0 + h * HOUR, T0, 24 * HOUR);
      expect(r).toBeLessThan(previous);
      expect(r).toBeGreaterThan(0);
      previous = r;
    }
  });
});

describe('baseLevelActivation', () => {
  /** ln(Σ t_j^-d) over presentations strictly before asOf, t in seconds, at least 1. */
  function exact(asOfMs: number, presentations: readonly number[], d: number): number {
    let sum = 0;
    for (const p of presentations) if (p < asOfMs) sum += Math.max(1, (asOfMs - p) / 1000) ** -d;
    return Math.log(sum);
  }

  it('equals ln(Σ t^-d) exactly when the whole history is kept', () => {
    const created = T0;
    const accesses = [T0 + 60_000, T0 + 3_600_000, T0 + 7_200_000, T0 + 86_400_000];
    for (const d of [0.3, 0.5, 0.8]) {
      for (const asOf of [T0 + 86_400_001, T0 + 90_000_000, T0 + 30 * 86_400_000]) {
        const b = baseLevelActivation(asOf, { createdMs: created, recentMs: accesses, total: 1 + accesses.length }, d);
        expect(b).toBeCloseTo(exact(asOf, [created, ...accesses], d), 12);
      }
    }
  });

  it('takes the square-root path for d = 0.5 to the same values as the power formula', () => {
    const rand = prng(7);
    for (let n = 0; n < 500; n++) {
      const kept = Math.floor(rand() * 17);
      const accesses = Array.from({ length: kept }, () => T0 + Math.floor(rand() * 30 * 86_400_000));
      const history = { createdMs: T0, recentMs: accesses, total: 1 + kept + Math.floor(rand() * 50) };
      const asOf = T0 + Math.floor(rand() * 40 * 86_400_000);
      // d a hair off 0.5 takes the general path; the two agree far below any ranking difference.
      expect(baseLevelActivation(asOf, history, 0.5)).toBeCloseTo(baseLevelActivation(asOf, history, 0.5 + 1e-13), 9);
    }
  });

  it('does not depend on the order of the kept accesses', () => {
    const accesses = [T0 + 5000, T0 + 1000, T0 + 9000, T0 + 3000];
    const a = baseLevelActivation(T0 + 20_000, { createdMs: T0, recentMs: accesses, total: 5 }, 0.5);
    const b = baseLevelActivation(T0 + 20_000, { createdMs: T0, recentMs: [...accesses].sort(), total: 5 }, 0.5);
    expect(a).toBeCloseTo(b, 12);
  });

  it('is ln(t^-d) = -d·ln t for a single presentation', () => {
    expect(baseLevelActivation(T0 + 100_000, { createdMs: T0, recentMs: [], total: 1 }, 0.5)).toBeCloseTo(-0.5 * Math.log(100), 12);
  });

  it('counts ages under a second as one second', () => {
    expect(baseLevelActivation(T0 + 10, { createdMs: T0, recentMs: [], total: 1 }, 0.5)).toBe(0);
    expect(baseLevelActivation(T0 + 10, { createdMs: T0, recentMs: [T0 + 5], total: 2 }, 0.5)).toBeCloseTo(Math.log(2), 12);
  });

  it('ignores presentations at or after asOf', () => {
    const withFuture = baseLevelActivation(T0 + 10_000, { createdMs: T0, recentMs: [T0 + 5_000, T0 + 10_000, T0 + 50_000], total: 4 }, 0.5);
    expect(withFuture).toBeCloseTo(exact(T0 + 10_000, [T0, T0 + 5_000], 0.5), 12);
  });

  it.each([
    // presentations, kept, spacing, decay, gap after the last presentation
    [100, 16, 60_000, 0.5, 60_000],
    [50, 4, HOUR, 0.5, 1000],
    [200, 16, 1000, 0.3, 500_000],
    [20, 1, 24 * HOUR, 0.7, 1000],
    [300, 8, 10_000, 0.5, 5000],
    [1000, 16, 5 * 60_000, 0.5, HOUR],
  ])('approximates %i evenly spaced presentations, %i kept, within 5%% of the exact sum', (n, keep, spacing, d, gap) => {
    const presentations = Array.from({ length: n }, (_, i) => T0 + i * spacing);
    const asOf = presentations.at(-1)! + gap;
    const approx = baseLevelActivation(asOf, { createdMs: T0, recentMs: presentations.slice(n - keep), total: n }, d);
    const truth = exact(asOf, presentations, d);
    expect(Math.abs(Math.exp(approx) / Math.exp(truth) - 1)).toBeLessThan(0.05);
  });

  it('approximates well when no access is kept at all', () => {
    const presentations = Array.from({ length: 10 }, (_, i) => T0 + i * 1000);
    const asOf = T0 + 86_400_000;
    const approx = baseLevelActivation(asOf, { createdMs: T0, recentMs: [], total: 10 }, 0.5);
    expect(Math.abs(Math.exp(approx) / Math.exp(exact(asOf, presentations, 0.5)) - 1)).toBeLessThan(0.05);
  });

  it('grows with practice and decays with time', () => {
    const asOf = T0 + 86_400_000;
    const once = baseLevelActivation(asOf, { createdMs: T0, recentMs: [], total: 1 }, 0.5);
    const thrice = baseLevelActivation(asOf, { createdMs: T0, recentMs: [T0 + HOUR, T0 + 2 * HOUR], total: 3 }, 0.5);
    const later = baseLevelActivation(asOf + 86_400_000, { createdMs: T0, recentMs: [T0 + HOUR, T0 + 2 * HOUR], total: 3 }, 0.5);
    expect(thrice).toBeGreaterThan(once);
    expect(later).toBeLessThan(thrice);
  });
});

describe('idf', () => {
  it('is non-negative and falls as a term gets more common', () => {
    let previous = Infinity;
    for (let df = 1; df <= 100; df++) {
      const v = idf(df, 100);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(previous);
      previous = v;
    }
  });

  it('is Lucene\'s ln(1 + (N - df + 0.5) / (df + 0.5))', () => {
    expect(idf(3, 10)).toBeCloseTo(Math.log(1 + 7.5 / 3.5), 12);
  });
});

describe('bm25', () => {
  const p: Bm25Params = { averageLength: 10, k1: 1.2, b: 0.75 };
  const N = 100;
  /** BM25 of a document holding the given terms (tf and df of each) in a collection of N documents. */
  const of = (matches: { tf: number; df: number }[], length: number, params = p) =>
    bm25(
      matches.map((m) => m.tf),
      matches.map((m) => idf(m.df, N)),
      length,
      params,
    );

  it('is 0 without matches', () => {
    expect(of([], 10)).toBe(0);
    expect(bm25([0, 0], [1, 2], 10, p)).toBe(0);
  });

  it('rises with term frequency and saturates below idf·(k1+1)', () => {
    let previous = 0;
    for (let tf = 1; tf <= 50; tf++) {
      const s = of([{ tf, df: 5 }], 10);
      expect(s).toBeGreaterThan(previous);
      expect(s).toBeLessThan(idf(5, N) * (p.k1 + 1));
      previous = s;
    }
  });

  it('rises with idf (rarer terms weigh more)', () => {
    let previous = Infinity;
    for (let df = 1; df <= 100; df += 9) {
      const s = of([{ tf: 2, df }], 10);
      expect(s).toBeLessThan(previous);
      previous = s;
    }
  });

  it('favours shorter documents when b > 0, and ignores length when b = 0', () => {
    expect(of([{ tf: 2, df: 5 }], 5)).toBeGreaterThan(of([{ tf: 2, df: 5 }], 50));
    const flat = { ...p, b: 0 };
    expect(of([{ tf: 2, df: 5 }], 5, flat)).toBeCloseTo(of([{ tf: 2, df: 5 }], 50, flat), 12);
  });

  it('sums over matched terms', () => {
    const a = { tf: 1, df: 3 };
    const b = { tf: 4, df: 40 };
    expect(of([a, b], 12)).toBeCloseTo(of([a], 12) + of([b], 12), 12);
  });

  it('skips the query terms a document does not hold, even where k1 = 0 would make them 0/0', () => {
    expect(bm25([0, 3, 0], [9, idf(7, N), 9], 20, p)).toBe(of([{ tf: 3, df: 7 }], 20));
    expect(bm25([0, 3], [9, idf(7, N)], 20, { ...p, k1: 0 })).toBeCloseTo(idf(7, N), 12);
  });

  it('reads one document\'s frequencies from a row of many side by side', () => {
    const idfs = [idf(7, N), idf(30, N)];
    const rows = [0, 3, 2, 0, 5, 1];
    for (let d = 0; d < 3; d++) expect(bm25(rows, idfs, 12 + d, p, 2 * d)).toBe(bm25(rows.slice(2 * d, 2 * d + 2), idfs, 12 + d, p));
  });

  it('matches the formula for one term', () => {
    const norm = p.k1 * (1 - p.b + (p.b * 20) / p.averageLength);
    expect(of([{ tf: 3, df: 7 }], 20)).toBeCloseTo((idf(7, N) * 3 * (p.k1 + 1)) / (3 + norm), 12);
  });

  it('stays finite with an average length of 0', () => {
    expect(Number.isFinite(of([{ tf: 1, df: 1 }], 0, { ...p, averageLength: 0 }))).toBe(true);
  });
});

describe('cosine', () => {
  it('is 1 for the same direction, -1 for the opposite, 0 for orthogonal', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 12);
    expect(cosine([1, 0], [0, 5])).toBe(0);
  });

  it('matches the definition', () => {
    expect(cosine([1, 2], [3, 4])).toBeCloseTo(11 / (Math.sqrt(5) * 5), 12);
  });

  it('accepts typed arrays', () => {
    expect(cosine(Float32Array.from([1, 1]), [1, 1])).toBeCloseTo(1, 6);
  });

  it('is undefined for different dimensions, empty or zero vectors', () => {
    expect(cosine([1, 2], [1, 2, 3])).toBeUndefined();
    expect(cosine([], [])).toBeUndefined();
    expect(cosine([0, 0], [1, 1])).toBeUndefined();
    expect(cosine([1, 1], [0, 0])).toBeUndefined();
  });
});
