/** Raw score components of one memory (before normalisation within a query). */

const MS_PER_S = 1000;

/** Recency: halves every halfLifeMs since the memory was last touched (accessed, or occurred). */
export function recency(asOfMs: number, lastTouchMs: number, halfLifeMs: number): number {
  // 0.5^x as e^(−x·ln 2): the same value up to rounding, at a fraction of a power's cost.
  return Math.exp((-Math.LN2 * Math.max(0, asOfMs - lastTouchMs)) / halfLifeMs);
}

export interface PresentationHistory {
  /** When the memory was encoded (its first presentation). */
  createdMs: number;
  /** Most recent presentations (accesses), any order. */
  recentMs: readonly number[];
  /** All presentations ever, including creation. */
  total: number;
}

/** Seconds from a presentation at ms to asOfMs, at least 1. */
const ageS = (asOfMs: number, ms: number) => Math.max(1, (asOfMs - ms) / MS_PER_S);

/**
 * ACT-R base-level activation B = ln(Σ t_j^−d) over the presentations before asOf, t in seconds (at least 1).
 * Presentations older than the kept history are approximated as spread evenly between creation and the oldest
 * kept one (Petrov 2006): (n−k)(t_n^(1−d) − t_k^(1−d)) / ((1−d)(t_n − t_k)).
 */
export function baseLevelActivation(asOfMs: number, h: PresentationHistory, d: number): number {
  // ACT-R's standard decay, 0.5 (the default), is a square root: ~12x cheaper than a power, which was half of a
  // query's CPU (one per remembered access of each candidate).
  const half = d === 0.5;
  const created = ageS(asOfMs, h.createdMs);
  let sum = half ? 1 / Math.sqrt(created) : created ** -d;
  let kept = 0;
  let later = 0;
  let oldestKept = Infinity;
  // Indexed, not for-of: this runs for every candidate of a query, and an iterator each is garbage.
  for (let i = 0; i < h.recentMs.length; i++) {
    const t = h.recentMs[i]!;
    if (t >= asOfMs) {
      later += 1;
      continue;
    }
    const age = ageS(asOfMs, t);
    sum += half ? 1 / Math.sqrt(age) : age ** -d;
    kept += 1;
    if (t < oldestKept) oldestKept = t;
  }
  const unseen = h.total - 1 - kept - later;
  if (unseen > 0) {
    const tn = created;
    const tk = kept > 0 ? ageS(asOfMs, oldestKept) : tn;
    if (tn > tk) sum += (unseen * (half ? Math.sqrt(tn) - Math.sqrt(tk) : tn ** (1 - d) - tk ** (1 - d))) / ((1 - d) * (tn - tk));
    else sum += unseen * (half ? 1 / Math.sqrt(tn) : tn ** -d);
  }
  return Math.log(sum);
}

export interface Bm25Params {
  /** Average document length. */
  averageLength: number;
  k1: number;
  b: number;
}

/** Lucene's non-negative BM25 idf. */
export function idf(documentFrequency: number, documents: number): number {
  return Math.log(1 + (documents - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * BM25 of one document: Σ over matched terms of idf · tf(k1+1) / (tf + k1(1 − b + b·len/avglen)). tf and idfs are
 * per query term, in the same order, the document's tf from tf[at] on (many documents' side by side); a term with
 * tf 0 is not in the document. The idfs are the query's, computed once for all its candidates.
 */
export function bm25(tf: ArrayLike<number>, idfs: ArrayLike<number>, length: number, p: Bm25Params, at = 0): number {
  const norm = p.k1 * (1 - p.b + (p.b * length) / Math.max(p.averageLength, 1e-9));
  let score = 0;
  for (let i = 0; i < idfs.length; i++) {
    const f = tf[at + i]!;
    if (f !== 0) score += (idfs[i]! * f * (p.k1 + 1)) / (f + norm);
  }
  return score;
}

/** Cosine similarity; undefined when dimensions differ or a vector is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  if (a.length !== b.length || a.length === 0) return undefined;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? undefined : dot / Math.sqrt(na * nb);
}
