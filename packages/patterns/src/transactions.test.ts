import { describe, expect, it } from 'vitest';
import { compareItemsets, itemsetKey, parseTransactions, sortItemsets } from './transactions.js';

describe('parseTransactions', () => {
  it('reads one transaction per line, items sorted without repeats, blank lines skipped', () => {
    const text = '25 52 164 \n\n  9 3 3 1\r\n7\t8\n\n';
    expect(parseTransactions(text)).toEqual([[25, 52, 164], [1, 3, 9], [7, 8]]);
  });

  it('accepts a last line without a newline, and empty text', () => {
    expect(parseTransactions('1 2\n3')).toEqual([[1, 2], [3]]);
    expect(parseTransactions('')).toEqual([]);
    expect(parseTransactions(' \n\t\n')).toEqual([]);
  });

  it('names the line of a token that is not an item', () => {
    expect(() => parseTransactions('1 2\n3 x4 5\n')).toThrow(/line 2: "x4"/);
    // Blank lines still count, so the number matches what an editor shows.
    expect(() => parseTransactions('1 2\n\n3 -1\n')).toThrow(/line 3: "-1"/);
    expect(() => parseTransactions('1.5')).toThrow(/line 1: "1.5"/);
    expect(() => parseTransactions('1\r\n2\r\n99999999999999999999')).toThrow(/line 3/);
  });
});

describe('itemset order and keys', () => {
  it('orders by size, then lexicographically', () => {
    expect(compareItemsets([9], [1, 2])).toBeLessThan(0);
    expect(compareItemsets([1, 3], [1, 2])).toBeGreaterThan(0);
    expect(compareItemsets([1, 2], [1, 2])).toBe(0);
    const sets = [
      { items: [2, 3], support: 1 },
      { items: [4], support: 1 },
      { items: [1, 2, 3], support: 1 },
      { items: [1, 9], support: 1 },
      { items: [2], support: 5 },
    ];
    expect(sortItemsets(sets).map((s) => s.items)).toEqual([[2], [4], [1, 9], [2, 3], [1, 2, 3]]);
  });

  it('gives one key to every spelling of a set', () => {
    expect(itemsetKey([1, 5, 20])).toBe('1 5 20');
    expect(itemsetKey([20, 1, 5, 5])).toBe('1 5 20');
    expect(itemsetKey([])).toBe('');
  });
});
