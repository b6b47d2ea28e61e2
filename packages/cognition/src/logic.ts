import type { IndexTerms } from './text.js';

/** Words that mark a memory as worth keeping (commitments, constraints, strong preferences, dates). */
const SALIENCE_CUES = new Set([
  'important', 'remember', 'never', 'always', 'must', 'deadline', 'urgent', 'critical', 'allergic', 'allergy',
  'birthday', 'anniversary', 'promise', 'promised', 'password', 'prefer', 'prefers', 'love', 'loves', 'hate',
  'hates', 'married', 'died', 'born', 'diagnosed', 'fired', 'hired', 'moved', 'decided', 'goal', 'plan',
]);

/** The most frequent terms of a memory (ties: first occurrence), in readable word form. */
export function extractKeywords(terms: IndexTerms, max: number): string[] {
  if (max === 0) return [];
  const order = [...terms.counts.keys()];
  return order
    .map((term, position) => ({ term, position, count: terms.counts.get(term)! }))
    .sort((a, b) => b.count - a.count || a.position - b.position)
    .slice(0, max)
    .map((e) => terms.surface.get(e.term) ?? e.term);
}

export interface ImportanceSignals {
  content: string;
  tokens: readonly string[];
  terms: IndexTerms;
  valence: number;
  arousal: number;
}

/**
 * A deterministic importance estimate (0..1) for memories written without one: a base of 0.2, plus emotional
 * salience (0.3 × the stronger of |valence| and arousal), specifics (0.15 for numbers or dates, up to 0.15 for
 * proper names), salience cue words (0.2) and information content (up to 0.1 for 20+ distinct terms).
 */
export function estimateImportance(s: ImportanceSignals): number {
  let importance = 0.2;
  importance += 0.3 * Math.max(Math.abs(s.valence), s.arousal);
  if (/\d/.test(s.content)) importance += 0.15;
  const properNames = (s.content.match(/(?<![.!?]\s|^)\b\p{Lu}\p{Ll}+/gu) ?? []).length;
  importance += 0.15 * Math.min(1, properNames / 2);
  if (s.tokens.some((t) => SALIENCE_CUES.has(t))) importance += 0.2;
  importance += 0.1 * Math.min(1, s.terms.counts.size / 20);
  return Math.min(1, Math.max(0, importance));
}
