import { createHash } from 'node:crypto';
import { stemmer } from 'stemmer';
import { eng } from 'stopword';

const STOPWORDS = new Set(eng);
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
const MAX_TERM_LENGTH = 64;

/** Unicode NFC, line endings unified, surrounding space trimmed: the content as stored. */
export function normalizeContent(content: string): string {
  return content.normalize('NFC').replace(/\r\n?/g, '\n').trim();
}

/** Lower-cased word tokens in order (letters and digits, with inner apostrophes), NFKC-folded. */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

export interface IndexTerms {
  /** Term (stem) → frequency. */
  counts: Map<string, number>;
  /** Number of indexed tokens: the document length for BM25. */
  length: number;
  /** Term → the first word form it came from (for readable keywords). */
  surface: Map<string, string>;
}

/** Index terms of a token list: stop words dropped, Porter-stemmed. */
export function indexTerms(tokens: readonly string[]): IndexTerms {
  const counts = new Map<string, number>();
  const surface = new Map<string, string>();
  let length = 0;
  for (const raw of tokens) {
    const token = raw.replace(/['’]s$/u, '').replace(/’/gu, "'");
    if (token.length === 0 || token.length > MAX_TERM_LENGTH || STOPWORDS.has(token)) continue;
    const term = /^[a-z]+$/.test(token) ? stemmer(token) : token;
    if (term.length === 0) continue;
    counts.set(term, (counts.get(term) ?? 0) + 1);
    if (!surface.has(term)) surface.set(term, token);
    length += 1;
  }
  return { counts, length, surface };
}

/** The distinct terms of a query text, in first-seen order. */
export function queryTerms(text: string): string[] {
  return [...indexTerms(tokenize(text)).counts.keys()];
}

/**
 * Content hash for duplicate detection: kind and content, case- and space-insensitive. Two memories of a subject
 * with equal hashes are the same observation repeated.
 */
export function contentHash(kind: string, content: string): string {
  const folded = content.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return createHash('sha256').update(kind).update('\x00').update(folded).digest('base64url').slice(0, 22);
}
