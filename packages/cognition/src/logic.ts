import type { IndexTerms } from './text.js';

/** Words that mark a memory as worth keeping (commitments, constraints, strong preferences, dates). */
const SALIENCE_CUES = new Set([
  'important', 'remember', 'never', 'always', 'must', 'deadline', 'urgent', 'critical', 'allergic', 'allergy',
  'birthday', 'anniversary', 'promise', 'promised', 'password', 'prefer', 'prefers', 'love', 'loves', 'hate',
  'hates', 'married', 'died', 'born', 'diagnosed', 'fired', 'hired', 'moved', 'decided', 'goal', 'plan',
]);

/** The most frequent terms of a memory (ties: first occurrence), in readable word form. */
export function extractKeywords(terms: IndexTerms, max: number): string[] {
  const { frequencies, surfaces } = terms;
  // Indexes of the most frequent so far, most frequent first: a term goes after those at least as frequent, which
  // (seen first) win ties.
  const top: number[] = [];
  for (let i = 0; i < frequencies.length; i++) {
    const count = frequencies[i]!.count;
    let at = top.length;
    while (at > 0 && frequencies[top[at - 1]!]!.count < count) at -= 1;
    if (at >= max) continue;
    top.push(i);
    for (let j = top.length - 1; j > at; j--) top[j] = top[j - 1]!;
    top[at] = i;
    if (top.length > max) top.pop();
  }
  return top.map((i) => surfaces[i]!);
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
  importance += 0.1 * Math.min(1, s.terms.frequencies.length / 20);
  return Math.min(1, Math.max(0, importance));
}
