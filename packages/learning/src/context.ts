import type { Element, Item } from '@engram/patterns';

/** One prediction: an item, its probability (the top k of a distribution that sums to 1) and its evidence. */
export interface Prediction {
  item: Item;
  probability: number;
  /** Keys (patternKey) of the patterns that supported the item, strongest first; empty for fallbacks. */
  patterns: string[];
}

/**
 * The recent history a prediction is made from, oldest first: elements (itemsets), or bare items that are each
 * their own element. Elements need not be sorted.
 */
export type Context = readonly (Item | Element)[];

/** What every next-item model offers: the k most probable next items after a context. */
export interface NextItemPredictor {
  predict(context: Context, k: number): Prediction[];
}

/** The context as elements, each sorted ascending without repeats (the canonical form the miners use). */
export function normaliseContext(context: Context): Element[] {
  const out: Element[] = new Array(context.length);
  for (let i = 0; i < context.length; i++) {
    const e = context[i]!;
    if (typeof e === 'number') {
      out[i] = [e];
      continue;
    }
    let sorted = true;
    for (let j = 1; j < e.length; j++) if (e[j - 1]! >= e[j]!) sorted = false;
    out[i] = sorted ? e : [...new Set(e)].sort((a, b) => a - b);
  }
  return out;
}

/** Throws RangeError unless k is a non-negative integer. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
}

/** Orders predictions by probability descending, then item ascending, so equal scores rank deterministically. */
export function comparePredictions(
  a: { item: Item; probability: number },
  b: { item: Item; probability: number },
): number {
  return b.probability - a.probability || a.item - b.item;
}
