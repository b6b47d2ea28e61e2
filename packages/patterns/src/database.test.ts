import { describe, expect, it } from 'vitest';
import {
  comparePatterns,
  frequentItems,
  normaliseSupport,
  parseLines,
  parseSpmf,
  parseZaki,
  patternKey,
  sortPatterns,
} from './database.js';
import { mulberry32, randomSequenceDatabase } from './reference-sequences.js';
import type { Sequence } from './types.js';

const toSpmf = (db: readonly Sequence[]): string =>
  db.map((s) => s.map((e) => `${e.join(' ')} -1`).join(' ') + ' -2').join('\n') + '\n';

const toZaki = (db: readonly Sequence[]): string =>
  db.flatMap((s, sid) => s.map((e, eid) => `${sid + 1} ${(eid + 1) * 10} ${e.length} ${e.join(' ')}`)).join('\n');

describe('parseSpmf', () => {
  it('parses elements and sequences, sorting and deduplicating elements', () => {
    expect(parseSpmf('1 -1 3 2 3 -1 4 -1 -2\n\n5 -1 -2')).toEqual([[[1], [2, 3], [4]], [[5]]]);
  });

  it('skips comment and metadata lines and tolerates CRLF', () => {
    expect(parseSpmf('@CONVERTED_FROM_TEXT\r\n# comment\r\n7 8 -1 -2\r\n')).toEqual([[[7, 8]]]);
  });

  it('round-trips random databases', () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 20; i++) {
      const db = randomSequenceDatabase(rand);
      expect(parseSpmf(toSpmf(db))).toEqual(db);
    }
  });

  it.each([
    ['1 -1 2 -2', 'line 2: element not closed by -1 before -2'],
    ['1 -1', 'line 2: sequence not terminated by -2'],
    ['1 -1 -1 -2', 'line 2: empty element'],
    ['-2', 'line 2: empty sequence'],
    ['1 x -1 -2', 'line 2: item must be a non-negative integer, got "x"'],
    ['1 -3 -1 -2', 'line 2: item must be a non-negative integer, got "-3"'],
    ['1 -1 -2 2 -1 -2', 'line 2: tokens after -2'],
  ])('rejects %j naming the line', (bad, message) => {
    expect(() => parseSpmf(`1 -1 -2\n${bad}\n3 -1 -2`)).toThrow(message);
  });
});

describe('parseZaki', () => {
  it('groups by sequence id in order of appearance and orders elements by event id', () => {
    const text = '7 20 1 5\n3 10 2 2 1\n7 10 2 1 9\n\n3 15 1 4\n';
    expect(parseZaki(text)).toEqual([
      [[1, 9], [5]],
      [[1, 2], [4]],
    ]);
  });

  it('round-trips random databases', () => {
    const rand = mulberry32(8);
    for (let i = 0; i < 20; i++) {
      const db = randomSequenceDatabase(rand);
      expect(parseZaki(toZaki(db))).toEqual(db);
    }
  });

  it.each([
    ['1 10 2 1', 'line 2: item count 2 but 1 items follow'],
    ['1 10 1', 'line 2: expected "sequenceId eventId itemCount item…"'],
    ['1 x 1 1', 'line 2: event id must be a non-negative integer'],
    ['9 5 1 1 2', 'line 2: item count 1 but 2 items follow'],
    ['9 5 1 -4', 'line 2: item must be a non-negative integer'],
  ])('rejects %j naming the line', (bad, message) => {
    expect(() => parseZaki(`1 5 1 1\n${bad}\n`)).toThrow(message);
  });

  it('rejects a repeated event of one sequence, naming both lines', () => {
    expect(() => parseZaki('1 5 1 1\n2 5 1 1\n1 5 1 2')).toThrow('line 3: event 5 of sequence 1 repeats line 1');
  });
});

describe('parseLines', () => {
  it('makes each item its own element and skips blank lines', () => {
    expect(parseLines('3 1 3\n\n  2 \n')).toEqual([[[3], [1], [3]], [[2]]]);
  });

  it('rejects a bad token naming the line', () => {
    expect(() => parseLines('1 2\n\n3 4.5')).toThrow('line 3: item must be a non-negative integer, got "4.5"');
  });
});

describe('patterns', () => {
  it('patternKey joins items by spaces and elements by |', () => {
    expect(patternKey({ elements: [[1, 2], [3]] })).toBe('1 2|3');
    expect(patternKey({ elements: [[10]] })).toBe('10');
  });

  it('orders by length in items, then lexicographically over elements', () => {
    const ps = [[[2]], [[1], [2]], [[1, 2]], [[1]], [[1], [1]], [[1, 3]], [[3]], [[1], [2], [3]], [[1, 2, 3]]].map(
      (elements) => ({ elements, support: 1 }),
    );
    expect(sortPatterns(ps).map(patternKey)).toEqual(['1', '2', '3', '1|1', '1|2', '1 2', '1 3', '1|2|3', '1 2 3']);
  });

  it('comparePatterns is a total order consistent with patternKey equality', () => {
    const rand = mulberry32(9);
    const ps = Array.from({ length: 60 }, () => ({ elements: randomSequenceDatabase(rand)[0]!.map((e) => [...e]) }));
    for (const a of ps) {
      for (const b of ps) {
        const ab = Math.sign(comparePatterns(a, b));
        expect(ab + Math.sign(comparePatterns(b, a))).toBe(0);
        expect(ab === 0).toBe(patternKey(a) === patternKey(b));
        for (const c of ps.slice(0, 15)) {
          if (ab <= 0 && comparePatterns(b, c) <= 0) expect(comparePatterns(a, c)).toBeLessThanOrEqual(0);
        }
      }
    }
  });
});

describe('normaliseSupport', () => {
  it('passes absolute counts through and rounds relative ones up', () => {
    expect(normaliseSupport({ absolute: 3 }, 10)).toBe(3);
    expect(normaliseSupport({ relative: 0.7 }, 4)).toBe(3);
    expect(normaliseSupport({ relative: 0.4 }, 4)).toBe(2);
    expect(normaliseSupport({ relative: 0.5 }, 730)).toBe(365);
    expect(normaliseSupport({ relative: 0.001 }, 59601)).toBe(60);
    expect(normaliseSupport({ relative: 0.01 }, 3)).toBe(1);
    expect(normaliseSupport({ relative: 1 }, 0)).toBe(1);
  });

  it('ignores float noise at exact products', () => {
    expect(0.07 * 100).not.toBe(7);
    expect(normaliseSupport({ relative: 0.07 }, 100)).toBe(7);
  });

  it.each([
    [{ absolute: 0 }, 'minSupport.absolute'],
    [{ absolute: 1.5 }, 'minSupport.absolute'],
    [{ relative: 0 }, 'minSupport.relative'],
    [{ relative: 1.2 }, 'minSupport.relative'],
    [{ relative: Number.NaN }, 'minSupport.relative'],
    [{}, 'minSupport'],
    [{ absolute: 1, relative: 0.5 }, 'not both'],
  ])('rejects %j', (ms, field) => {
    expect(() => normaliseSupport(ms, 10)).toThrow(RangeError);
    expect(() => normaliseSupport(ms, 10)).toThrow(field);
  });

  it('rejects a bad sequence count', () => {
    expect(() => normaliseSupport({ absolute: 1 }, -1)).toThrow('sequenceCount');
  });
});

describe('frequentItems', () => {
  it('counts sequences, not occurrences, and sorts by item', () => {
    const db = [[[5, 1], [1]], [[2], [5]], [[5]]].map((s) => s.map((e) => [...e].sort((a, b) => a - b)));
    expect(frequentItems(db, 1)).toEqual([
      { item: 1, support: 1 },
      { item: 2, support: 1 },
      { item: 5, support: 3 },
    ]);
    expect(frequentItems(db, 2)).toEqual([{ item: 5, support: 3 }]);
  });
});
