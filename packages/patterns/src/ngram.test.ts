import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frequentItems, normaliseSupport, parseLines, parseSpmf, patternKey } from './database.js';
import { datasetPath } from './datasets.js';
import { contiguousPatterns } from './ngram.js';
import { encodeDatabase, prefixSpan, prefixSpanEncoded } from './prefixspan.js';
import { bruteForceSequentialPatterns, mulberry32, randomSequenceDatabase } from './reference-sequences.js';
import type { SequentialPattern } from './types.js';

const show = (ps: readonly SequentialPattern[]): string[] => ps.map((p) => `${patternKey(p)}:${p.support}`);
const load = (name: string): string => readFileSync(datasetPath(name), 'utf8');

describe('contiguousPatterns', () => {
  it('equals prefixSpan with maxGap 0 on 300 random databases, with and without firstItems', () => {
    const rand = mulberry32(777);
    let nonEmpty = 0;
    for (let i = 0; i < 300; i++) {
      // Unbounded length only on smaller elements: a 7-element sequence of 3-item elements alone has up to 7^7
      // contiguous subpatterns.
      const unbounded = i % 4 === 0;
      const db = randomSequenceDatabase(
        rand,
        unbounded
          ? { sequences: [3, 12], elements: [1, 5], itemsPerElement: [1, 2], alphabet: [3, 6] }
          : undefined,
      );
      const o = {
        minSupport: 1 + Math.floor(rand() * Math.min(db.length, 4)),
        minLength: 1 + Math.floor(rand() * 3),
        maxLength: unbounded ? undefined : 1 + Math.floor(rand() * 5),
        maxGap: 0,
      };
      const got = contiguousPatterns(db, o);
      expect(show(got), `case ${i}: ${JSON.stringify({ db, o })}`).toEqual(show(prefixSpan(db, o)));
      if (got.length > 0) nonEmpty++;
      const items = frequentItems(db, o.minSupport).map((f) => f.item);
      const first = items.filter(() => rand() < 0.5);
      expect(show(contiguousPatterns(db, o, first)), `case ${i} firstItems ${first}`).toEqual(
        show(prefixSpan(db, o, first)),
      );
    }
    expect(nonEmpty).toBeGreaterThan(200);
  });

  it('equals the brute force on random databases', () => {
    const rand = mulberry32(31337);
    for (let i = 0; i < 100; i++) {
      const db = randomSequenceDatabase(rand);
      const o = { minSupport: 1 + Math.floor(rand() * 3), maxLength: 1 + Math.floor(rand() * 5), maxGap: 0 };
      expect(show(contiguousPatterns(db, o)), `case ${i}`).toEqual(show(bruteForceSequentialPatterns(db, o)));
    }
  });

  it('refuses anything but maxGap 0', () => {
    const db = [[[1], [2]]];
    expect(() => contiguousPatterns(db, { minSupport: 1 })).toThrow(RangeError);
    expect(() => contiguousPatterns(db, { minSupport: 1, maxGap: 1 })).toThrow(/maxGap 0/);
    expect(() => contiguousPatterns(db, { minSupport: 0, maxGap: 0 })).toThrow(/minSupport/);
  });

  it('treats unsorted or repeated items in an element like prefixSpan does', () => {
    const db = [[[3, 1, 3], [2]], [[1, 3], [2, 2]]];
    const o = { minSupport: 2, maxGap: 0 };
    expect(show(contiguousPatterns(db, o))).toEqual(show(prefixSpan(db, o)));
    expect(show(contiguousPatterns(db, o))).toContain('1 3|2:2');
  });

  it("SPMF's PrefixSpan example with contiguous elements (minsup 2)", () => {
    const db = parseSpmf(load('context-prefixspan.spmf.txt'));
    const got = contiguousPatterns(db, { minSupport: 2, maxGap: 0 });
    // 23 of the 53 unconstrained patterns survive contiguity; e.g. <(1)(3)> drops from 4 to 3 because in
    // <(5 6)(1 2)(4 6)(3)(2)> the (3) is two elements after the (1 2).
    expect(show(got)).toEqual([
      '1:4', '2:4', '3:4', '4:3', '5:3', '6:3',
      '1|3:3', '1|4:2', '1 2:2', '2|1:2', '2|3:2', '2 3:2', '3|1:2', '3|2:3', '3|3:2', '4|3:3', '6|3:2',
      '1|3|2:2', '1|3|3:2', '1|4|3:2', '2 3|1:2', '4|3|2:2', '6|3|2:2',
    ]);
    expect(show(got)).toEqual(show(bruteForceSequentialPatterns(db, { minSupport: 2, maxGap: 0 })));
  });

  it('equals prefixSpan on sign.spmf.txt and bms1.txt', () => {
    const sign = parseSpmf(load('sign.spmf.txt'));
    const o1 = { minSupport: normaliseSupport({ relative: 0.05 }, sign.length), maxGap: 0 };
    const a = contiguousPatterns(sign, o1);
    expect(a.length).toBeGreaterThan(100);
    expect(show(a)).toEqual(show(prefixSpanEncoded(encodeDatabase(sign), o1)));

    const bms = parseLines(load('bms1.txt'));
    const o2 = { minSupport: normaliseSupport({ relative: 0.0005 }, bms.length), maxGap: 0 };
    const b = contiguousPatterns(bms, o2);
    expect(b.length).toBeGreaterThan(100);
    expect(show(b)).toEqual(show(prefixSpanEncoded(encodeDatabase(bms), o2)));
  });
});
