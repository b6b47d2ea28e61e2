import { hash } from 'node:crypto';
import { stemmer } from 'stemmer';
import { eng } from 'stopword';

const STOPWORDS = new Set(eng);
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
const MAX_TERM_LENGTH = 64;
/** Whitespace that the content hash collapses into one space: anything but a lone ' '. */
const SPACE_TO_COLLAPSE = /[^\S ]| {2}/u;
/** ASCII text is its own NFC and NFKC form: it skips ICU's normalizer (a UTF-16 copy and a pass over it). */
const NON_ASCII = /[^\x00-\x7f]/;
/** Distinct word forms whose terms are remembered, per generation of the term cache (two generations are kept). */
const TERM_CACHE_SIZE = 10_000;

/** Unicode NFC, line endings unified, surrounding space trimmed: the content as stored. */
export function normalizeContent(content: string): string {
  return (NON_ASCII.test(content) ? content.normalize('NFC') : content).replace(/\r\n?/g, '\n').trim();
}

/** NFKC-folded and lower-cased: the form that both tokens and the content hash are taken from. */
export function foldText(text: string): string {
  return (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
}

/** Lower-cased word tokens in order (letters and digits, with inner apostrophes), NFKC-folded. */
export function tokenize(text: string): string[] {
  return tokensOfFolded(foldText(text));
}

/** tokenize() of text already passed through foldText(). */
export function tokensOfFolded(folded: string): string[] {
  return folded.match(WORD) ?? [];
}

/** A distinct term of a text and how often it occurs (the shape of a stored record's terms). */
export interface TermFrequency {
  term: string;
  count: number;
}

export interface IndexTerms {
  /** The distinct terms (stems) in first-seen order, with their frequencies. */
  frequencies: TermFrequency[];
  /** surfaces[i]: the first word form frequencies[i].term came from (for readable keywords). */
  surfaces: string[];
  /** Number of indexed tokens: the document length for BM25. */
  length: number;
}

/** What a token indexes as: its word form (possessive dropped, curly apostrophe straightened) and its term. */
interface TokenTerm {
  token: string;
  /** '' when the token is not indexed (a stop word, too long, or empty). */
  term: string;
}

function deriveTerm(raw: string): TokenTerm {
  const token = raw.replace(/['’]s$/u, '').replace(/’/gu, "'");
  if (token.length === 0 || token.length > MAX_TERM_LENGTH || STOPWORDS.has(token)) return { token, term: '' };
  return { token, term: /^[a-z]+$/.test(token) ? stemmer(token) : token };
}

/**
 * Terms of recently seen tokens. Stemming and the regular expressions around it cost more than the rest of the
 * write path's text processing, and a vocabulary repeats, so each word form is derived once while it stays in use:
 * two generations of TERM_CACHE_SIZE, the older dropped when the newer fills (bounded memory, no per-hit upkeep).
 */
let recentTerms = new Map<string, TokenTerm>();
let olderTerms = new Map<string, TokenTerm>();

function termOf(raw: string): TokenTerm {
  // Tokens with a digit (numbers, codes, dates) mostly occur once: a cache entry would only push a word out, and
  // they are cheap to derive (never stemmed).
  if (hasDigit(raw)) return deriveTerm(raw);
  const cached = recentTerms.get(raw);
  if (cached !== undefined) return cached;
  // Longer tokens are never indexed as they are; they are not worth a cache entry.
  if (raw.length > MAX_TERM_LENGTH + 2) return deriveTerm(raw);
  const derived = olderTerms.get(raw) ?? deriveTerm(raw);
  if (recentTerms.size >= TERM_CACHE_SIZE) {
    olderTerms = recentTerms;
    recentTerms = new Map();
  }
  recentTerms.set(raw, derived);
  return derived;
}

/** Whether a token has an ASCII digit. */
function hasDigit(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) return true;
  }
  return false;
}

/**
 * Distinct terms up to which a term is looked up by scanning those seen so far: a memory has a dozen or two, and
 * two Maps per memory (frequency and surface by term) were a tenth of the write path's garbage.
 */
const SCANNED_TERMS = 32;

/** Index terms of a token list: stop words dropped, Porter-stemmed. */
export function indexTerms(tokens: readonly string[]): IndexTerms {
  const frequencies: TermFrequency[] = [];
  const surfaces: string[] = [];
  /** Term → its index in frequencies, once there are more than SCANNED_TERMS. */
  let byTerm: Map<string, number> | undefined;
  let length = 0;
  for (const raw of tokens) {
    const { token, term } = termOf(raw);
    if (term.length === 0) continue;
    length += 1;
    const at = byTerm === undefined ? scanFor(frequencies, term) : (byTerm.get(term) ?? -1);
    if (at >= 0) {
      frequencies[at]!.count += 1;
      continue;
    }
    if (byTerm !== undefined) byTerm.set(term, frequencies.length);
    else if (frequencies.length === SCANNED_TERMS) byTerm = new Map([...frequencies.map((f, i) => [f.term, i] as const), [term, SCANNED_TERMS]]);
    frequencies.push({ term, count: 1 });
    surfaces.push(token);
  }
  return { frequencies, length, surfaces };
}

function scanFor(frequencies: readonly TermFrequency[], term: string): number {
  for (let i = 0; i < frequencies.length; i++) if (frequencies[i]!.term === term) return i;
  return -1;
}

/** The distinct terms of a query text, in first-seen order. */
export function queryTerms(text: string): string[] {
  return indexTerms(tokenize(text)).frequencies.map((f) => f.term);
}

/**
 * Content hash for duplicate detection: kind and content, case- and space-insensitive. Two memories of a subject
 * with equal hashes are the same observation repeated.
 */
export function contentHash(kind: string, content: string): string {
  return contentHashOfFolded(kind, foldText(content));
}

/** contentHash() of content already passed through foldText(). */
export function contentHashOfFolded(kind: string, folded: string): string {
  // Most text has no space to collapse (single spaces only): skip building the same string again.
  const spaced = SPACE_TO_COLLAPSE.test(folded) ? folded.replace(/\s+/gu, ' ') : folded;
  // One-shot hash of kind NUL content: the same bytes as hashing the three in turn, without a Hash object.
  return hash('sha256', `${kind}\x00${spaced.trim()}`, 'base64url').slice(0, 22);
}
