import { sortPatterns } from './database.js';
import { resolveSequenceOptions } from './prefixspan.js';
import type { Element, Item, Sequence, SequenceMiningOptions, SequentialPattern } from './types.js';

/**
 * Containment by definition: element indices i1 < … < ik with pattern element j ⊆ sequence element i_j and, when
 * maxGap is set, i_{j+1} − i_j − 1 ≤ maxGap. Plain backtracking over every choice; exponential, tests only.
 */
export function containsPattern(seq: Sequence, pattern: readonly Element[], maxGap?: number): boolean {
  const sets = seq.map((e) => new Set(e));
  const subset = (p: Element, i: number): boolean => p.every((x) => sets[i]!.has(x));
  const match = (j: number, prev: number): boolean => {
    if (j === pattern.length) return true;
    const from = prev + 1;
    const to = j === 0 || maxGap === undefined ? seq.length - 1 : Math.min(seq.length - 1, prev + 1 + maxGap);
    for (let i = from; i <= to; i++) if (subset(pattern[j]!, i) && match(j + 1, i)) return true;
    return false;
  };
  return match(0, -1);
}

/**
 * Brute-force sequential patterns, for checking the real miners on small inputs. Candidates are every pattern over
 * the items present, grown one item at a time (a new element, or an item larger than the last one of the last
 * element), up to maxLength (or the longest sequence); each is checked against every sequence with
 * {@link containsPattern}. Only candidates contained in at least minSupport sequences are grown further: that is
 * safe straight from the definition (dropping a pattern's last item keeps any embedding valid, gap included) and
 * keeps unbounded-length runs finite. Output: support ≥ minSupport and length ≥ minLength, in sortPatterns order.
 */
export function bruteForceSequentialPatterns(db: readonly Sequence[], o: SequenceMiningOptions): SequentialPattern[] {
  const { minSupport, minLength, maxLength, maxGap } = resolveSequenceOptions(o);
  const alphabet = [...new Set(db.flatMap((s) => s.flat()))].sort((a, b) => a - b);
  const longest = Math.max(0, ...db.map((s) => s.reduce((n, e) => n + e.length, 0)));
  const limit = Math.min(maxLength, longest);
  const out: SequentialPattern[] = [];
  const grow = (pattern: Item[][], len: number): void => {
    const candidates: Item[][][] = [];
    for (const x of alphabet) candidates.push([...pattern.map((e) => [...e]), [x]]);
    const last = pattern[pattern.length - 1];
    if (last) {
      for (const x of alphabet) {
        if (x > last[last.length - 1]!) candidates.push([...pattern.slice(0, -1).map((e) => [...e]), [...last, x]]);
      }
    }
    for (const c of candidates) {
      let support = 0;
      for (const seq of db) if (containsPattern(seq, c, maxGap)) support++;
      if (support < minSupport) continue;
      if (len + 1 >= minLength) out.push({ elements: c, support });
      if (len + 1 < limit) grow(c, len + 1);
    }
  };
  if (limit >= 1) grow([], 0);
  return sortPatterns(out);
}

/** A tiny seeded PRNG (mulberry32) so property tests are deterministic; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shape of {@link randomSequenceDatabase}'s output; every range is inclusive. */
export interface RandomDatabaseShape {
  sequences: [number, number];
  elements: [number, number];
  itemsPerElement: [number, number];
  alphabet: [number, number];
}

/**
 * A random small database for property tests: items 1..alphabet (alphabet size drawn once per database),
 * elements sorted without repeats. Deterministic for a given `rand`.
 */
export function randomSequenceDatabase(
  rand: () => number,
  shape: RandomDatabaseShape = { sequences: [3, 12], elements: [1, 7], itemsPerElement: [1, 3], alphabet: [3, 6] },
): Sequence[] {
  const int = ([lo, hi]: [number, number]): number => lo + Math.floor(rand() * (hi - lo + 1));
  const alphabet = int(shape.alphabet);
  const db: Sequence[] = [];
  const n = int(shape.sequences);
  for (let s = 0; s < n; s++) {
    const seq: Item[][] = [];
    const k = int(shape.elements);
    for (let e = 0; e < k; e++) {
      const size = Math.min(alphabet, int(shape.itemsPerElement));
      const set = new Set<Item>();
      while (set.size < size) set.add(1 + Math.floor(rand() * alphabet));
      seq.push([...set].sort((a, b) => a - b));
    }
    db.push(seq);
  }
  return db;
}
