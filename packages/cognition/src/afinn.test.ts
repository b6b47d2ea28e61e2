import Sentiment from 'sentiment';
import { describe, expect, it } from 'vitest';
import { afinnScore, isJsSpace } from './afinn.js';
import { prng } from './testing.js';

const analyzer = new Sentiment();

/** What estimateAffect took from the package before afinnScore replaced it. */
function reference(text: string): { score: number; intensity: number } {
  const result = analyzer.analyze(text);
  let intensity = 0;
  for (const entry of result.calculation) for (const v of Object.values(entry)) intensity += Math.abs(v);
  return { score: result.score, intensity };
}

/** Words, negators, punctuation and every kind of blank the package's tokenizer treats specially. */
const PIECES = [
  'good', 'bad', 'not', "don't", 'never', 'love', 'hate', 'great', 'terrible', 'constructor', 'self-deluded', 'cool stuff',
  'GOOD', 'Not', 'LoVe', 'meeting', 'noon', 'the', 'a', '😂', '❤', '♥', 'ok', '42', 'café', 'İ', 'ß',
  ' ', '  ', '\n', '\r\n', '\t', '\u00a0', '\u2003', '\u3000', '\ufeff', '\v', '\f',
  '.', ',', '/', '#', '!', '?', '$', '%', '^', '&', '*', ';', ':', '{', '}', '=', '_', '`', '"', '~', '(', ')',
  "'", '-', '@', '[', ']', '<', '>', '+', '|', '\\',
];

describe('afinnScore', () => {
  it('scores as the sentiment package does', () => {
    for (const text of [
      '',
      'I love this, it is wonderful',
      'not good',
      "I don't like it!!! NOT GOOD at all.",
      'the meeting is at noon',
      '  good  ',
      'good\tbad',
      'not\tgood',
      'not \t good',
      '\tnot good\t',
      'constructor good',
      'self-deluded and fed up',
      'great😂 😂',
      '...!?',
    ]) {
      expect(afinnScore(text), JSON.stringify(text)).toEqual(reference(text));
    }
  });

  it('scores random mixtures of words, negators, punctuation and blanks as the package does', () => {
    const random = prng(7);
    for (let n = 0; n < 20_000; n++) {
      const parts: string[] = [];
      const length = Math.floor(random() * 12);
      for (let i = 0; i < length; i++) parts.push(PIECES[Math.floor(random() * PIECES.length)]!);
      const text = parts.join(random() < 0.5 ? ' ' : '');
      expect(afinnScore(text), JSON.stringify(text)).toEqual(reference(text));
    }
  });
});

describe('isJsSpace', () => {
  it('is /\\s/ for every UTF-16 code unit', () => {
    for (let c = 0; c < 0x10000; c++) expect(isJsSpace(c), c.toString(16)).toBe(/\s/.test(String.fromCharCode(c)));
  });
});
