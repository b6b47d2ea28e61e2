import { describe, expect, it } from 'vitest';
import {
  compareRank,
  compareRankOf,
  emptyRange,
  emptyRanges,
  include,
  isAfter,
  mergeRanges,
  normalise,
  score,
  scoreOf,
  type Raw,
  type RankKey,
  type Ranges,
  type Weights,
} from '@engram/cognition';
import { prng } from './testing.js';

function randomRaw(random: () => number): Raw {
  return {
    recency: random(),
    importance: random(),
    bm25: random() < 0.3 ? undefined : random() * 20,
    cosine: random() < 0.3 ? undefined : random() * 2 - 1,
    activation: random() * 10 - 5,
  };
}

function rangesOf(raws: readonly Raw[]): Ranges {
  const r = emptyRanges();
  for (const raw of raws) include(r, raw);
  return r;
}

const raw = (p: Partial<Raw> = {}): Raw => ({ recency: 0, importance: 0, bm25: undefined, cosine: undefined, activation: 0, ...p });
const ONLY = (key: keyof Weights): Weights => ({ recency: 0, importance: 0, relevance: 0, activation: 0, [key]: 1 });

describe('normalise', () => {
  const r = { min: 2, max: 6, empty: false };

  it('maps the range onto 0..1', () => {
    expect(normalise(2, r)).toBe(0);
    expect(normalise(6, r)).toBe(1);
    expect(normalise(3, r)).toBe(0.25);
  });

  it('is 1 in a flat range (every candidate ties for the best), 0 for an empty range or a missing value', () => {
    expect(normalise(5, { min: 5, max: 5, empty: false })).toBe(1);
    expect(normalise(5, emptyRange())).toBe(0);
    expect(normalise(undefined, r)).toBe(0);
  });
});

describe('include', () => {
  it('widens each component range and skips missing relevance values', () => {
    const r = rangesOf([raw({ recency: 0.5, bm25: 3, activation: -1 }), raw({ recency: 0.2, importance: 0.9, activation: 2 })]);
    expect(r.recency).toEqual({ min: 0.2, max: 0.5, empty: false });
    expect(r.importance).toEqual({ min: 0, max: 0.9, empty: false });
    expect(r.bm25).toEqual({ min: 3, max: 3, empty: false });
    expect(r.cosine).toEqual(emptyRange());
    expect(r.activation).toEqual({ min: -1, max: 2, empty: false });
  });
});

describe('mergeRanges', () => {
  it('equals the ranges of the union, for random splits', () => {
    const random = prng(11);
    for (let round = 0; round < 200; round++) {
      const all = Array.from({ length: Math.floor(random() * 12) }, () => randomRaw(random));
      const cut = Math.floor(random() * (all.length + 1));
      const [a, b] = [all.slice(0, cut), all.slice(cut)];
      expect(mergeRanges(rangesOf(a), rangesOf(b))).toEqual(rangesOf(all));
      expect(mergeRanges(rangesOf(b), rangesOf(a))).toEqual(rangesOf(all));
    }
  });

  it('merges many shards in any grouping', () => {
    const random = prng(5);
    const shards = Array.from({ length: 5 }, () => Array.from({ length: 4 }, () => randomRaw(random)));
    const left = shards.map(rangesOf).reduce((acc, r) => mergeRanges(acc, r), emptyRanges());
    const right = shards.map(rangesOf).reduceRight((acc, r) => mergeRanges(r, acc), emptyRanges());
    expect(left).toEqual(rangesOf(shards.flat()));
    expect(right).toEqual(left);
  });

  it('returns new ranges without aliasing its inputs', () => {
    const a = rangesOf([raw({ recency: 1 })]);
    const b = emptyRanges();
    const merged = mergeRanges(a, b);
    merged.recency.min = -99;
    expect(a.recency.min).toBe(1);
    const merged2 = mergeRanges(b, a);
    merged2.recency.max = 99;
    expect(a.recency.max).toBe(1);
  });
});

describe('score', () => {
  const ranges = rangesOf([
    raw({ recency: 0, importance: 0, bm25: 0, cosine: -1, activation: -2 }),
    raw({ recency: 1, importance: 1, bm25: 10, cosine: 1, activation: 2 }),
  ]);
  const mid = raw({ recency: 0.5, importance: 0.25, bm25: 5, cosine: 0, activation: 1 });
  const cues = { text: true, vector: true };

  it('gives the normalised components', () => {
    expect(score(mid, ranges, ONLY('recency'), cues).components).toEqual({ recency: 0.5, importance: 0.25, relevance: 0.5, activation: 0.75 });
  });

  it('is the weighted sum of the components', () => {
    const w = { recency: 2, importance: 4, relevance: 1, activation: 0.5 };
    expect(score(mid, ranges, w, cues).score).toBeCloseTo(2 * 0.5 + 4 * 0.25 + 1 * 0.5 + 0.5 * 0.75, 12);
  });

  it('counts each component only through its own weight', () => {
    expect(score(mid, ranges, ONLY('recency'), cues).score).toBe(0.5);
    expect(score(mid, ranges, ONLY('importance'), cues).score).toBe(0.25);
    expect(score(mid, ranges, ONLY('relevance'), cues).score).toBe(0.5);
    expect(score(mid, ranges, ONLY('activation'), cues).score).toBe(0.75);
    expect(score(mid, ranges, { recency: 0, importance: 0, relevance: 0, activation: 0 }, cues).score).toBe(0);
  });

  it('takes relevance from BM25 with a text cue, cosine with a vector cue, their mean with both', () => {
    const m = raw({ bm25: 10, cosine: -1 });
    expect(score(m, ranges, ONLY('relevance'), { text: true, vector: false }).components.relevance).toBe(1);
    expect(score(m, ranges, ONLY('relevance'), { text: false, vector: true }).components.relevance).toBe(0);
    expect(score(m, ranges, ONLY('relevance'), { text: true, vector: true }).components.relevance).toBe(0.5);
    expect(score(m, ranges, ONLY('relevance'), { text: false, vector: false }).components.relevance).toBe(0);
  });

  it('gives 0 relevance for a memory without a comparable embedding', () => {
    expect(score(raw({ bm25: 10 }), ranges, ONLY('relevance'), { text: false, vector: true }).components.relevance).toBe(0);
  });

  it('keeps every component within 0..1 for candidates inside the ranges', () => {
    const random = prng(3);
    const raws = Array.from({ length: 50 }, () => randomRaw(random));
    const r = rangesOf(raws);
    for (const x of raws) {
      for (const v of Object.values(score(x, r, ONLY('recency'), cues).components)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('scoreOf', () => {
  it('is score().score to the bit, for every combination of cues and weights', () => {
    const random = prng(9);
    const raws = Array.from({ length: 200 }, () => randomRaw(random));
    const ranges = rangesOf(raws);
    for (const raw of raws) {
      const weights = { recency: random() * 3, importance: random(), relevance: random() * 2, activation: random() < 0.3 ? 0 : random() };
      for (const cues of [
        { text: false, vector: false },
        { text: true, vector: false },
        { text: false, vector: true },
        { text: true, vector: true },
      ]) {
        expect(Object.is(scoreOf(raw, ranges, weights, cues), score(raw, ranges, weights, cues).score)).toBe(true);
      }
    }
  });
});

describe('compareRank', () => {
  it('orders by score descending, then subject, then id ascending', () => {
    const keys: RankKey[] = [
      { score: 1, subject: 'b', id: '2' },
      { score: 2, subject: 'z', id: '9' },
      { score: 1, subject: 'a', id: '3' },
      { score: 1, subject: 'b', id: '1' },
    ];
    expect([...keys].sort(compareRank)).toEqual([
      { score: 2, subject: 'z', id: '9' },
      { score: 1, subject: 'a', id: '3' },
      { score: 1, subject: 'b', id: '1' },
      { score: 1, subject: 'b', id: '2' },
    ]);
  });

  it('is 0 only for equal keys', () => {
    expect(compareRank({ score: 1, subject: 'a', id: 'x' }, { score: 1, subject: 'a', id: 'x' })).toBe(0);
    expect(compareRank({ score: 1, subject: 'a', id: 'x' }, { score: 1, subject: 'a', id: 'y' })).not.toBe(0);
  });

  it('is a total order: antisymmetric and consistent with sorting', () => {
    const random = prng(99);
    const keys: RankKey[] = Array.from({ length: 60 }, () => ({
      score: Math.floor(random() * 4) / 4,
      subject: ['a', 'ab', 'b'][Math.floor(random() * 3)]!,
      id: String(Math.floor(random() * 5)),
    }));
    for (const a of keys) for (const b of keys) expect(Math.sign(compareRank(a, b)) + Math.sign(compareRank(b, a))).toBe(0);
    const sorted = [...keys].sort(compareRank);
    for (let i = 1; i < sorted.length; i++) expect(compareRank(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
    for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) expect(compareRank(sorted[i]!, sorted[j]!)).toBeLessThanOrEqual(0);
  });
});

describe('compareRankOf', () => {
  it('is compareRank on the keys\' parts', () => {
    const random = prng(13);
    const keys: RankKey[] = Array.from({ length: 30 }, () => ({ score: Math.floor(random() * 3), subject: `s${Math.floor(random() * 2)}`, id: `i${Math.floor(random() * 3)}` }));
    for (const a of keys) for (const b of keys) expect(compareRankOf(a.score, a.subject, a.id, b.score, b.subject, b.id)).toBe(compareRank(a, b));
  });
});

describe('isAfter', () => {
  it('is strict: a key is not after itself', () => {
    const k = { score: 0.5, subject: 's', id: 'i' };
    expect(isAfter(k, k)).toBe(false);
  });

  it('follows result order', () => {
    const cursor = { score: 0.5, subject: 'm', id: 'm' };
    expect(isAfter({ score: 0.4, subject: 'a', id: 'a' }, cursor)).toBe(true);
    expect(isAfter({ score: 0.5, subject: 'n', id: 'a' }, cursor)).toBe(true);
    expect(isAfter({ score: 0.5, subject: 'm', id: 'n' }, cursor)).toBe(true);
    expect(isAfter({ score: 0.6, subject: 'z', id: 'z' }, cursor)).toBe(false);
    expect(isAfter({ score: 0.5, subject: 'l', id: 'z' }, cursor)).toBe(false);
    expect(isAfter({ score: 0.5, subject: 'm', id: 'l' }, cursor)).toBe(false);
  });

  it('pages through results without skipping or repeating any, whatever the page size', () => {
    const random = prng(21);
    const keys: RankKey[] = [];
    for (let i = 0; i < 40; i++) keys.push({ score: Math.floor(random() * 5), subject: `s${Math.floor(random() * 3)}`, id: `id${i}` });
    const sorted = [...keys].sort(compareRank);
    for (const pageSize of [1, 3, 7, 40, 100]) {
      const paged: RankKey[] = [];
      let cursor: RankKey | undefined;
      for (let page = 0; page <= keys.length; page++) {
        const rest = sorted.filter((k) => cursor === undefined || isAfter(k, cursor));
        if (rest.length === 0) break;
        const items = rest.slice(0, pageSize);
        paged.push(...items);
        cursor = items.at(-1);
      }
      expect(paged).toEqual(sorted);
    }
  });
});
