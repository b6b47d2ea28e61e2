import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetPath } from './datasets.js';
import { fpGrowth, frequentItemList, type FpGrowthOptions } from './fpgrowth.js';
import { bruteForceItemsets, levelwiseItemsets } from './reference-itemsets.js';
import { mulberry32 } from './reference-sequences.js';
import { parseTransactions, sortItemsets } from './transactions.js';
import type { FrequentItemset, Item } from './types.js';

/** Checks the partition contract: each part's output is sorted, holds only itemsets whose last item in F-list
 * order is in the part, and the parts together are exactly the unpartitioned output. */
function expectPartitionsCover(
  transactions: readonly (readonly Item[])[],
  o: FpGrowthOptions,
  parts: Item[][],
  full: FrequentItemset[],
): void {
  const rank = new Map(frequentItemList(transactions, o.minSupport).map((x, r) => [x, r]));
  const union: FrequentItemset[] = [];
  for (const part of parts) {
    const got = fpGrowth(transactions, o, part);
    expect(got).toEqual(sortItemsets([...got]));
    for (const { items } of got) {
      const last = items.reduce((a, b) => (rank.get(b)! > rank.get(a)! ? b : a));
      expect(part).toContain(last);
    }
    union.push(...got);
  }
  expect(sortItemsets(union)).toEqual(full);
}

describe('fpGrowth on the classic example (Han, Pei & Yin 2000; Han & Kamber, Table 6.1)', () => {
  // I1..I5 as items 1..5.
  const named = [
    ['I1', 'I2', 'I5'], // T100
    ['I2', 'I4'], // T200
    ['I2', 'I3'], // T300
    ['I1', 'I2', 'I4'], // T400
    ['I1', 'I3'], // T500
    ['I2', 'I3'], // T600
    ['I1', 'I3'], // T700
    ['I1', 'I2', 'I3', 'I5'], // T800
    ['I1', 'I2', 'I3'], // T900
  ];
  const id = (name: string) => Number(name.slice(1));
  const transactions = named.map((t) => t.map(id));

  it('finds exactly the published frequent itemsets at minimum support count 2', () => {
    const expected = [
      { items: ['I1'], support: 6 },
      { items: ['I2'], support: 7 },
      { items: ['I3'], support: 6 },
      { items: ['I4'], support: 2 },
      { items: ['I5'], support: 2 },
      { items: ['I1', 'I2'], support: 4 },
      { items: ['I1', 'I3'], support: 4 },
      { items: ['I1', 'I5'], support: 2 },
      { items: ['I2', 'I3'], support: 4 },
      { items: ['I2', 'I4'], support: 2 },
      { items: ['I2', 'I5'], support: 2 },
      { items: ['I1', 'I2', 'I3'], support: 2 },
      { items: ['I1', 'I2', 'I5'], support: 2 },
    ].map(({ items, support }) => ({ items: items.map(id), support }));
    const got = fpGrowth(transactions, { minSupport: 2 });
    expect(got).toEqual(expected);
    expect(got).toEqual(bruteForceItemsets(transactions, { minSupport: 2 }));
  });

  it('orders the F-list by support descending, then item: I2, I1, I3, I4, I5', () => {
    expect(frequentItemList(transactions, 2)).toEqual([2, 1, 3, 4, 5]);
    expect(frequentItemList(transactions, 3)).toEqual([2, 1, 3]);
  });

  it('partitions by the last F-list item: I5 gets {I5}, {I1,I5}, {I2,I5}, {I1,I2,I5}', () => {
    expect(fpGrowth(transactions, { minSupport: 2 }, [5])).toEqual([
      { items: [5], support: 2 },
      { items: [1, 5], support: 2 },
      { items: [2, 5], support: 2 },
      { items: [1, 2, 5], support: 2 },
    ]);
    expect(fpGrowth(transactions, { minSupport: 2 }, [2])).toEqual([{ items: [2], support: 7 }]);
  });

  it('applies minLength and maxLength', () => {
    expect(fpGrowth(transactions, { minSupport: 2, minLength: 2, maxLength: 2 }).map((s) => s.items)).toEqual([
      [1, 2],
      [1, 3],
      [1, 5],
      [2, 3],
      [2, 4],
      [2, 5],
    ]);
    expect(fpGrowth(transactions, { minSupport: 2, minLength: 3 })).toHaveLength(2);
  });
});

describe('fpGrowth against brute force', () => {
  /** A random small case: alphabet of 3–9 ids (sometimes huge ones, to take the sparse-id path), 5–25
   * transactions, items sometimes repeated within a transaction, random support and length bounds. */
  function randomCase(random: () => number) {
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const base = random() < 0.2 ? 1_000_000_000 : 0;
    const alphabet = new Set<number>();
    const size = int(3, 9);
    while (alphabet.size < size) alphabet.add(base + int(0, 40));
    const items = [...alphabet];
    const density = 0.15 + 0.7 * random();
    const transactions = Array.from({ length: int(5, 25) }, () => {
      const t = items.filter(() => random() < density);
      if (t.length > 0 && random() < 0.1) t.push(t[0]!); // a repeat counts once
      return t.sort(() => random() - 0.5);
    });
    const minLength = random() < 0.7 ? 1 : int(1, 3);
    const o: FpGrowthOptions = {
      minSupport: int(1, Math.max(1, Math.ceil(transactions.length * 0.6))),
      ...(random() < 0.3 ? { minLength } : {}),
      ...(random() < 0.3 ? { maxLength: minLength + int(0, 3) } : {}),
    };
    return { transactions, o };
  }

  it('matches by items, supports and order on 300 seeded random cases, and any partition covers it', () => {
    const random = mulberry32(20000);
    let nonEmpty = 0;
    for (let c = 0; c < 300; c++) {
      const { transactions, o } = randomCase(random);
      const full = fpGrowth(transactions, o);
      expect(full, `case ${c}: ${JSON.stringify({ transactions, o })}`).toEqual(bruteForceItemsets(transactions, o));
      if (full.length > 0) nonEmpty++;
      // A random partition of the F-list into 1–3 parts (parts may be empty).
      const partCount = 1 + Math.floor(random() * 3);
      const parts: Item[][] = Array.from({ length: partCount }, () => []);
      for (const item of frequentItemList(transactions, o.minSupport)) {
        parts[Math.floor(random() * partCount)]!.push(item);
      }
      expectPartitionsCover(transactions, o, parts, full);
    }
    expect(nonEmpty).toBeGreaterThan(200); // the generator does produce work
  });

  it('matches on 25 larger correlated cases (deeper trees, single-path conditional trees)', () => {
    const random = mulberry32(7);
    for (let c = 0; c < 25; c++) {
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const width = int(8, 12);
      // Transactions drawn around a few planted patterns plus noise, so long itemsets are frequent.
      const pattern = () => Array.from({ length: int(2, 6) }, () => int(0, width - 1));
      const patterns = Array.from({ length: int(2, 4) }, pattern);
      const transactions = Array.from({ length: int(50, 200) }, () => {
        const t = random() < 0.7 ? [...patterns[int(0, patterns.length - 1)]!] : [];
        for (let i = 0; i < width; i++) if (random() < 0.15) t.push(i);
        return t.filter(() => random() < 0.9);
      });
      const o = { minSupport: int(2, 20) };
      expect(fpGrowth(transactions, o), `case ${c}`).toEqual(bruteForceItemsets(transactions, o));
    }
  });

  it('the level-wise reference agrees with brute force', () => {
    const random = mulberry32(99);
    for (let c = 0; c < 50; c++) {
      const { transactions, o } = randomCase(random);
      expect(levelwiseItemsets(transactions, o)).toEqual(bruteForceItemsets(transactions, o));
    }
  });

  it('matches the level-wise reference on 8 wide cases (over a hundred frequent items: the wide-tree paths)', () => {
    const random = mulberry32(123);
    for (let c = 0; c < 8; c++) {
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const width = int(150, 250);
      // Skewed item popularity (roughly Zipf), so the tree has both long shared prefixes and a wide fringe.
      const draw = () => Math.floor(width * random() ** 2);
      const transactions = Array.from({ length: int(400, 800) }, () => Array.from({ length: int(2, 14) }, draw));
      const o = { minSupport: int(2, 4), maxLength: 4 };
      expect(frequentItemList(transactions, o.minSupport).length).toBeGreaterThan(104);
      expect(fpGrowth(transactions, o), `case ${c}`).toEqual(levelwiseItemsets(transactions, o));
    }
  });

  it('yields every combination of a single path, support from its deepest item', () => {
    const transactions = [[1, 2, 3], [1, 2, 3], [1, 2], [1]];
    expect(fpGrowth(transactions, { minSupport: 2 })).toEqual([
      { items: [1], support: 4 },
      { items: [2], support: 3 },
      { items: [3], support: 2 },
      { items: [1, 2], support: 3 },
      { items: [1, 3], support: 2 },
      { items: [2, 3], support: 2 },
      { items: [1, 2, 3], support: 2 },
    ]);
  });
});

describe('fpGrowth edges', () => {
  it('returns nothing when nothing qualifies', () => {
    expect(fpGrowth([], { minSupport: 1 })).toEqual([]);
    expect(fpGrowth([[], []], { minSupport: 1 })).toEqual([]);
    expect(fpGrowth([[1, 2]], { minSupport: 2 })).toEqual([]);
    expect(fpGrowth([[1, 2]], { minSupport: 1, maxLength: 0 })).toEqual([]);
    expect(fpGrowth([[1, 2]], { minSupport: 1, minLength: 3 })).toEqual([]);
    expect(fpGrowth([[1, 2]], { minSupport: 1 }, [])).toEqual([]);
    expect(fpGrowth([[1, 2]], { minSupport: 1 }, [7, 1e12])).toEqual([]); // unknown items are ignored
  });

  it('rejects a relative support and items that are not non-negative integers', () => {
    expect(() => fpGrowth([[1]], { minSupport: 0.5 })).toThrow(RangeError);
    expect(() => fpGrowth([[1]], { minSupport: 0 })).toThrow(RangeError);
    expect(() => frequentItemList([[1]], 0.5)).toThrow(RangeError);
    expect(() => fpGrowth([[1]], { minSupport: 1, maxLength: 1.5 })).toThrow(RangeError);
    expect(() => fpGrowth([[1, -2]], { minSupport: 1 })).toThrow(RangeError);
    expect(() => fpGrowth([[1, 2.5]], { minSupport: 1 })).toThrow(RangeError);
  });
});

describe('fpGrowth on FIMI T10I4D100K', () => {
  it('finds the published 1,073 frequent itemsets at support 500, and two partitions cover them', () => {
    const transactions = parseTransactions(readFileSync(datasetPath('T10I4D100K.dat'), 'utf8'));
    expect(transactions).toHaveLength(100_000);
    const full = fpGrowth(transactions, { minSupport: 500 });
    expect(full).toHaveLength(1073);
    expect(full.every((s) => s.support >= 500)).toBe(true);
    const flist = frequentItemList(transactions, 500);
    expect(full.filter((s) => s.items.length === 1)).toHaveLength(flist.length);
    const halves = [flist.filter((_, r) => r % 2 === 0), flist.filter((_, r) => r % 2 === 1)];
    expectPartitionsCover(transactions, { minSupport: 500 }, halves, full);
  });
});
