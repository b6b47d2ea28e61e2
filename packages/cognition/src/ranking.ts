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

/** The score of one memory and its normalised components. */
export function score(raw: Raw, ranges: Ranges, weights: Weights, cues: Cues): { score: number; components: Components } {
  const parts: number[] = [];
  if (cues.text) parts.push(normalise(raw.bm25, ranges.bm25));
  if (cues.vector) parts.push(normalise(raw.cosine, ranges.cosine));
  const components: Components = {
    recency: normalise(raw.recency, ranges.recency),
    importance: normalise(raw.importance, ranges.importance),
    relevance: parts.length === 0 ? 0 : parts.reduce((a, b) => a + b, 0) / parts.length,
    activation: normalise(raw.activation, ranges.activation),
  };
  return {
    score:
      weights.recency * components.recency +
      weights.importance * components.importance +
      weights.relevance * components.relevance +
      weights.activation * components.activation,
    components,
  };
}

export interface RankKey {
  score: number;
  subject: string;
  id: string;
}

/** Result order: score descending, then subject and id ascending (total and deterministic). */
export function compareRank(a: RankKey, b: RankKey): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.subject !== b.subject) return a.subject < b.subject ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** True when a comes strictly after the cursor in result order. */
export function isAfter(a: RankKey, cursor: RankKey): boolean {
  return compareRank(cursor, a) < 0;
}
