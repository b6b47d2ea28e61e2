import type { Item, Sequence } from '@engram/patterns';
import { checkK, comparePredictions, normaliseContext } from './context.js';
import type { Context, NextItemPredictor, Prediction } from './context.js';

/** The k entries of a count map with the largest scores, as predictions (probability = score / total). */
function topK(scores: Map<Item, number>, total: number, k: number): Prediction[] {
  const all: Prediction[] = [];
  for (const [item, s] of scores) all.push({ item, probability: total > 0 ? s / total : 0, patterns: [] });
  all.sort(comparePredictions);
  return all.slice(0, k);
}

/** Occurrences of every item in a database (an item counts once per element it is in). */
function itemCounts(db: readonly Sequence[]): Map<Item, number> {
  const counts = new Map<Item, number>();
  for (const seq of db) {
    for (const element of seq) for (const item of element) counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return counts;
}

/** Baseline: ignores the context and predicts the items that occur most often in the training data. */
export class MostFrequentItem implements NextItemPredictor {
  readonly #ranked: Prediction[];

  /** Counts item occurrences in the training sequences. */
  constructor(training: readonly Sequence[]) {
    const counts = itemCounts(training);
    let total = 0;
    for (const c of counts.values()) total += c;
    this.#ranked = topK(counts, total, counts.size);
  }

  /** The k most frequent items, whatever the context. */
  predict(_context: Context, k: number): Prediction[] {
    checkK(k);
    return this.#ranked.slice(0, k).map((p) => ({ ...p, patterns: [] }));
  }
}

/**
 * Baseline: a first-order Markov chain over items. P(x | context) is proportional to count(prev → x) + P₀(x),
 * where prev ranges over the items of the context's last element, count(a → b) counts how often an element
 * containing b directly follows one containing a in training, and P₀ is the items' overall frequency. The P₀ term
 * (a Dirichlet prior of total weight 1) is the fallback: it orders items never seen after prev, and is the whole
 * prediction when prev was never seen followed by anything.
 */
export class FirstOrderMarkov implements NextItemPredictor {
  readonly #next = new Map<Item, Map<Item, number>>();
  readonly #prior: Map<Item, number>;
  readonly #ranked: Prediction[];

  /** Counts transitions between consecutive elements of the training sequences. */
  constructor(training: readonly Sequence[]) {
    const counts = itemCounts(training);
    let total = 0;
    for (const c of counts.values()) total += c;
    this.#prior = new Map([...counts].map(([item, c]) => [item, c / total]));
    this.#ranked = topK(counts, total, counts.size);
    for (const seq of training) {
      for (let i = 1; i < seq.length; i++) {
        for (const a of seq[i - 1]!) {
          let row = this.#next.get(a);
          if (!row) this.#next.set(a, (row = new Map()));
          for (const b of seq[i]!) row.set(b, (row.get(b) ?? 0) + 1);
        }
      }
    }
  }

  /** The k most probable items to follow the context's last element. */
  predict(context: Context, k: number): Prediction[] {
    checkK(k);
    const elements = normaliseContext(context);
    const counts = new Map<Item, number>();
    let total = 1; // the prior's weight
    for (const a of elements.at(-1) ?? []) {
      const row = this.#next.get(a);
      if (!row) continue;
      for (const [b, c] of row) {
        counts.set(b, (counts.get(b) ?? 0) + c);
        total += c;
      }
    }
    const scores = new Map<Item, number>();
    for (const [b, c] of counts) scores.set(b, c + (this.#prior.get(b) ?? 0));
    // Items never seen after prev score P₀ alone; only the k most frequent of them can make the top k.
    let added = 0;
    for (const p of this.#ranked) {
      if (added === k) break;
      if (scores.has(p.item)) continue;
      scores.set(p.item, p.probability);
      added += 1;
    }
    return topK(scores, total, k);
  }
}
