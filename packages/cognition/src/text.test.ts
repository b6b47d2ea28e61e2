import { describe, expect, it } from 'vitest';
import { contentHash, foldText, indexTerms, normalizeContent, queryTerms, tokenize } from '@engram/cognition';

describe('normalizeContent', () => {
  it('trims surrounding space and unifies line endings', () => {
    expect(normalizeContent('  a\r\nb\rc\n  ')).toBe('a\nb\nc');
  });

  it('composes to Unicode NFC', () => {
    expect(normalizeContent('Zoe\u0308')).toBe('Zo\u00eb');
  });

  it('keeps inner spacing', () => {
    expect(normalizeContent('a  b\t c')).toBe('a  b\t c');
  });

  it('gives what Unicode normalization gives, ASCII or not (ASCII skips the normalizer)', () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pieces = ['a', 'Z', '9', ' ', '\t', '\r\n', '\x7f', '\x00', 'e\u0301', '\u00e9', '\u00bd', '\ufb01', 'Ⅻ', '\uff21', 'ß', 'İ', '😀', '\ud800'];
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const ascii = i % 2 === 0;
      for (let n = Math.floor(random() * 12); n > 0; n--) text += pieces[Math.floor(random() * (ascii ? 8 : pieces.length))];
      expect(normalizeContent(text)).toBe(text.normalize('NFC').replace(/\r\n?/g, '\n').trim());
      expect(foldText(text)).toBe(text.normalize('NFKC').toLowerCase());
    }
  });
});

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter or digit', () => {
    expect(tokenize('Hello, World! 42 times; e-mail: a.b@c.d')).toEqual(['hello', 'world', '42', 'times', 'e', 'mail', 'a', 'b', 'c', 'd']);
  });

  it('keeps inner apostrophes, straight or curly', () => {
    expect(tokenize("It's Bob’s cat, isn't it")).toEqual(["it's", 'bob’s', 'cat', "isn't", 'it']);
  });

  it('drops apostrophes that do not join letters', () => {
    expect(tokenize("'quoted' cats' 90's")).toEqual(['quoted', 'cats', "90's"]);
  });

  it('keeps non-Latin letters and folds compatibility forms (NFKC)', () => {
    expect(tokenize('Straße café 東京 ＡＢＣ ﬁle ①')).toEqual(['straße', 'café', '東京', 'abc', 'file', '1']);
  });

  it('returns no tokens for empty or punctuation-only text', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('  ...!?  ')).toEqual([]);
  });
});

describe('indexTerms', () => {
  it('stems words, drops stop words and counts frequencies', () => {
    const t = indexTerms(tokenize('The runner was running and the runners ran'));
    expect(t.frequencies).toEqual([
      { term: 'runner', count: 2 },
      { term: 'run', count: 1 },
      { term: 'ran', count: 1 },
    ]);
    expect(t.length).toBe(4);
  });

  it('remembers the first word form of each term', () => {
    const t = indexTerms(tokenize('Running runs run'));
    expect(t.frequencies).toEqual([{ term: 'run', count: 3 }]);
    expect(t.surfaces).toEqual(['running']);
  });

  it('drops possessive endings', () => {
    const t = indexTerms(tokenize("Alice's cat and Bob’s cats"));
    expect(t.frequencies.map((f) => f.term)).toEqual(['alic', 'cat', 'bob']);
    expect(t.frequencies[1]!.count).toBe(2);
    expect(t.surfaces).toEqual(['alice', 'cat', 'bob']);
  });

  it('does not stem tokens that are not plain a-z words', () => {
    const t = indexTerms(tokenize('cafés 2024 東京'));
    expect(t.frequencies.map((f) => f.term)).toEqual(['cafés', '2024', '東京']);
  });

  it('drops tokens longer than 64 characters', () => {
    const t = indexTerms(['a'.repeat(65), 'b'.repeat(64)]);
    expect(t.frequencies).toHaveLength(1);
    expect(t.length).toBe(1);
  });

  it('indexes nothing for stop words only', () => {
    const t = indexTerms(tokenize('the and is it of to a'));
    expect(t.frequencies).toHaveLength(0);
    expect(t.length).toBe(0);
  });

  it('gives the document length as the number of indexed tokens', () => {
    const t = indexTerms(tokenize('apple apple banana the'));
    expect(t.length).toBe(3);
    expect(t.frequencies.reduce((a, f) => a + f.count, 0)).toBe(t.length);
  });

  it('counts the same past the number of terms it finds by scanning', () => {
    // 100 distinct words, each twice and once more in a different form, in a scattered order.
    const words = Array.from({ length: 100 }, (_, i) => `w${i}x`);
    const tokens = [...words, ...words.map((w) => `${w}'s`).reverse(), ...words.filter((_, i) => i % 3 === 0)];
    const t = indexTerms(tokens);
    expect(t.frequencies.map((f) => f.term)).toEqual(words);
    expect(t.frequencies.map((f) => f.count)).toEqual(words.map((_, i) => (i % 3 === 0 ? 3 : 2)));
    expect(t.surfaces).toEqual(words);
    expect(t.length).toBe(tokens.length);
  });
});

describe('queryTerms', () => {
  it('gives distinct stems in first-seen order', () => {
    expect(queryTerms('Running runs, the RUN; runners')).toEqual(['run', 'runner']);
  });

  it('matches the terms a memory is indexed under', () => {
    const doc = indexTerms(tokenize('She prefers green tea in the mornings'));
    for (const term of queryTerms('preferring teas morning')) expect(doc.frequencies.map((f) => f.term)).toContain(term);
  });

  it('is empty for stop words only', () => {
    expect(queryTerms('the of and')).toEqual([]);
  });
});

describe('contentHash', () => {
  it('is equal for case and whitespace variants of the same content', () => {
    const h = contentHash('note', 'Alice likes tea');
    expect(contentHash('note', '  alice   LIKES\n\ttea ')).toBe(h);
    expect(contentHash('note', 'ALICE LIKES TEA')).toBe(h);
  });

  it('is equal for compatibility variants (NFKC)', () => {
    expect(contentHash('note', 'ﬁle')).toBe(contentHash('note', 'file'));
  });

  it('differs for a different kind', () => {
    expect(contentHash('note', 'Alice likes tea')).not.toBe(contentHash('message', 'Alice likes tea'));
    expect(contentHash('', 'Alice likes tea')).not.toBe(contentHash('note', 'Alice likes tea'));
  });

  it('differs for different content, including punctuation', () => {
    const hashes = new Set(['Alice likes tea', 'Alice likes coffee', 'Alice likes tea!', 'Alicelikes tea', ''].map((c) => contentHash('note', c)));
    expect(hashes.size).toBe(5);
  });

  it('does not let kind and content run into each other', () => {
    expect(contentHash('ab', 'c')).not.toBe(contentHash('a', 'bc'));
  });

  it('has not changed: stored hash entries must keep matching', () => {
    const cases: [string, string, string][] = [
      ['', 'Alice likes tea', '9tlCojgy1-DgWYxG-r3jhu'],
      ['note', '  alice   LIKES\n\ttea ', 'kJyvK5QI71nHNGfg88eK-S'],
      ['msg', 'ﬁle\u00a0café 東京\u3000x', 'Bb22F7TQlFujY5WgHEpCig'],
      ['k', 'one two  three', 'nxZB22Wu202DXfOUR6CsGm'],
      ['', '', 'bjQLnP-zepicpUTmu3gKLH'],
    ];
    for (const [kind, content, hash] of cases) expect(contentHash(kind, content)).toBe(hash);
  });

  it('is a 22-character base64url string', () => {
    expect(contentHash('k', 'x')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('indexTerms term cache', () => {
  it('gives the same terms however many other words went through it since', () => {
    const text = "The runners' running shoes and Bob’s cafés";
    const before = indexTerms(tokenize(text));
    // Far more distinct words than the cache keeps, so that the words above leave it and come back (letters only:
    // tokens with digits do not enter the cache).
    for (let i = 0; i < 50_000; i++) indexTerms([`word${letters(i)}`, `runs${letters(i)}s`]);
    const after = indexTerms(tokenize(text));
    expect(after.frequencies).toEqual(before.frequencies);
    expect(after.surfaces).toEqual(before.surfaces);
    expect(after.length).toBe(before.length);
    expect(after.frequencies).toEqual(['runner', 'run', 'shoe', 'bob', 'cafés'].map((term) => ({ term, count: 1 })));
  });

  it('indexes tokens with digits as before, kept out of the cache or not', () => {
    const text = "Room 101's key, 101 times: v2 and 2024-05-01 in ４２";
    const first = indexTerms(tokenize(text));
    expect(first.frequencies).toEqual([
      { term: 'room', count: 1 },
      { term: '101', count: 2 },
      { term: 'kei', count: 1 },
      { term: 'time', count: 1 },
      { term: 'v2', count: 1 },
      { term: '2024', count: 1 },
      { term: '05', count: 1 },
      { term: '01', count: 1 },
      { term: '42', count: 1 },
    ]);
    expect(first.surfaces).toEqual(['room', '101', 'key', 'times', 'v2', '2024', '05', '01', '42']);
    expect(indexTerms(tokenize(text))).toEqual(first);
  });
});

/** A letters-only name for a number (a, b, ..., z, ba, bb, ...). */
function letters(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  } while (n > 0);
  return out;
}
