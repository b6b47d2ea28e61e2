import { afinnScore } from './afinn.js';

/** VADER's normalisation constant: maps an unbounded lexicon sum to -1..1. */
const ALPHA = 15;
/** Scale of the arousal curve: intensity 8 (e.g. one strong word and two "!") gives about 0.63. */
const AROUSAL_SCALE = 8;

export interface Affect {
  /** -1 (negative) .. 1 (positive). */
  valence: number;
  /** 0 (calm) .. 1 (intense). */
  arousal: number;
}

/** Emphasis counts up to this many of each kind. */
const MAX_EMPHASIS = 5;
const CAPS_WORD = /\b[A-Z]{3,}\b/g;

/** "!" in text, up to MAX_EMPHASIS (counted without building a match array). */
function exclamationsIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf('!'); at >= 0 && n < MAX_EMPHASIS; at = text.indexOf('!', at + 1)) n += 1;
  return n;
}

/** All-caps words of three letters or more in text, up to MAX_EMPHASIS. */
function capsWordsIn(text: string): number {
  CAPS_WORD.lastIndex = 0;
  let n = 0;
  while (n < MAX_EMPHASIS && CAPS_WORD.exec(text) !== null) n += 1;
  return n;
}

/**
 * Valence and arousal of a text from the AFINN-165 lexicon (the `sentiment` package, with negation).
 * Valence: the lexicon sum s normalised as s / sqrt(s² + 15) (VADER's compound score). Arousal: affective
 * intensity, the sum of absolute word ratings plus emphasis (each "!" and each all-caps word counts 2), mapped
 * to 1 − e^(−x/8). The lexicon has no arousal ratings, so intensity stands in for it.
 */
export function estimateAffect(text: string): Affect {
  if (text.length === 0) return { valence: 0, arousal: 0 };
  const { score: s, intensity: rated } = afinnScore(text);
  const intensity = rated + 2 * exclamationsIn(text) + 2 * capsWordsIn(text);
  return {
    valence: s === 0 ? 0 : s / Math.sqrt(s * s + ALPHA),
    arousal: 1 - Math.exp(-intensity / AROUSAL_SCALE),
  };
}
