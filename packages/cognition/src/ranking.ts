/**
 * Ranking as in Generative Agents (Park et al. 2023): each component min-max normalised within the query, then
 * score = w_rec·recency + w_imp·importance + w_rel·relevance + w_act·activation. Relevance is BM25 for a text
 * cue, cosine for an embedding cue, and their mean (each normalised) when both are given.
 */

export interface Raw {
  recency: number;
  importance: number;
  /** Undefined when the query has no text cue. */
  bm25: number | undefined;
  /** Undefined when the query has no embedding cue or the memory has no comparable embedding. */
  cosine: number | undefined;
  activation: number;
}

export interface Range {
  min: number;
  max: number;
  empty: boolean;
}

export interface Ranges {
  recency: Range;
  importance: Range;
  bm25: Range;
  cosine: Range;
  activation: Range;
}

export interface Weights {
  recency: number;
  importance: number;
  relevance: number;
  activation: number;
}

export interface Components {
  recency: number;
  importance: number;
  relevance: number;
  activation: number;
}

export const emptyRange = (): Range => ({ min: 0, max: 0, empty: true });

export function emptyRanges(): Ranges {
  return { recency: emptyRange(), importance: emptyRange(), bm25: emptyRange(), cosine: emptyRange(), activation: emptyRange() };
}

function widen(r: Range, v: number | undefined): void {
  if (v === undefined) return;
  if (r.empty) {
    r.min = v;
    r.max = v;
    r.empty = false;
  } else {
    if (v < r.min) r.min = v;
    if (v > r.max) r.max = v;
  }
}

/** Adds one memory's raw components to the ranges. */
export function include(ranges: Ranges, raw: Raw): void {
  widen(ranges.recency, raw.recency);
  widen(ranges.importance, raw.importance);
  widen(ranges.bm25, raw.bm25);
  widen(ranges.cosine, raw.cosine);
  widen(ranges.activation, raw.activation);
}

function mergeRange(a: Range, b: Range): Range {
  if (a.empty) return { ...b };
  if (b.empty) return { ...a };
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), empty: false };
}

/** Ranges over the union of two candidate sets (shards' ranges merge into the global ones). */
export function mergeRanges(a: Ranges, b: Ranges): Ranges {
  return {
    recency: mergeRange(a.recency, b.recency),
    importance: mergeRange(a.importance, b.importance),
    bm25: mergeRange(a.bm25, b.bm25),
    cosine: mergeRange(a.cosine, b.cosine),
    activation: mergeRange(a.activation, b.activation),
  };
}

/**
 * Min-max normalisation. In a flat range every candidate ties for the best value, so each gets 1 (a flat
 * component cannot change the order; a lone result still scores the sum of its weights). A missing value is 0.
 */
export function normalise(v: number | undefined, r: Range): number {
  if (v === undefined || r.empty) return 0;
  if (r.max === r.min) return 1;
  return (v - r.min) / (r.max - r.min);
}

export interface Cues {
  text: boolean;
  vector: boolean;
}

/** Relevance: the mean of the normalised cue similarities (BM25 for text, cosine for a vector), 0 without a cue. */
function relevance(raw: Raw, ranges: Ranges, cues: Cues): number {
  let sum = 0;
  let parts = 0;
  if (cues.text) {
    sum += normalise(raw.bm25, ranges.bm25);
    parts += 1;
  }
  if (cues.vector) {
    sum += normalise(raw.cosine, ranges.cosine);
    parts += 1;
  }
  return parts === 0 ? 0 : sum / parts;
}

/** The normalised components of one memory. */
function componentsOf(raw: Raw, ranges: Ranges, cues: Cues): Components {
  return {
    recency: normalise(raw.recency, ranges.recency),
    importance: normalise(raw.importance, ranges.importance),
    relevance: relevance(raw, ranges, cues),
    activation: normalise(raw.activation, ranges.activation),
  };
}

/**
 * The score of one memory alone, without building its components: what ranking every candidate needs (only the
 * results need their components). Same arithmetic as score(), so the two always agree to the bit.
 */
export function scoreOf(raw: Raw, ranges: Ranges, weights: Weights, cues: Cues): number {
  return (
    weights.recency * normalise(raw.recency, ranges.recency) +
    weights.importance * normalise(raw.importance, ranges.importance) +
    weights.relevance * relevance(raw, ranges, cues) +
    weights.activation * normalise(raw.activation, ranges.activation)
  );
}

/** The score of one memory and its normalised components. */
export function score(raw: Raw, ranges: Ranges, weights: Weights, cues: Cues): { score: number; components: Components } {
  return { score: scoreOf(raw, ranges, weights, cues), components: componentsOf(raw, ranges, cues) };
}

export interface RankKey {
  score: number;
  subject: string;
  id: string;
}

/** Result order: score descending, then subject and id ascending (total and deterministic). */
export function compareRank(a: RankKey, b: RankKey): number {
  return compareRankOf(a.score, a.subject, a.id, b.score, b.subject, b.id);
}

/** compareRank of two keys given by their parts, for ranking many candidates without a key object each. */
export function compareRankOf(aScore: number, aSubject: string, aId: string, bScore: number, bSubject: string, bId: string): number {
  if (aScore !== bScore) return bScore - aScore;
  if (aSubject !== bSubject) return aSubject < bSubject ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** True when a comes strictly after the cursor in result order. */
export function isAfter(a: RankKey, cursor: RankKey): boolean {
  return compareRank(cursor, a) < 0;
}
