import {
  bm25,
  compareRank,
  cosine,
  emptyRanges,
  include,
  isAfter,
  recency,
  score,
  type Bm25Params,
  type Components,
  type Cues,
  type Ranges,
  type Raw,
  type ValidQuery,
} from '@engram/cognition';
import type { PageCursor, ScoredMemory } from '@engram/protocol';
import type { Candidate } from './candidates.js';
import type { ShardContext } from './context.js';
import { lastTouchMs } from './records.js';
import { activationOf, toWireMemory } from './to-wire.js';

export interface Evaluated {
  candidate: Candidate;
  raw: Raw;
}

export interface Ranked extends Evaluated {
  score: number;
  components: Components;
  subject: string;
  id: string;
}

/** BM25 statistics of a scope: documents, total length and document frequency per term. */
export interface TermStatistics {
  documents: number;
  totalLength: number;
  df: ReadonlyMap<string, number>;
}

export const cuesOf = (q: ValidQuery): Cues => ({ text: q.terms !== undefined, vector: q.embedding !== undefined });

/** Raw score components of every candidate, as of asOfMs, with the given BM25 statistics. */
export function evaluate(ctx: ShardContext, candidates: readonly Candidate[], q: ValidQuery, asOfMs: number, stats: TermStatistics): Evaluated[] {
  const { ranking } = ctx.config;
  const params: Bm25Params = {
    documents: stats.documents,
    averageLength: stats.documents > 0 ? stats.totalLength / stats.documents : 0,
    k1: ranking.bm25K1,
    b: ranking.bm25B,
  };
  return candidates.map((candidate) => {
    const r = candidate.record;
    return {
      candidate,
      raw: {
        recency: recency(asOfMs, lastTouchMs(r, asOfMs), ranking.recencyHalfLife),
        importance: r.importance,
        bm25: candidate.tf
          ? bm25(
              [...candidate.tf].map(([term, tf]) => ({ tf, df: stats.df.get(term) ?? 0 })),
              r.length,
              params,
            )
          : q.terms
            ? 0
            : undefined,
        cosine: q.embedding ? cosine(q.embedding, r.embedding) : undefined,
        activation: activationOf(r, asOfMs, ranking.activationDecay),
      },
    };
  });
}

export function rangesOf(evaluated: readonly Evaluated[]): Ranges {
  const ranges = emptyRanges();
  for (const e of evaluated) include(ranges, e.raw);
  return ranges;
}

/**
 * The page of results after the cursor: every candidate scored under the ranges, ordered, cut to limit + 1
 * (the extra one tells whether another page exists).
 */
export function topAfter(evaluated: readonly Evaluated[], q: ValidQuery, ranges: Ranges, after: PageCursor | undefined, limit: number): Ranked[] {
  const cues = cuesOf(q);
  const ranked: Ranked[] = [];
  for (const e of evaluated) {
    const s = score(e.raw, ranges, q.weights, cues);
    const item = { ...e, score: s.score, components: s.components, subject: e.candidate.record.subject, id: e.candidate.record.id };
    if (!after || isAfter(item, after)) ranked.push(item);
  }
  ranked.sort(compareRank);
  return ranked.slice(0, limit + 1);
}

export function toScored(ctx: ShardContext, r: Ranked, asOfMs: number): ScoredMemory {
  return {
    memory: toWireMemory(r.candidate.record, asOfMs, ctx.config.ranking.activationDecay),
    score: r.score,
    components: r.components,
  };
}
