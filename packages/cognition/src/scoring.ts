/** Raw score components of one memory (before normalisation within a query). */

const MS_PER_S = 1000;

/** Recency: halves every halfLifeMs since the memory was last touched (accessed, or occurred). */
export function recency(asOfMs: number, lastTouchMs: number, halfLifeMs: number): number {
  return Math.pow(0.5, Math.max(0, asOfMs - lastTouchMs) / halfLifeMs);
}

export interface PresentationHistory {
  /** When the memory was encoded (its first presentation). */
  createdMs: number;
  /** Most recent presentations (accesses), any order. */
  recentMs: readonly number[];
  /** All presentations ever, including creation. */
  total: number;
}

/**
 * ACT-R base-level activation B = ln(Σ t_j^−d) over the presentations before asOf, t in seconds (at least 1).
 * Presentations older than the kept history are approximated as spread evenly between creation and the oldest
 * kept one (Petrov 2006): (n−k)(t_n^(1−d) − t_k^(1−d)) / ((1−d)(t_n − t_k)).
 */
export function baseLevelActivation(asOfMs: number, h: PresentationHistory, d: number): number {
  const age = (ms: number) => Math.max(1, (asOfMs - ms) / MS_PER_S);
  let sum = age(h.createdMs) ** -d;
  let kept = 0;
  let later = 0;
  let oldestKept = Infinity;
  for (const t of h.recentMs) {
    if (t >= asOfMs) {
      later += 1;
      continue;
    }
    sum += age(t) ** -d;
    kept += 1;
    if (t < oldestKept) oldestKept = t;
  }
  const unseen = h.total - 1 - kept - later;
  if (unseen > 0) {
    const tn = age(h.createdMs);
    const tk = kept > 0 ? age(oldestKept) : tn;
    sum += tn > tk ? (unseen * (tn ** (1 - d) - tk ** (1 - d))) / ((1 - d) * (tn - tk)) : unseen * tn ** -d;
  }
  return Math.log(sum);
}

export interface Bm25Params {
  /** Documents in the collection. */
  documents: number;
  /** Average document length. */
  averageLength: number;
  k1: number;
  b: number;
}

/** Lucene's non-negative BM25 idf. */
export function idf(documentFrequency: number, documents: number): number {
  return Math.log(1 + (documents - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/** BM25 of one document: Σ over matched terms of idf · tf(k1+1) / (tf + k1(1 − b + b·len/avglen)). */
export function bm25(matches: readonly { tf: number; df: number }[], length: number, p: Bm25Params): number {
  const norm = p.k1 * (1 - p.b + (p.b * length) / Math.max(p.averageLength, 1e-9));
  let score = 0;
  for (const m of matches) score += (idf(m.df, p.documents) * m.tf * (p.k1 + 1)) / (m.tf + norm);
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
