/**
 * Shared shapes of the mining algorithms. Items are non-negative integers (callers map kinds, tags or terms to
 * ids); an element is a set of items that happen together, kept sorted ascending without repeats; a sequence is
 * a list of elements in time order.
 */
export type Item = number;
export type Element = readonly Item[];
export type Sequence = readonly Element[];

/** A sequential pattern: elements in order, each a sorted itemset; support counts sequences that contain it. */
export interface SequentialPattern {
  elements: Item[][];
  support: number;
}

/** A frequent itemset: sorted items; support counts transactions that contain it. */
export interface FrequentItemset {
  items: Item[];
  support: number;
}

export interface SequenceMiningOptions {
  /** Absolute minimum support: the number of sequences that must contain a pattern (at least 1). */
  minSupport: number;
  /** Fewest items in a pattern (default 1). Length counts items, as SPMF does. */
  minLength?: number;
  /** Most items in a pattern (default unbounded). */
  maxLength?: number;
  /**
   * Most elements skipped between two consecutive matched elements of a pattern (undefined = unbounded,
   * 0 = the pattern's elements match consecutive elements of the sequence).
   */
  maxGap?: number;
}
