import type { FrequentItemset, Item } from './types.js';

// Character codes the FIMI scanner cares about.
const NEWLINE = 10;
const ZERO = 48;
const NINE = 57;

/** Space, tab, carriage return, vertical tab and form feed separate items; a newline ends a transaction. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12;
}

/** Sorts ascending and drops repeats in place; returns the array. FIMI files are usually sorted already. */
function sortUnique(items: Item[]): Item[] {
  let sorted = true;
  for (let i = 1; i < items.length; i++) {
    if (items[i]! <= items[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return items;
  items.sort((a, b) => a - b);
  let w = 0;
  for (let i = 0; i < items.length; i++) if (w === 0 || items[i] !== items[w - 1]) items[w++] = items[i]!;
  items.length = w;
  return items;
}

/**
 * Parses transactions in the FIMI format: one transaction per line, items as non-negative decimal integers
 * separated by whitespace (trailing whitespace and CRLF line ends are fine, blank lines are skipped). Each
 * transaction comes back sorted ascending without repeats. A token that is not a non-negative safe integer
 * throws an Error naming its line number (1-based) and the token.
 */
export function parseTransactions(text: string): Item[][] {
  // A hand-written scanner rather than split/regex: the FIMI benchmark files hold millions of tokens.
  const out: Item[][] = [];
  let current: Item[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      if (current.length > 0) {
        out.push(sortUnique(current));
        current = [];
      }
      line++;
      i++;
    } else if (isBlank(c)) {
      i++;
    } else {
      const start = i;
      let value = 0;
      let digits = true;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === NEWLINE || isBlank(d)) break;
        if (d >= ZERO && d <= NINE) value = value * 10 + (d - ZERO);
        else digits = false;
        i++;
      }
      if (!digits || !Number.isSafeInteger(value)) {
        throw new Error(`line ${line}: "${text.slice(start, i)}" is not an item (items are non-negative integers)`);
      }
      current.push(value);
    }
  }
  if (current.length > 0) out.push(sortUnique(current));
  return out;
}

/**
 * Orders itemsets (each sorted ascending) by size, then lexicographically by item: the order every miner of
 * this package returns. Negative when `a` comes first, 0 only for equal lists.
 */
export function compareItemsets(a: readonly Item[], b: readonly Item[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Sorts frequent itemsets in place into the package's canonical order (compareItemsets on the items; equal
 * item lists, which a miner never returns, fall back to support descending so the order stays total) and
 * returns the same array.
 */
export function sortItemsets<T extends FrequentItemset>(itemsets: T[]): T[] {
  return itemsets.sort((a, b) => compareItemsets(a.items, b.items) || b.support - a.support);
}

/**
 * A canonical string key of an itemset ("3 17 42"): items ascending without repeats, whatever order they come
 * in, so two spellings of one set share a key.
 */
export function itemsetKey(items: readonly Item[]): string {
  let canonical = true;
  for (let i = 1; i < items.length; i++) {
    if (items[i]! <= items[i - 1]!) {
      canonical = false;
      break;
    }
  }
  return (canonical ? items : sortUnique([...items])).join(' ');
}
