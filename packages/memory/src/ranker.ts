import {
  bm25,
  compareRankOf,
  cosine,
  emptyRanges,
  idf,
  include,
  baseLevelActivation,
  recency,
  score,
  scoreOf,
  type Bm25Params,
  type PresentationHistory,
  type Components,
  type Cues,
  type Ranges,
  type Raw,
  type ValidQuery,
} from '@engram/cognition';
import type { PageCursor, ScoredMemory } from '@engram/protocol';
import type { CandidateSet } from './candidate-list.js';
import type { ShardContext } from './context.js';
import { latestTouchMs } from './records.js';
import { toWireMemory } from './to-wire.js';

/**
 * Raw score components of a query's candidates, one column per component and row i for candidate i: a query
 * weighs thousands of candidates, and an object (and boxed numbers) for each would be most of its garbage.
 */
export interface Evaluation {
  /** Candidates evaluated. */
  count: number;
  recency: Float64Array;
  importance: Float64Array;
  activation: Float64Array;
  /** Undefined without a text cue. */
  bm25: Float64Array | undefined;
  /**
   * NaN where the memory has no comparable embedding (embeddings are finite 32-bit floats, whose cosine() is never
   * NaN itself); undefined without an embedding cue.
   */
  cosine: Float64Array | undefined;
  /** Each memory's subject and id, the result order's tie-breakers. */
  subjects: string[];
  ids: string[];
}

export interface Ranked {
  /** The candidate's index in its CandidateSet and Evaluation. */
  index: number;
  subject: string;
  id: string;
  score: number;
  components: Components;
}

/** BM25 statistics of a scope: documents, total length and document frequency per term. */
export interface TermStatistics {
  documents: number;
  totalLength: number;
  df: ReadonlyMap<string, number>;
}

export const cuesOf = (q: ValidQuery): Cues => ({ text: q.terms !== undefined, vector: q.embedding !== undefined });

/** Raw score components of every candidate, as of asOfMs, with the given BM25 statistics. */
export function evaluate(ctx: ShardContext, set: CandidateSet, q: ValidQuery, asOfMs: number, stats: TermStatistics): Evaluation {
  const { ranking } = ctx.config;
  const params: Bm25Params = {
    averageLength: stats.documents > 0 ? stats.totalLength / stats.documents : 0,
    k1: ranking.bm25K1,
    b: ranking.bm25B,
  };
  // Per query term, as the candidates' term frequencies are.
  const idfs = q.terms?.map((term) => idf(stats.df.get(term) ?? 0, stats.documents));
  const terms = q.terms?.length ?? 0;
  const n = set.count;
  const e: Evaluation = {
    count: n,
    recency: new Float64Array(n),
    importance: new Float64Array(n),
    activation: new Float64Array(n),
    bm25: idfs ? new Float64Array(n) : undefined,
    cosine: q.embedding ? new Float64Array(n) : undefined,
    subjects: new Array<string>(n),
    ids: new Array<string>(n),
  };
  const history: PresentationHistory = { createdMs: 0, recentMs: [], total: 0 };
  // Most memories were never accessed, and many were written together (one batch, one ingestion time) or touched
  // last at the same time: the last recency and the last activation of a memory without accesses are reused when
  // their inputs repeat (the same computation, so the same bits).
  let touchedMs = NaN;
  let touchedRecency = 0;
  let createdMs = NaN;
  let createdActivation = 0;
  for (let i = 0; i < n; i++) {
    const c = set.columns[i]!;
    const row = set.rows[i]!;
    const recent = c.recentAccessMs[row]!;
    const lastMs = latestTouchMs(c.occurredAtMs[row]!, recent, asOfMs);
    if (lastMs !== touchedMs) {
      touchedMs = lastMs;
      touchedRecency = recency(asOfMs, lastMs, ranking.recencyHalfLife);
    }
    e.recency[i] = touchedRecency;
    e.importance[i] = c.importance[row]!;
    const total = c.accessCount[row]! + 1;
    if (recent.length === 0 && total === 1) {
      const created = c.ingestedAtMs[row]!;
      if (created !== createdMs) {
        createdMs = created;
        history.createdMs = created;
        history.recentMs = recent;
        history.total = 1;
        createdActivation = baseLevelActivation(asOfMs, history, ranking.activationDecay);
      }
      e.activation[i] = createdActivation;
    } else {
      history.createdMs = c.ingestedAtMs[row]!;
      history.recentMs = recent;
      history.total = total;
      e.activation[i] = baseLevelActivation(asOfMs, history, ranking.activationDecay);
    }
    if (e.bm25 && idfs) e.bm25[i] = set.tf ? bm25(set.tf, idfs, c.length[row]!, params, i * terms) : 0;
    if (e.cosine && q.embedding) e.cosine[i] = cosine(q.embedding, c.records[row]!.embedding) ?? NaN;
    e.subjects[i] = c.subjects[row]!;
    e.ids[i] = c.ids[row]!;
  }
  return e;
}

/** One row of an Evaluation seen as a Raw, moved from row to row: the scoring functions read it in place. */
class Row implements Raw {
  index = 0;

  constructor(private readonly e: Evaluation) {}

  get recency(): number {
    return this.e.recency[this.index]!;
  }

  get importance(): number {
    return this.e.importance[this.index]!;
  }

  get activation(): number {
    return this.e.activation[this.index]!;
  }

  get bm25(): number | undefined {
    return this.e.bm25?.[this.index];
  }

  get cosine(): number | undefined {
    const c = this.e.cosine?.[this.index];
    return c === undefined || Number.isNaN(c) ? undefined : c;
  }
}

export function rangesOf(e: Evaluation): Ranges {
  const ranges = emptyRanges();
  const row = new Row(e);
  for (; row.index < e.count; row.index++) include(ranges, row);
  return ranges;
}

/**
 * The first k of a stream of items in a strict total order (compare(a, b) < 0: a comes first). A binary heap
 * with the last of the items kept at its root, so an item that does not make the cut costs one comparison, and
 * a stream of n costs O(n log k) instead of sorting all n.
 */
class FirstK<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly k: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(item);
      this.siftUp(h.length - 1);
    } else if (h.length > 0 && this.compare(item, h[0]!) < 0) {
      h[0] = item;
      this.siftDown(0);
    }
  }

  /** The items kept, in order. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const item = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(h[parent]!, item) >= 0) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const item = h[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= h.length) break;
      if (child + 1 < h.length && this.compare(h[child + 1]!, h[child]!) > 0) child += 1;
      if (this.compare(h[child]!, item) <= 0) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = item;
  }
}

/**
 * The page of results after the cursor: the candidates scored under the ranges, in result order, cut to
 * limit + 1 (the extra one tells whether another page exists). Only the best limit + 1 are kept as the scores
 * come (the same order as sorting them all, compareRank and then candidate order), and only they get a result
 * object with their components.
 */
export function topAfter(e: Evaluation, q: ValidQuery, ranges: Ranges, after: PageCursor | undefined, limit: number): Ranked[] {
  const cues = cuesOf(q);
  const { subjects, ids } = e;
  const scores = new Float64Array(e.count);
  const order = (i: number, j: number) => compareRankOf(scores[i]!, subjects[i]!, ids[i]!, scores[j]!, subjects[j]!, ids[j]!) || i - j;
  const best = new FirstK(limit + 1, order);
  const row = new Row(e);
  for (let i = 0; i < scores.length; i++) {
    row.index = i;
    const s = scoreOf(row, ranges, q.weights, cues);
    scores[i] = s;
    // isAfter(row i, after), on the parts.
    if (!after || compareRankOf(after.score, after.subject, after.id, s, subjects[i]!, ids[i]!) < 0) best.offer(i);
  }
  return best.sorted().map((i) => {
    row.index = i;
    return { index: i, subject: subjects[i]!, id: ids[i]!, ...score(row, ranges, q.weights, cues) };
  });
}

/** A ranked candidate of set as a result. */
export function toScored(ctx: ShardContext, set: CandidateSet, r: Ranked, asOfMs: number): ScoredMemory {
  return {
    memory: toWireMemory(set.columns[r.index]!.records[set.rows[r.index]!]!, asOfMs, ctx.config.ranking.activationDecay),
    score: r.score,
    components: r.components,
  };
}
