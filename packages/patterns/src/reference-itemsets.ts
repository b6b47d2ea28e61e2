import { sortItemsets } from './transactions.js';
import type { FpGrowthOptions } from './fpgrowth.js';
import type { FrequentItemset, Item } from './types.js';

/**
 * Frequent itemsets by definition, for checking fpGrowth in tests: every non-empty subset of the items present
 * (at most 24 of them), its support counted as the number of transactions containing all of its items.
 * Same contract and output order as fpGrowth; exponential, so small inputs only.
 */
export function bruteForceItemsets(transactions: readonly (readonly Item[])[], o: FpGrowthOptions): FrequentItemset[] {
  const minLength = o.minLength ?? 1;
  const maxLength = o.maxLength ?? Infinity;
  const alphabet = [...new Set(transactions.flat())].sort((a, b) => a - b);
  if (alphabet.length > 24) throw new RangeError(`brute force is for small inputs: ${alphabet.length} items`);
  const bit = new Map(alphabet.map((x, i) => [x, 1 << i]));
  // Each transaction as a bit mask over the alphabet; a subset is contained when all its bits are set.
  const masks = transactions.map((t) => t.reduce((m, x) => m | bit.get(x)!, 0));
  const out: FrequentItemset[] = [];
  for (let subset = 1; subset < 1 << alphabet.length; subset++) {
    const items = alphabet.filter((_, i) => subset & (1 << i));
    if (items.length < minLength || items.length > maxLength) continue;
    const support = masks.filter((m) => (m & subset) === subset).length;
    if (support >= o.minSupport) out.push({ items, support });
  }
  return sortItemsets(out);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Frequent itemsets level by level (Apriori's candidate join, without its subset pruning), each candidate's
 * support counted by definition by intersecting transaction-id bitsets. A second reference for wide alphabets
 * that brute force cannot take, as long as the output stays small. Same contract and order as fpGrowth.
 */
export function levelwiseItemsets(transactions: readonly (readonly Item[])[], o: FpGrowthOptions): FrequentItemset[] {
  const minLength = o.minLength ?? 1;
  const maxLength = o.maxLength ?? Infinity;
  const words = Math.ceil(transactions.length / 32);
  const tids = new Map<Item, Uint32Array>();
  transactions.forEach((t, i) => {
    for (const x of t) {
      let bits = tids.get(x);
      if (!bits) tids.set(x, (bits = new Uint32Array(words)));
      bits[i >>> 5]! |= 1 << (i & 31);
    }
  });
  const support = (bits: Uint32Array) => bits.reduce((s, w) => s + popcount(w), 0);
  type Level = { items: Item[]; bits: Uint32Array; support: number }[];
  let level: Level = [...tids]
    .map(([x, bits]) => ({ items: [x], bits, support: support(bits) }))
    .filter((s) => s.support >= o.minSupport)
    .sort((a, b) => a.items[0]! - b.items[0]!);
  const out: FrequentItemset[] = [];
  for (let length = 1; level.length > 0 && length <= maxLength; length++) {
    if (length >= minLength) out.push(...level.map(({ items, support }) => ({ items, support })));
    // Join two sets that differ only in their last item: every frequent (length + 1)-set arises this way.
    const next: Level = [];
    for (let a = 0; a < level.length; a++) {
      for (let b = a + 1; b < level.length; b++) {
        const x = level[a]!;
        const y = level[b]!;
        if (x.items.slice(0, -1).some((item, i) => item !== y.items[i])) break; // sorted: no later match
        const bits = x.bits.map((w, i) => w & y.bits[i]!);
        const s = support(bits);
        if (s >= o.minSupport) next.push({ items: [...x.items, y.items[length - 1]!], bits, support: s });
      }
    }
    level = next;
  }
  return sortItemsets(out);
}
