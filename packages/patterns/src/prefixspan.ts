import { sortPatterns } from './database.js';
import type { Item, Sequence, SequenceMiningOptions, SequentialPattern } from './types.js';

/*
 * Encoded database: one flat Int32Array so it can be built once and shared with worker threads (optionally on a
 * SharedArrayBuffer) without serialising objects.
 *
 *   [0] MAGIC   [1] sequences n   [2] elements E   [3] tokens T   [4] distinct items m
 *   itemTable       m     original item ids ascending; an item's dense id is its index here, so dense order is
 *                         item order and "x > last item of the element" can be decided on dense ids
 *   seqElemStart    n+1   first element (global index) of each sequence
 *   elemStart       E+1   first token of each element
 *   tokens          T     dense item ids, ascending within each element
 */
const MAGIC = 0x53505331; // "SPS1"
const HEADER = 5;

/** Validated options with defaults filled in. `maxGap` is undefined when unbounded. */
export interface ResolvedSequenceOptions {
  minSupport: number;
  minLength: number;
  maxLength: number;
  maxGap: number | undefined;
}

/**
 * Validates mining options (throws RangeError naming the field) and fills defaults: minLength 1, maxLength
 * unbounded (Infinity), maxGap unbounded (undefined).
 */
export function resolveSequenceOptions(o: SequenceMiningOptions): ResolvedSequenceOptions {
  const { minSupport, minLength = 1, maxLength = Infinity, maxGap } = o;
  if (!Number.isInteger(minSupport) || minSupport < 1) {
    throw new RangeError(`minSupport must be an integer >= 1, got ${minSupport}`);
  }
  if (!Number.isInteger(minLength) || minLength < 1) {
    throw new RangeError(`minLength must be an integer >= 1, got ${minLength}`);
  }
  if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < 1)) {
    throw new RangeError(`maxLength must be an integer >= 1, got ${maxLength}`);
  }
  if (maxGap !== undefined && (!Number.isInteger(maxGap) || maxGap < 0)) {
    throw new RangeError(`maxGap must be an integer >= 0, got ${maxGap}`);
  }
  return { minSupport, minLength, maxLength, maxGap };
}

/**
 * Encodes a database once into the flat form {@link prefixSpanEncoded} mines (layout documented in this file).
 * Elements are sorted and deduplicated while encoding; empty elements are kept (they still count for gaps).
 * With `shared`, the array lives on a SharedArrayBuffer, so worker threads can read it without a copy.
 * Throws RangeError for an item that is not an integer in [0, 2^31 − 1].
 */
export function encodeDatabase(db: readonly Sequence[], options: { shared?: boolean } = {}): Int32Array {
  const distinct = new Set<number>();
  let elements = 0;
  let tokens = 0;
  for (const seq of db) {
    elements += seq.length;
    for (const element of seq) {
      let ascending = true;
      for (let k = 0; k < element.length; k++) {
        const item = element[k];
        if (!Number.isInteger(item) || item < 0 || item > 0x7fffffff) {
          throw new RangeError(`item must be an integer in [0, 2^31 - 1], got ${item}`);
        }
        distinct.add(item);
        if (k > 0 && item <= element[k - 1]) ascending = false;
      }
      // Canonical elements are strictly ascending; anything else is sorted and deduplicated below.
      tokens += ascending ? element.length : new Set(element).size;
    }
  }
  const items = Int32Array.from(distinct).sort();
  const dense = new Map<number, number>();
  for (let i = 0; i < items.length; i++) dense.set(items[i], i);

  const n = db.length;
  const m = items.length;
  const size = HEADER + m + (n + 1) + (elements + 1) + tokens;
  const out = options.shared
    ? new Int32Array(new SharedArrayBuffer(size * Int32Array.BYTES_PER_ELEMENT))
    : new Int32Array(size);
  out[0] = MAGIC;
  out[1] = n;
  out[2] = elements;
  out[4] = m;
  out.set(items, HEADER);
  const seqElemStart = HEADER + m;
  const elemStart = seqElemStart + n + 1;
  const tokenBase = elemStart + elements + 1;
  let e = 0;
  let t = 0;
  const scratch: number[] = [];
  for (let s = 0; s < n; s++) {
    out[seqElemStart + s] = e;
    for (const element of db[s]) {
      out[elemStart + e++] = t;
      scratch.length = 0;
      for (const item of element) scratch.push(dense.get(item)!);
      scratch.sort((a, b) => a - b);
      for (let k = 0; k < scratch.length; k++) {
        if (k > 0 && scratch[k] === scratch[k - 1]) continue;
        out[tokenBase + t++] = scratch[k];
      }
    }
  }
  out[seqElemStart + n] = e;
  out[elemStart + e] = t;
  out[3] = t;
  return out;
}

/** Sizes of an encoded database (throws if `enc` is not one). */
export function encodedStats(enc: Int32Array): { sequences: number; elements: number; tokens: number; items: number } {
  if (enc.length < HEADER || enc[0] !== MAGIC) throw new Error('not an encoded sequence database');
  return { sequences: enc[1], elements: enc[2], tokens: enc[3], items: enc[4] };
}

/**
 * Mines sequential patterns (sequences of itemsets) with PrefixSpan. Same as
 * `prefixSpanEncoded(encodeDatabase(db), o, firstItems)`; see there.
 */
export function prefixSpan(
  db: readonly Sequence[],
  o: SequenceMiningOptions,
  firstItems?: readonly Item[],
): SequentialPattern[] {
  return prefixSpanEncoded(encodeDatabase(db), o, firstItems);
}

/**
 * PrefixSpan with pseudo-projection over an encoded database ({@link encodeDatabase}).
 *
 * A projected database is a run of token positions in one arena: every position where the last item of the
 * prefix can end in some occurrence of the prefix (grouped by sequence, ascending). Keeping every end, not just
 * the leftmost, is what makes itemset-extensions and the maxGap constraint exact. Each node counts its candidate
 * extensions in one pass (arrays indexed by dense item id, a per-(node, sequence) stamp so a sequence counts once
 * per extension), then writes the projections of its frequent extensions into the arena above its own in a
 * second pass; nothing is allocated per node besides the emitted patterns.
 *
 * Options: minSupport (absolute), minLength/maxLength in items, maxGap (elements skipped between consecutive
 * matched elements; undefined = unbounded). `firstItems` keeps only patterns whose first item is listed; since
 * subtrees of different first items are independent, the union over a partition of the frequent items equals the
 * unrestricted output. Output is sorted by {@link sortPatterns} order; supports are exact.
 */
export function prefixSpanEncoded(
  enc: Int32Array,
  o: SequenceMiningOptions,
  firstItems?: readonly Item[],
): SequentialPattern[] {
  const { minSupport, minLength, maxLength, maxGap } = resolveSequenceOptions(o);
  const { sequences: n, elements: E, tokens: T, items: m } = encodedStats(enc);
  const itemTable = enc.subarray(HEADER, HEADER + m);
  const seqElemStart = enc.subarray(HEADER + m, HEADER + m + n + 1);
  const elemStart = enc.subarray(HEADER + m + n + 1, HEADER + m + n + 1 + E + 1);
  const tokens = enc.subarray(HEADER + m + n + 1 + E + 1, HEADER + m + n + 1 + E + 1 + T);
  // Unbounded gap = a window longer than any sequence.
  const gapWindow = maxGap === undefined ? E + 1 : maxGap + 1;

  // Reverse maps: token → element, element → sequence. Local, cheap, so the shared encoding stays minimal.
  const tokElem = new Int32Array(T);
  const elemSeq = new Int32Array(E);
  let longest = 0;
  for (let s = 0; s < n; s++) {
    const e0 = seqElemStart[s];
    const e1 = seqElemStart[s + 1];
    longest = Math.max(longest, elemStart[e1] - elemStart[e0]);
    for (let e = e0; e < e1; e++) {
      elemSeq[e] = s;
      for (let t = elemStart[e]; t < elemStart[e + 1]; t++) tokElem[t] = e;
    }
  }

  const out: SequentialPattern[] = [];
  const limit = Math.min(maxLength, longest); // no pattern is longer than the longest sequence
  if (n === 0 || limit < 1 || minLength > limit) return out;

  // Per-item counters of the node being expanded (i = itemset-extension, s = sequence-extension).
  const iSup = new Int32Array(m);
  const sSup = new Int32Array(m);
  const iEnds = new Int32Array(m);
  const sEnds = new Int32Array(m);
  const iStamp = new Int32Array(m);
  const sStamp = new Int32Array(m);
  const iWrite = new Int32Array(m).fill(-1); // arena write cursor of a frequent extension, -1 otherwise
  const sWrite = new Int32Array(m).fill(-1);
  const touched = new Int32Array(2 * m); // (item << 1 | kind) of extensions counted at this node
  let stampClock = 0;
  const nextStamp = (): number => {
    if (++stampClock === 0x7fffffff) {
      iStamp.fill(0);
      sStamp.fill(0);
      stampClock = 1;
    }
    return stampClock;
  };

  let arena = new Int32Array(Math.max(1024, T * 2));
  let arenaTop = 0;
  const ensureArena = (size: number): void => {
    if (size <= arena.length) return;
    let cap = arena.length * 2;
    while (cap < size) cap *= 2;
    const grown = new Int32Array(cap);
    grown.set(arena.subarray(0, arenaTop));
    arena = grown;
  };
  // Children of the nodes on the DFS path: 4 ints each (item << 1 | kind, support, arena offset, length).
  let kids = new Int32Array(1024);
  let kidsTop = 0;
  const pushKid = (code: number, sup: number, off: number, len: number): void => {
    if (kidsTop + 4 > kids.length) {
      const grown = new Int32Array(kids.length * 2);
      grown.set(kids);
      kids = grown;
    }
    kids[kidsTop++] = code;
    kids[kidsTop++] = sup;
    kids[kidsTop++] = off;
    kids[kidsTop++] = len;
  };

  // The current prefix: dense item and whether it starts a new element.
  const prefItem = new Int32Array(limit);
  const prefNew = new Uint8Array(limit);
  const emit = (len: number, support: number): void => {
    const elements: Item[][] = [];
    let cur: Item[] = [];
    for (let i = 0; i < len; i++) {
      if (i > 0 && prefNew[i] === 1) {
        elements.push(cur);
        cur = [];
      }
      cur.push(itemTable[prefItem[i]]);
    }
    elements.push(cur);
    out.push({ elements, support });
  };

  /** Expands the children recorded in kids[k0, k1) of a prefix of `len` items. */
  const expandKids = (k0: number, k1: number, len: number): void => {
    for (let k = k0; k < k1; k += 4) {
      const code = kids[k];
      prefItem[len] = code >> 1;
      prefNew[len] = code & 1;
      if (len + 1 >= minLength) emit(len + 1, kids[k + 1]);
      if (len + 1 < limit) mine(kids[k + 2], kids[k + 2] + kids[k + 3], len + 1);
    }
  };

  /** Counts and projects the extensions of the prefix of `len` items whose ends are arena[ps, pe). */
  const mine = (ps: number, pe: number, len: number): void => {
    // Pass 1: count supports and end positions of every candidate extension.
    let nTouched = 0;
    let curSeq = -1;
    let stamp = 0;
    let scanned = 0; // elements of the current sequence before this were already scanned for s-extensions
    let seqEnd = 0;
    for (let k = ps; k < pe; k++) {
      const p = arena[k];
      const e = tokElem[p];
      if (elemSeq[e] !== curSeq) {
        curSeq = elemSeq[e];
        stamp = nextStamp();
        scanned = 0;
        seqEnd = seqElemStart[curSeq + 1];
      }
      const tEnd = elemStart[e + 1];
      for (let t = p + 1; t < tEnd; t++) {
        const x = tokens[t];
        iEnds[x]++;
        if (iStamp[x] !== stamp) {
          iStamp[x] = stamp;
          if (iSup[x]++ === 0) touched[nTouched++] = x << 1;
        }
      }
      // Windows of consecutive ends overlap; scan each element once (ends are ascending).
      const from = Math.max(e + 1, scanned);
      const to = Math.min(e + 1 + gapWindow, seqEnd);
      if (from < to) {
        scanned = to;
        const t1 = elemStart[to];
        for (let t = elemStart[from]; t < t1; t++) {
          const x = tokens[t];
          sEnds[x]++;
          if (sStamp[x] !== stamp) {
            sStamp[x] = stamp;
            if (sSup[x]++ === 0) touched[nTouched++] = (x << 1) | 1;
          }
        }
      }
    }

    // Lay out the projections of the frequent extensions above everything live in the arena.
    const k0 = kidsTop;
    let top = arenaTop;
    for (let j = 0; j < nTouched; j++) {
      const code = touched[j];
      const x = code >> 1;
      const seqExt = (code & 1) === 1;
      const sup = seqExt ? sSup[x] : iSup[x];
      if (sup < minSupport) continue;
      const ends = seqExt ? sEnds[x] : iEnds[x];
      pushKid(code, sup, top, ends);
      if (seqExt) sWrite[x] = top;
      else iWrite[x] = top;
      top += ends;
    }
    const k1 = kidsTop;

    if (k1 > k0) {
      ensureArena(top);
      // Pass 2: the same walk, writing the ends of frequent extensions.
      curSeq = -1;
      scanned = 0;
      for (let k = ps; k < pe; k++) {
        const p = arena[k];
        const e = tokElem[p];
        if (elemSeq[e] !== curSeq) {
          curSeq = elemSeq[e];
          scanned = 0;
          seqEnd = seqElemStart[curSeq + 1];
        }
        const tEnd = elemStart[e + 1];
        for (let t = p + 1; t < tEnd; t++) {
          const w = iWrite[tokens[t]];
          if (w >= 0) {
            arena[w] = t;
            iWrite[tokens[t]] = w + 1;
          }
        }
        const from = Math.max(e + 1, scanned);
        const to = Math.min(e + 1 + gapWindow, seqEnd);
        if (from < to) {
          scanned = to;
          const t1 = elemStart[to];
          for (let t = elemStart[from]; t < t1; t++) {
            const w = sWrite[tokens[t]];
            if (w >= 0) {
              arena[w] = t;
              sWrite[tokens[t]] = w + 1;
            }
          }
        }
      }
    }
    for (let j = 0; j < nTouched; j++) {
      const x = touched[j] >> 1;
      iSup[x] = sSup[x] = iEnds[x] = sEnds[x] = 0;
      iWrite[x] = sWrite[x] = -1;
    }

    const savedTop = arenaTop;
    arenaTop = top;
    expandKids(k0, k1, len);
    arenaTop = savedTop;
    kidsTop = k0;
  };

  // Root: every occurrence of an item ends the 1-item pattern; count as sequence-extensions of the empty prefix.
  let allowed: Uint8Array | undefined;
  if (firstItems) {
    allowed = new Uint8Array(m);
    for (const item of firstItems) {
      const d = denseId(itemTable, item);
      if (d >= 0) allowed[d] = 1;
    }
  }
  for (let s = 0; s < n; s++) {
    const stamp = nextStamp();
    for (let t = elemStart[seqElemStart[s]]; t < elemStart[seqElemStart[s + 1]]; t++) {
      const x = tokens[t];
      sEnds[x]++;
      if (sStamp[x] !== stamp) {
        sStamp[x] = stamp;
        sSup[x]++;
      }
    }
  }
  let top = 0;
  for (let x = 0; x < m; x++) {
    if (sSup[x] < minSupport || (allowed && allowed[x] === 0)) continue;
    pushKid((x << 1) | 1, sSup[x], top, sEnds[x]);
    sWrite[x] = top;
    top += sEnds[x];
  }
  ensureArena(top);
  for (let t = 0; t < T; t++) {
    const w = sWrite[tokens[t]];
    if (w >= 0) {
      arena[w] = t;
      sWrite[tokens[t]] = w + 1;
    }
  }
  sSup.fill(0);
  sEnds.fill(0);
  sWrite.fill(-1);
  arenaTop = top;
  expandKids(0, kidsTop, 0);
  return sortPatterns(out);
}

/** Dense id of an original item (binary search in the ascending item table), or -1 when absent. */
function denseId(itemTable: Int32Array, item: number): number {
  let lo = 0;
  let hi = itemTable.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = itemTable[mid];
    if (v === item) return mid;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
