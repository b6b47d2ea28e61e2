import { sortPatterns } from './database.js';
import { resolveSequenceOptions } from './prefixspan.js';
import type { Item, Sequence, SequenceMiningOptions, SequentialPattern } from './types.js';

/** A pattern of the current level with every occurrence: sequence, element of its last item, index in it. */
interface Gram {
  key: string;
  elements: Item[][];
  seq: number[];
  elem: number[];
  pos: number[];
  support: number;
  lastSeq: number;
}

function gram(key: string, elements: Item[][]): Gram {
  return { key, elements, seq: [], elem: [], pos: [], support: 0, lastSeq: -1 };
}

function addOccurrence(g: Gram, s: number, e: number, i: number): void {
  g.seq.push(s);
  g.elem.push(e);
  g.pos.push(i);
  if (g.lastSeq !== s) {
    g.lastSeq = s;
    g.support++;
  }
}

/**
 * Contiguous sequential patterns by level-wise n-gram hashing: the strategy for maxGap 0, where a pattern's
 * elements must match consecutive elements of a sequence. Each level is a hash map from pattern key
 * ({@link patternKey}) to the pattern's occurrences (sequence, element of its last item); a frequent pattern grows
 * by an item after its last item in the same element (itemset-extension) or by an item of the next element
 * (sequence-extension), so each pattern is built from exactly one parent.
 *
 * Gives exactly the output of `prefixSpan(db, o, firstItems)` with `o.maxGap === 0` (same options and firstItems
 * semantics, same order). Throws RangeError unless `o.maxGap` is 0; undefined (unbounded gaps) is refused too,
 * since contiguity is what makes the occurrence lists small.
 */
export function contiguousPatterns(
  db: readonly Sequence[],
  o: SequenceMiningOptions,
  firstItems?: readonly Item[],
): SequentialPattern[] {
  const { minSupport, minLength, maxLength, maxGap } = resolveSequenceOptions(o);
  if (maxGap !== 0) {
    throw new RangeError(`contiguousPatterns needs maxGap 0 (contiguous patterns), got ${String(maxGap)}`);
  }
  // Canonical elements (sorted, no repeats), as prefixSpan's encoding makes them.
  const seqs = db.map((s) => s.map((e) => [...new Set(e)].sort((a, b) => a - b)));
  const allowed = firstItems ? new Set(firstItems) : undefined;
  const out: SequentialPattern[] = [];

  let level = new Map<string, Gram>();
  for (let s = 0; s < seqs.length; s++) {
    const seq = seqs[s]!;
    for (let e = 0; e < seq.length; e++) {
      const element = seq[e]!;
      for (let i = 0; i < element.length; i++) {
        const x = element[i]!;
        if (allowed && !allowed.has(x)) continue;
        const key = String(x);
        let g = level.get(key);
        if (!g) level.set(key, (g = gram(key, [[x]])));
        addOccurrence(g, s, e, i);
      }
    }
  }

  for (let len = 1; len <= maxLength && level.size > 0; len++) {
    const next = new Map<string, Gram>();
    for (const g of level.values()) {
      if (g.support < minSupport) continue;
      if (len >= minLength) out.push({ elements: g.elements, support: g.support });
      if (len === maxLength) continue;
      // Children of g keyed by (item, kind) so the string key is built once per child, not per occurrence.
      const children = new Map<number, Gram>();
      const child = (x: Item, newElement: boolean): Gram => {
        const code = x * 2 + (newElement ? 1 : 0);
        let c = children.get(code);
        if (!c) {
          const elements = g.elements.map((el) => [...el]);
          if (newElement) elements.push([x]);
          else elements[elements.length - 1]!.push(x);
          c = gram(g.key + (newElement ? '|' : ' ') + x, elements);
          children.set(code, c);
          next.set(c.key, c);
        }
        return c;
      };
      for (let k = 0; k < g.seq.length; k++) {
        const s = g.seq[k]!;
        const e = g.elem[k]!;
        const element = seqs[s]![e]!;
        for (let i = g.pos[k]! + 1; i < element.length; i++) addOccurrence(child(element[i]!, false), s, e, i);
        const following = seqs[s]![e + 1];
        if (following) for (let i = 0; i < following.length; i++) addOccurrence(child(following[i]!, true), s, e + 1, i);
      }
    }
    level = next;
  }
  return sortPatterns(out);
}
