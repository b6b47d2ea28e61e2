import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** AFINN-165 ratings with the `sentiment` package's emoji ratings merged in, as that package merges them. */
const RATINGS = new Map<string, number>(
  Object.entries({
    ...(require('sentiment/languages/en/labels.json') as Record<string, number>),
    ...(require('sentiment/build/emoji.json') as Record<string, number>),
  }),
);
/**
 * The package's negators, looked up as it looks them up (`negators[token]` truthy): inherited names count too, so
 * "constructor" negates the word after it there, and here.
 */
const NEGATORS = require('sentiment/languages/en/negators.json') as Record<string, unknown>;
/** No longer token can be rated: such tokens are not cut out of the text. */
const LONGEST_RATED = Math.max(...[...RATINGS.keys()].map((k) => k.length));

/**
 * Bits of a Bloom filter (one probe) of the rated words' FNV-1a hashes. Most tokens are not rated, and a token whose
 * bit is clear is passed over without being cut out of the text and looked up; its hash is taken as it is scanned.
 */
const FILTER_BITS = 1 << 16;
const FNV_OFFSET = 0x811c9dc5;
const fnvStep = (h: number, c: number) => Math.imul(h ^ c, 0x01000193);
const filterBit = (h: number) => (h >>> 0) % FILTER_BITS;
const RATED = new Uint32Array(FILTER_BITS / 32);
for (const word of RATINGS.keys()) {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = fnvStep(h, word.charCodeAt(i));
  const bit = filterBit(h);
  RATED[bit >>> 5]! |= 1 << (bit & 31);
}

export interface AfinnScore {
  /** Sum of the rated words' ratings, each negated when the word before it is a negator. */
  score: number;
  /** Sum of the absolute ratings. */
  intensity: number;
}

/** Code units that the package's tokenizer turns into a space: '\n' and its punctuation (and ' ' itself). */
const SEPARATOR = new Uint8Array(128);
for (const c of ' \n.,/#!?$%^&*;:{}=_`"~()') SEPARATOR[c.charCodeAt(0)] = 1;

/** Whether a code unit matches /\s/ (WhiteSpace or LineTerminator, which String.prototype.trim removes too). */
export function isJsSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * What `new Sentiment().analyze(text)` computes for English (score, and the sum of |rating| over its calculation),
 * without the arrays and objects it builds per call. Its tokenizer lower-cases the text, turns '\n' and
 * punctuation into spaces, collapses every run of two or more whitespace characters into one space, trims, and
 * splits on ' '. So, on the lower-cased text: a run of blanks (whitespace or punctuation) at either end goes; inside,
 * a run separates two tokens when it is longer than one character or is a space, newline or punctuation mark, and a
 * single other whitespace character (a tab, a no-break space) stays inside its token. afinn.test.ts checks the
 * results against the package.
 */
export function afinnScore(text: string): AfinnScore {
  const lower = text.toLowerCase();
  const n = lower.length;
  let score = 0;
  let intensity = 0;
  let prevStart = -1;
  let prevEnd = -1;
  let i = 0;
  while (i < n && isBlank(lower.charCodeAt(i))) i += 1;
  while (i < n) {
    // A token: from i to the next separating run (or the end, less any trailing blanks).
    const start = i;
    let end = n;
    let h = FNV_OFFSET;
    while (i < n) {
      const c = lower.charCodeAt(i);
      if (!isBlank(c)) {
        h = fnvStep(h, c);
        i += 1;
        continue;
      }
      let j = i + 1;
      while (j < n && isBlank(lower.charCodeAt(j))) j += 1;
      if (j === n || j - i > 1 || (c < 0x80 && SEPARATOR[c] === 1)) {
        end = i;
        i = j;
        break;
      }
      h = fnvStep(h, c); // a lone tab or no-break space: part of the token
      i = j;
    }
    const bit = filterBit(h);
    if (end - start <= LONGEST_RATED && (RATED[bit >>> 5]! & (1 << (bit & 31))) !== 0) {
      const rating = RATINGS.get(lower.slice(start, end));
      if (rating !== undefined) {
        const negated = prevStart >= 0 && Boolean(NEGATORS[lower.slice(prevStart, prevEnd)]);
        score += negated ? -rating : rating;
        intensity += Math.abs(rating);
      }
    }
    prevStart = start;
    prevEnd = end;
  }
  return { score, intensity };
}

/** Whitespace, or a character the package's tokenizer turns into a space. */
function isBlank(c: number): boolean {
  return c < 0x80 ? SEPARATOR[c] === 1 || (c >= 0x09 && c <= 0x0d) : isJsSpace(c);
}
