import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frequentItems, normaliseSupport, parseLines, parseSpmf, parseZaki, patternKey, sortPatterns } from './database.js';
import { datasetPath } from './datasets.js';
import { encodeDatabase, encodedStats, prefixSpan, prefixSpanEncoded } from './prefixspan.js';
import { bruteForceSequentialPatterns, mulberry32, randomSequenceDatabase } from './reference-sequences.js';
import type { Sequence, SequenceMiningOptions, SequentialPattern } from './types.js';

/** `key:support` lines, the easiest form to compare and read in a failure. */
const show = (ps: readonly SequentialPattern[]): string[] => ps.map((p) => `${patternKey(p)}:${p.support}`);

const load = (name: string): string => readFileSync(datasetPath(name), 'utf8');

/** Random options in the ranges of the property tests. */
function randomOptions(rand: () => number, n: number): SequenceMiningOptions {
  const gaps = [undefined, 0, 1, 2];
  return {
    minSupport: 1 + Math.floor(rand() * Math.min(n, 4)),
    minLength: 1 + Math.floor(rand() * 3),
    maxLength: 1 + Math.floor(rand() * 5),
    maxGap: gaps[Math.floor(rand() * gaps.length)],
  };
}

/** A random partition of `items` into 1–3 non-empty-or-empty parts. */
function partition<T>(rand: () => number, items: readonly T[]): T[][] {
  const parts: T[][] = [[], [], []].slice(0, 1 + Math.floor(rand() * 3));
  for (const x of items) parts[Math.floor(rand() * parts.length)]!.push(x);
  return parts;
}

describe('prefixSpan against the brute force', () => {
  it('matches exactly on 300 random databases (all gap settings, length bounds)', () => {
    const rand = mulberry32(20240601);
    const seen = { gap: new Set<string>(), nonEmpty: 0, itemsets: 0 };
    for (let i = 0; i < 300; i++) {
      const db = randomSequenceDatabase(rand);
      const o = randomOptions(rand, db.length);
      const got = prefixSpan(db, o);
      expect(show(got), `case ${i}: ${JSON.stringify({ db, o })}`).toEqual(show(bruteForceSequentialPatterns(db, o)));
      seen.gap.add(String(o.maxGap));
      if (got.length > 0) seen.nonEmpty++;
      if (got.some((p) => p.elements.some((e) => e.length > 1))) seen.itemsets++;
    }
    // The generator really exercises every gap setting and itemset-extensions.
    expect(seen.gap.size).toBe(4);
    expect(seen.nonEmpty).toBeGreaterThan(200);
    expect(seen.itemsets).toBeGreaterThan(100);
  });

  it('matches with unbounded length on small databases', () => {
    const rand = mulberry32(99);
    const shape = { sequences: [3, 6], elements: [1, 5], itemsPerElement: [1, 3], alphabet: [3, 5] } as const;
    for (let i = 0; i < 60; i++) {
      const db = randomSequenceDatabase(rand, {
        sequences: [...shape.sequences],
        elements: [...shape.elements],
        itemsPerElement: [...shape.itemsPerElement],
        alphabet: [...shape.alphabet],
      });
      const o = { minSupport: 2 + Math.floor(rand() * 2), maxGap: [undefined, 0, 1][i % 3] };
      expect(show(prefixSpan(db, o)), `case ${i}`).toEqual(show(bruteForceSequentialPatterns(db, o)));
    }
  });

  it('the union over any partition of the first items equals the unpartitioned output', () => {
    const rand = mulberry32(4242);
    for (let i = 0; i < 200; i++) {
      const db = randomSequenceDatabase(rand);
      const o = randomOptions(rand, db.length);
      const whole = prefixSpan(db, o);
      const items = frequentItems(db, o.minSupport).map((f) => f.item);
      const enc = encodeDatabase(db);
      const union = partition(rand, [...items, 99]).flatMap((part) => {
        const got = prefixSpanEncoded(enc, o, part);
        expect(got.every((p) => part.includes(p.elements[0]![0]!))).toBe(true);
        return got;
      });
      expect(show(sortPatterns(union)), `case ${i}`).toEqual(show(whole));
    }
  });
});

describe('prefixSpan semantics', () => {
  it('finds an itemset-extension that the leftmost occurrence of the prefix misses', () => {
    // <(1)(1 2)>: the leftmost (1) is in element 0, but (1 2) only occurs in element 1.
    expect(show(prefixSpan([[[1], [1, 2]]], { minSupport: 1 }))).toEqual([
      '1:1',
      '2:1',
      '1|1:1',
      '1|2:1',
      '1 2:1',
      '1|1 2:1',
    ]);
  });

  it('keeps every end under a gap constraint, not just the leftmost', () => {
    // (1)(3) with maxGap 0: the first 1 is followed by 2, the second by 3.
    const db = [[[1], [2], [1], [3]]];
    expect(show(prefixSpan(db, { minSupport: 1, minLength: 2, maxLength: 2, maxGap: 0 }))).toEqual([
      '1|2:1',
      '1|3:1',
      '2|1:1',
    ]);
    expect(show(prefixSpan(db, { minSupport: 1, minLength: 3, maxGap: 1 }))).toEqual([
      '1|1|3:1',
      '1|2|1:1',
      '1|2|3:1',
      '2|1|3:1',
      '1|2|1|3:1',
    ]);
  });

  it('grows patterns shorter than minLength without emitting them', () => {
    const db = parseSpmf(load('context-prefixspan.spmf.txt'));
    const all = prefixSpan(db, { minSupport: 2 });
    const long = prefixSpan(db, { minSupport: 2, minLength: 3 });
    expect(show(long)).toEqual(show(all.filter((p) => p.elements.flat().length >= 3)));
  });

  it('validates options', () => {
    const db = [[[1]]];
    expect(() => prefixSpan(db, { minSupport: 0 })).toThrow(/minSupport/);
    expect(() => prefixSpan(db, { minSupport: 1, minLength: 0 })).toThrow(/minLength/);
    expect(() => prefixSpan(db, { minSupport: 1, maxLength: 1.5 })).toThrow(/maxLength/);
    expect(() => prefixSpan(db, { minSupport: 1, maxGap: -1 })).toThrow(RangeError);
  });

  it('handles empty inputs and empty elements', () => {
    expect(prefixSpan([], { minSupport: 1 })).toEqual([]);
    expect(prefixSpan([[]], { minSupport: 1 })).toEqual([]);
    // An empty element still counts as a skipped element for the gap.
    const db: Sequence[] = [[[1], [], [2]]];
    expect(show(prefixSpan(db, { minSupport: 1, minLength: 2, maxGap: 0 }))).toEqual([]);
    expect(show(prefixSpan(db, { minSupport: 1, minLength: 2, maxGap: 1 }))).toEqual(['1|2:1']);
  });

  it('encodes sparse items densely, in a SharedArrayBuffer when asked, with the same results', () => {
    const db: Sequence[] = [
      [[20000, 10307], [12559]],
      [[10307], [12559, 20000]],
      [[12559], [10307, 20000, 20000]],
    ];
    const shared = encodeDatabase(db, { shared: true });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(encodedStats(shared)).toEqual({ sequences: 3, elements: 6, tokens: 9, items: 3 });
    const o = { minSupport: 2 };
    expect(show(prefixSpanEncoded(shared, o))).toEqual(show(bruteForceSequentialPatterns(db, o)));
    expect(() => prefixSpanEncoded(new Int32Array(8), o)).toThrow('not an encoded sequence database');
  });
});

describe('published examples', () => {
  const context = () => parseSpmf(load('context-prefixspan.spmf.txt'));

  it("SPMF's PrefixSpan example: minsup 0.7 (3 of 4 sequences), max length 5 → 14 patterns", () => {
    const db = context();
    const minSupport = normaliseSupport({ relative: 0.7 }, db.length);
    expect(minSupport).toBe(3);
    const got = prefixSpan(db, { minSupport, maxLength: 5 });
    expect(got).toHaveLength(14);
    expect(show(got)).toEqual([
      '1:4',
      '2:4',
      '3:4',
      '4:3',
      '5:3',
      '6:3',
      '1|2:4',
      '1|3:4',
      '2|3:3',
      '3|2:3',
      '3|3:3',
      '4|3:3',
      '1|3|2:3',
      '1|3|3:3',
    ]);
    expect(show(got)).toEqual(show(bruteForceSequentialPatterns(db, { minSupport, maxLength: 5 })));
  });

  it('the same database at minsup 50% (2 sequences) gives the well-known 53 patterns', () => {
    // Pei et al.'s PrefixSpan paper example (a..g = 1..7): 53 sequential patterns at min_support 2.
    const db = context();
    const got = prefixSpan(db, { minSupport: normaliseSupport({ relative: 0.5 }, db.length) });
    expect(got).toHaveLength(53);
    expect(show(got)).toEqual(show(bruteForceSequentialPatterns(db, { minSupport: 2 })));
    // The longest ones, as in the paper's table: <a(bc)a>, <(ab)dc>, <eacb>, <efcb>.
    expect(show(got.filter((p) => p.elements.flat().length === 4))).toEqual([
      '1|2 3|1:2',
      '1 2|4|3:2',
      '5|1|3|2:2',
      '5|6|3|2:2',
    ]);
    expect(got.every((p) => p.elements.flat().length <= 4)).toBe(true);
  });

  /*
   * Zaki's SPADE example (customers A..H = items 1..8), min_sup 0.4 of 4 sequences → ceil(1.6) = 2 sequences, the
   * paper's min_sup of 2. The published "18 frequent sequences" is the whole lattice: A B D F; AB AF B→A BF D→A D→B
   * D→F F→A; ABF BF→A D→BF D→B→A D→F→A; D→BF→A (4 + 8 + 5 + 1). The "14" are those with at most 2 elements and at
   * most 2 items per element, i.e. the 18 minus ABF, D→B→A, D→F→A and D→BF→A. No length bound of SPMF's options
   * reproduces 14 (maxLength 3 gives 17), so it is a filter on the shape of the patterns.
   */
  it("Zaki's SPADE example: support 0.4 → 18 frequent sequences, 14 of at most 2 elements of at most 2 items", () => {
    const db = parseZaki(load('zaki.txt'));
    expect(db).toHaveLength(4);
    const minSupport = normaliseSupport({ relative: 0.4 }, db.length);
    expect(minSupport).toBe(2);
    const got = prefixSpan(db, { minSupport });
    expect(show(got)).toEqual([
      '1:4', // A
      '2:4', // B
      '4:2', // D
      '6:4', // F
      '1 2:3', // AB
      '1 6:3', // AF
      '2|1:2', // B→A
      '2 6:4', // BF
      '4|1:2', // D→A
      '4|2:2', // D→B
      '4|6:2', // D→F
      '6|1:2', // F→A
      '1 2 6:3', // ABF
      '2 6|1:2', // BF→A
      '4|2|1:2', // D→B→A
      '4|2 6:2', // D→BF
      '4|6|1:2', // D→F→A
      '4|2 6|1:2', // D→BF→A
    ]);
    expect(show(got)).toEqual(show(bruteForceSequentialPatterns(db, { minSupport })));
    const small = got.filter((p) => p.elements.length <= 2 && p.elements.every((e) => e.length <= 2));
    expect(small).toHaveLength(14);
    expect(prefixSpan(db, { minSupport, maxLength: 3 })).toHaveLength(17);
  });
});

describe('real datasets', () => {
  it('sign.spmf.txt: firstItems partition and SharedArrayBuffer encoding agree with the whole run', () => {
    const db = parseSpmf(load('sign.spmf.txt'));
    expect(db).toHaveLength(730);
    const o = { minSupport: normaliseSupport({ relative: 0.4 }, db.length), maxGap: 3 };
    const enc = encodeDatabase(db, { shared: true });
    const whole = prefixSpanEncoded(enc, o);
    expect(whole.length).toBeGreaterThan(20);
    const items = frequentItems(db, o.minSupport).map((f) => f.item);
    const union = [0, 1, 2].flatMap((r) => prefixSpanEncoded(enc, o, items.filter((_, i) => i % 3 === r)));
    expect(show(sortPatterns(union))).toEqual(show(whole));
  });

  it('bms1.txt at minsup 0.001 finishes quickly and is anti-monotone along prefixes', () => {
    const db = parseLines(load('bms1.txt'));
    expect(db).toHaveLength(59601);
    const got = prefixSpan(db, { minSupport: normaliseSupport({ relative: 0.001 }, db.length) });
    const support = new Map(got.map((p) => [patternKey(p), p.support]));
    for (const p of got) {
      expect(p.support).toBeGreaterThanOrEqual(60);
      if (p.elements.length > 1) {
        // Dropping the last (single-item) element gives a frequent pattern with at least the same support.
        const parent = support.get(patternKey({ elements: p.elements.slice(0, -1) }));
        expect(parent).toBeGreaterThanOrEqual(p.support);
      }
    }
  });
});
