import { describe, expect, it } from 'vitest';
import { compareRank, emptyRanges, include, isAfter, mergeRanges, score, type Cues, type Ranges, type Raw, type ValidQuery, type Weights } from '@engram/cognition';
import type { PageCursor } from '@engram/protocol';
import { rangesOf, topAfter, type Evaluation } from './ranker.js';
import { prng } from '@engram/cognition/testing';

interface Case {
  e: Evaluation;
  raws: Raw[];
  q: ValidQuery;
  cues: Cues;
}

/**
 * Random candidates whose components come from a few values each, so that many scores tie and the subject and
 * id decide; some cases repeat a (subject, id), which only candidate order can break.
 */
function randomCase(random: () => number): Case {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const n = Math.floor(random() * 60);
  const cues = { text: random() < 0.7, vector: random() < 0.4 };
  const repeats = random() < 0.2;
  const raws: Raw[] = [];
  const subjects: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    raws.push({
      recency: pick([0, 0.25, 0.5, 1]),
      importance: pick([0, 0.5, 0.5, 1]),
      bm25: cues.text ? pick([0, 1.5, 3]) : undefined,
      cosine: cues.vector ? pick([undefined, -1, 0.5, 1]) : undefined,
      activation: pick([-2, 0, 1.5]),
    });
    const subject = `s${Math.floor(random() * 3)}`;
    const id = repeats ? `m${Math.floor(random() * 5)}` : `m${i}`;
    subjects.push(subject);
    ids.push(id);
  }
  const column = (f: (r: Raw) => number | undefined) => Float64Array.from(raws, (r) => f(r) ?? NaN);
  const e: Evaluation = {
    count: n,
    recency: column((r) => r.recency),
    importance: column((r) => r.importance),
    activation: column((r) => r.activation),
    bm25: cues.text ? column((r) => r.bm25) : undefined,
    cosine: cues.vector ? column((r) => r.cosine) : undefined,
    subjects,
    ids,
  };
  const weights: Weights = { recency: pick([0, 1]), importance: pick([0, 0.5, 1]), relevance: pick([0, 1, 2]), activation: pick([0, 1]) };
  const q = { terms: cues.text ? ['t'] : undefined, embedding: cues.vector ? [1] : undefined, weights } as ValidQuery;
  return { e, raws, q, cues };
}

/** What topAfter must return: every candidate scored, those after the cursor, sorted (stably) and cut to limit + 1. */
function reference(c: Case, ranges: Ranges, after: PageCursor | undefined, limit: number) {
  return c.raws
    .map((raw, i) => ({ index: i, subject: c.e.subjects[i]!, id: c.e.ids[i]!, ...score(raw, ranges, c.q.weights, c.cues) }))
    .filter((r) => !after || isAfter(r, after))
    .sort(compareRank)
    .slice(0, limit + 1);
}

const view = (c: Case, ranked: ReturnType<typeof topAfter>) =>
  ranked.map((r) => ({ index: r.index, subject: r.subject, id: r.id, score: r.score, components: r.components }));

function rawRanges(raws: readonly Raw[]): Ranges {
  const r = emptyRanges();
  for (const raw of raws) include(r, raw);
  return r;
}

describe('rangesOf', () => {
  it('spans the same ranges as the candidates\' raw components', () => {
    const random = prng(5);
    for (let n = 0; n < 200; n++) {
      const c = randomCase(random);
      expect(rangesOf(c.e)).toEqual(rawRanges(c.raws));
    }
  });
});

describe('topAfter', () => {
  it('returns what scoring, sorting and cutting every candidate returns, with and without a cursor', () => {
    const random = prng(11);
    for (let n = 0; n < 400; n++) {
      const c = randomCase(random);
      // The shard's own ranges, or wider ones (a tenant-wide query's, merged over shards).
      const own = rangesOf(c.e);
      const ranges = random() < 0.5 ? own : mergeRanges(own, rawRanges([{ recency: 2, importance: -1, bm25: 9, cosine: -1, activation: 5 }]));
      const limit = 1 + Math.floor(random() * 12);
      const all = reference(c, ranges, undefined, c.raws.length);
      const cursors: (PageCursor | undefined)[] = [
        undefined,
        // A result's own key, and keys that fall between results.
        ...all.filter(() => random() < 0.2).map(({ score: s, subject, id }) => ({ score: s, subject, id })),
        { score: all[0]?.score ?? 1, subject: 's1', id: 'm2' },
        { score: 0.5 + Math.floor(random() * 4) / 2, subject: `s${Math.floor(random() * 4)}`, id: `m${Math.floor(random() * 6)}` },
      ];
      for (const after of cursors) {
        expect(view(c, topAfter(c.e, c.q, ranges, after, limit))).toEqual(reference(c, ranges, after, limit));
      }
    }
  });

  it('pages through every candidate once, in order, and says whether another page follows', () => {
    const random = prng(23);
    for (let n = 0; n < 200; n++) {
      const c = randomCase(random);
      if (new Set(c.e.ids.map((id, i) => `${c.e.subjects[i]}/${id}`)).size < c.e.count) continue;
      const ranges = rangesOf(c.e);
      const limit = 1 + Math.floor(random() * 8);
      const paged: number[] = [];
      let after: PageCursor | undefined;
      for (let page = 0; page <= c.raws.length; page++) {
        const ranked = topAfter(c.e, c.q, ranges, after, limit);
        const items = ranked.slice(0, limit);
        paged.push(...view(c, items).map((r) => r.index));
        const last = items.at(-1);
        if (ranked.length <= limit || !last) break;
        after = { score: last.score, subject: last.subject, id: last.id };
      }
      expect(paged).toEqual(reference(c, ranges, undefined, c.raws.length).map((r) => r.index));
    }
  });
});
