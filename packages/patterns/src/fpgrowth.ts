import { sortItemsets } from './transactions.js';
import type { FrequentItemset, Item } from './types.js';

/** Options of fpGrowth. */
export interface FpGrowthOptions {
  /** Absolute minimum support: the number of transactions that must contain an itemset (an integer ≥ 1). */
  minSupport: number;
  /** Fewest items in a reported itemset (default 1). */
  minLength?: number;
  /** Most items in a reported itemset (default unbounded). */
  maxLength?: number;
}

/**
 * The transactions re-encoded once: every occurrence as a compact item id in one flat array, transaction t
 * spanning flat[offsets[t]] .. flat[offsets[t + 1]]. When the largest item is small enough the compact id is
 * the item itself (no lookups); otherwise ids are assigned in order of first appearance through a Map.
 */
interface Encoded {
  flat: Int32Array;
  offsets: Int32Array;
  /** Compact ids are 0 .. universe - 1. */
  universe: number;
  /** Compact id → item; null when they are equal. */
  itemOf: Item[] | null;
}

function encode(transactions: readonly (readonly Item[])[]): Encoded {
  let occurrences = 0;
  let max = -1;
  for (const t of transactions) {
    occurrences += t.length;
    for (const x of t) {
      if (!(Number.isSafeInteger(x) && x >= 0)) throw new RangeError(`items are non-negative integers, got ${x}`);
      if (x > max) max = x;
    }
  }
  const flat = new Int32Array(occurrences);
  const offsets = new Int32Array(transactions.length + 1);
  // Dense ids index typed arrays directly; cap their size by the data so a few huge ids cannot cost gigabytes.
  const dense = max < Math.max(1 << 16, 4 * occurrences);
  const ids = dense ? null : new Map<Item, number>();
  const itemOf: Item[] | null = dense ? null : [];
  let w = 0;
  for (let t = 0; t < transactions.length; t++) {
    for (const x of transactions[t]!) {
      if (ids === null) {
        flat[w++] = x;
      } else {
        let id = ids.get(x);
        if (id === undefined) {
          id = itemOf!.length;
          ids.set(x, id);
          itemOf!.push(x);
        }
        flat[w++] = id;
      }
    }
    offsets[t + 1] = w;
  }
  return { flat, offsets, universe: dense ? max + 1 : itemOf!.length, itemOf };
}

/** The F-list of encoded transactions: frequent compact ids by support descending, then item ascending. */
interface FList {
  /** Compact id of each rank. */
  ids: Int32Array;
  /** Support of each rank. */
  supports: Int32Array;
  /** Rank of each compact id, -1 when infrequent. */
  rankOf: Int32Array;
}

function buildFList(db: Encoded, minSupport: number): FList {
  const { flat, offsets, universe, itemOf } = db;
  const counts = new Int32Array(universe);
  // stamp[id] = the last transaction that counted id, so a repeated item counts once per transaction.
  const stamp = new Int32Array(universe).fill(-1);
  for (let t = 0; t + 1 < offsets.length; t++) {
    for (let k = offsets[t]!, end = offsets[t + 1]!; k < end; k++) {
      const id = flat[k]!;
      if (stamp[id] !== t) {
        stamp[id] = t;
        counts[id]!++;
      }
    }
  }
  const frequent: number[] = [];
  for (let id = 0; id < universe; id++) if (counts[id]! >= minSupport) frequent.push(id);
  const item = (id: number) => (itemOf === null ? id : itemOf[id]!);
  frequent.sort((a, b) => counts[b]! - counts[a]! || item(a) - item(b));
  const rankOf = new Int32Array(universe).fill(-1);
  const supports = new Int32Array(frequent.length);
  frequent.forEach((id, r) => {
    rankOf[id] = r;
    supports[r] = counts[id]!;
  });
  return { ids: Int32Array.from(frequent), supports, rankOf };
}

function checkSupport(minSupport: number): void {
  if (!(Number.isInteger(minSupport) && minSupport >= 1)) {
    throw new RangeError(`minSupport is an absolute count, an integer ≥ 1; got ${minSupport}`);
  }
}

/**
 * The F-list: the frequent items (support ≥ minSupport) by support descending, then item ascending. This is
 * the order fpGrowth builds its FP-tree in, and what its `partition` argument partitions: an itemset belongs
 * to the one of its items that comes last in this list.
 */
export function frequentItemList(transactions: readonly (readonly Item[])[], minSupport: number): Item[] {
  checkSupport(minSupport);
  const db = encode(transactions);
  const { ids } = buildFList(db, minSupport);
  return Array.from(ids, (id) => (db.itemOf === null ? id : db.itemOf[id]!));
}

/**
 * One FP-tree's header table. Nodes live in the shared NodePool; items are local ids 0 .. k-1 in this tree's
 * own order (support descending), so every root-to-leaf path has strictly increasing ids.
 */
interface Tree {
  root: number;
  k: number;
  /** First node of each item's node-link chain, -1 when none. */
  head: Int32Array;
  /** Support of each item in this tree (in its conditional pattern base). */
  support: Int32Array;
  /** The original item of each local id. */
  item: Float64Array;
}

// Walking up from a node to the root, most of the mining work, reads only items and parents: those two sit side
// by side in one array, so a step touches one cache line; count and node-link, read once per node of a
// node-link chain, sit in another.
const ITEM = 0; // local item id, -1 for a root (in `up`)
const PARENT = 1; // parent node, -1 for a root (in `up`)
const COUNT = 0; // (in `tally`)
const LINK = 1; // next node of the same item (the node-link), -1 at the end (in `tally`)

/**
 * All nodes of all live FP-trees, as a stack in typed arrays: a conditional tree is allocated on top while its
 * parent is mined and dropped (top reset) when that item is done, so the buffers are reused across the whole
 * run and no object is made per node. Node n's fields are up[2n + ITEM], up[2n + PARENT], tally[2n + COUNT],
 * tally[2n + LINK], child[n] and sibling[n] (the last two used only while inserting).
 */
class NodePool {
  top = 0;
  up: Int32Array;
  tally: Int32Array;
  child: Int32Array; // first child, -1 for a leaf
  sibling: Int32Array; // next sibling, -1 for the last

  constructor(capacity: number) {
    this.up = new Int32Array(capacity * 2);
    this.tally = new Int32Array(capacity * 2);
    this.child = new Int32Array(capacity);
    this.sibling = new Int32Array(capacity);
  }

  /** Makes room for `extra` more nodes. Call before building so the build loop can cache the arrays. */
  reserve(extra: number): void {
    const need = this.top + extra;
    if (need <= this.child.length) return;
    const capacity = Math.max(need, Math.ceil(this.child.length * 1.5));
    const grow = (a: Int32Array, fields: number) => {
      const b = new Int32Array(capacity * fields);
      b.set(a.subarray(0, this.top * fields));
      return b;
    };
    this.up = grow(this.up, 2);
    this.tally = grow(this.tally, 2);
    this.child = grow(this.child, 1);
    this.sibling = grow(this.sibling, 1);
  }

  /** Adds a node under `parent` (room reserved by the caller), threaded onto its item's node-link chain. */
  add(tree: Tree, id: number, count: number, parent: number): number {
    const n = this.top++;
    this.up[2 * n + ITEM] = id;
    this.up[2 * n + PARENT] = parent;
    this.tally[2 * n + COUNT] = count;
    this.tally[2 * n + LINK] = tree.head[id]!;
    tree.head[id] = n;
    this.child[n] = -1;
    this.sibling[n] = this.child[parent]!;
    this.child[parent] = n;
    return n;
  }

  /** A new root node (room reserved by the caller). */
  root(): number {
    const n = this.top++;
    this.up.fill(-1, 2 * n, 2 * n + 2);
    this.tally.fill(-1, 2 * n, 2 * n + 2);
    this.child[n] = -1;
    this.sibling[n] = -1;
    return n;
  }

  /**
   * Adds a path of local ids (ascending) with a count under `tree`'s root, sharing existing prefixes and
   * threading new nodes onto their item's node-link chain. Room must be reserved for path.length nodes.
   */
  insert(tree: Tree, path: Int32Array, length: number, count: number): void {
    const { up, tally, child, sibling } = this;
    let at = tree.root;
    let i = 0;
    // Walk down the part of the path already in the tree.
    for (; i < length; i++) {
      const id = path[i]!;
      let c = child[at]!;
      while (c !== -1 && up[2 * c + ITEM] !== id) c = sibling[c]!;
      if (c === -1) break;
      tally[2 * c + COUNT]! += count;
      at = c;
    }
    // The rest are new nodes, each the only child of the previous one.
    for (; i < length; i++) at = this.add(tree, path[i]!, count, at);
  }
}

/** Sorts a[from .. to) ascending; paths are short, so insertion sort beats a typed-array sort call. */
function sortRange(a: Int32Array, from: number, to: number): void {
  if (to - from > 48) {
    a.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= from && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * Builds the top FP-tree into `tree` (whose root is allocated). Each transaction becomes a row of its frequent
 * items as ranks ascending (support descending), ended by -1; the tree is then grown top-down, MSD-radix style:
 * the rows under a node, which share their first d items, are sorted by item d and each run of one item becomes
 * one child. So no child list is ever searched (the root alone can have hundreds of children) and the nodes come
 * out in depth-first order, which keeps later walks up parent links cache-friendly and lets countPairs sweep
 * them in order.
 */
function buildTopTree(db: Encoded, flist: FList, pool: NodePool, tree: Tree): void {
  const { flat, offsets } = db;
  const { rankOf } = flist;
  const k = tree.k;
  // Pass one: each transaction's frequent ranks, sorted and ended by -1; rows and room counted by first item.
  const raw = new Int32Array(flat.length + offsets.length);
  const seen = new Int32Array(k).fill(-1);
  const rowAt = new Int32Array(k);
  const roomAt = new Int32Array(k);
  let w = 0;
  let n = 0;
  for (let t = 0; t + 1 < offsets.length; t++) {
    const s = w;
    for (let p = offsets[t]!, end = offsets[t + 1]!; p < end; p++) {
      const r = rankOf[flat[p]!]!;
      if (r >= 0 && seen[r] !== t) {
        seen[r] = t;
        raw[w++] = r;
      }
    }
    if (w === s) continue;
    sortRange(raw, s, w);
    raw[w++] = -1;
    n++;
    rowAt[raw[s]!]!++;
    roomAt[raw[s]!]! += w - s;
  }
  for (let id = 0, r = 0, at = 0; id < k; id++) {
    const rowsOf = rowAt[id]!;
    const roomOf = roomAt[id]!;
    rowAt[id] = r;
    roomAt[id] = at;
    r += rowsOf;
    at += roomOf;
  }
  // Pass two: lay the rows out grouped by first item (a counting sort that moves the data), so that splitting a
  // group further reads one compact stretch of memory rather than jumping about all the rows. A row is known by
  // its offset: order[i] is where a row starts, and item d of the row is rows[order[i] + d].
  const rows = new Int32Array(w);
  const order = new Int32Array(n);
  for (let s = 0; s < w; ) {
    const first = raw[s]!;
    let at = roomAt[first]!;
    order[rowAt[first]!++] = at;
    for (;;) {
      const v = raw[s++]!;
      rows[at++] = v;
      if (v === -1) break;
    }
    roomAt[first] = at;
  }

  pool.reserve(w - n);
  const addNode = (id: number, c: number, parent: number) => pool.add(tree, id, c, parent);

  const keys = new Int32Array(n); // keys[i] = item d of row order[i] while a range is being split at depth d
  const scratch = new Int32Array(n);
  const scratchKeys = new Int32Array(n);
  const packed = new Float64Array(n);
  const packable = (k + 1) * w < 2 ** 53;
  const buckets = new Int32Array(k + 1);
  /** Fills keys[lo .. hi) with item d of each row (-1 when it has ended) and sorts both arrays by it. */
  const sortBy = (lo: number, hi: number, d: number) => {
    for (let i = lo; i < hi; i++) keys[i] = rows[order[i]! + d]!;
    const size = hi - lo;
    if (size <= 12) {
      for (let i = lo + 1; i < hi; i++) {
        const r = order[i]!;
        const v = keys[i]!;
        let j = i - 1;
        for (; j >= lo && keys[j]! > v; j--) {
          order[j + 1] = order[j]!;
          keys[j + 1] = keys[j]!;
        }
        order[j + 1] = r;
        keys[j + 1] = v;
      }
    } else if (8 * size < k && packable) {
      // Too few rows for k buckets: pack (key, row) into one double and use the native numeric sort.
      for (let i = lo; i < hi; i++) packed[i] = (keys[i]! + 1) * w + order[i]!;
      const part = packed.subarray(lo, hi).sort();
      for (let i = 0; i < size; i++) {
        const v = part[i]!;
        const key = Math.floor(v / w);
        order[lo + i] = v - key * w;
        keys[lo + i] = key - 1;
      }
    } else {
      // Counting sort: linear in the range plus k buckets.
      buckets.fill(0);
      for (let i = lo; i < hi; i++) buckets[keys[i]! + 1]!++;
      for (let b = 0, at = lo; b <= k; b++) {
        const c = buckets[b]!;
        buckets[b] = at;
        at += c;
      }
      for (let i = lo; i < hi; i++) {
        const at = buckets[keys[i]! + 1]!++;
        scratch[at] = order[i]!;
        scratchKeys[at] = keys[i]!;
      }
      order.set(scratch.subarray(lo, hi), lo);
      keys.set(scratchKeys.subarray(lo, hi), lo);
    }
  };
  /** Adds the subtree under node `up` at depth d for the rows order[lo .. hi), which share their first d items. */
  const grow = (lo: number, hi: number, d: number, up: number): void => {
    if (hi - lo === 1) {
      // One row left: the rest of it is a chain.
      for (let p = order[lo]! + d; rows[p] !== -1; p++) up = addNode(rows[p]!, 1, up);
      return;
    }
    sortBy(lo, hi, d);
    let i = lo;
    while (i < hi && keys[i] === -1) i++;
    while (i < hi) {
      // Recursing overwrites keys only within the run [i, j), so the later runs keep theirs.
      const id = keys[i]!;
      let j = i + 1;
      while (j < hi && keys[j] === id) j++;
      grow(i, j, d + 1, addNode(id, j - i, up));
      i = j;
    }
  };
  if (n > 0) grow(0, n, 0, tree.root);
}

/**
 * The conditional supports of every pair of the top tree's items in one sweep (Grahne & Zhu's FP-array):
 * pairs[j * k + i], i < j, is the support of {i, j}, that is item i's count in j's conditional pattern base. It
 * spares the first of the two walks over j's prefix paths, and every walk for an item with no frequent pair.
 * The nodes are in depth-first order (buildTopTree), so ancestors[1 .. d) always holds the ancestors of the node
 * being visited. Only the rows of the items in `only` are filled.
 */
function countPairs(pool: NodePool, tree: Tree, only: Uint8Array | null): Int32Array {
  const { k, root } = tree;
  const { up, tally } = pool;
  const pairs = new Int32Array(k * k);
  const depth = new Int32Array(pool.top);
  const ancestors = new Int32Array(k + 1);
  for (let n = root + 1; n < pool.top; n++) {
    const d = depth[up[2 * n + PARENT]!]! + 1;
    depth[n] = d;
    const id = up[2 * n + ITEM]!;
    ancestors[d] = id;
    if (only !== null && only[id] === 0) continue;
    const row = id * k;
    const c = tally[2 * n + COUNT]!;
    for (let a = 1; a < d; a++) pairs[row + ancestors[a]!]! += c;
  }
  return pairs;
}

/**
 * Frequent itemsets by FP-growth (Han, Pei & Yin 2000): one FP-tree of the transactions in F-list order, then
 * for each item, least frequent first, its conditional pattern base (the prefix paths on its node-link chain)
 * becomes a conditional FP-tree mined recursively; a conditional tree that is a single path yields all its
 * combinations directly. Items within a transaction count once.
 *
 * Returns every itemset with support ≥ minSupport (absolute) and size within [minLength, maxLength], items
 * ascending, sorted by sortItemsets (size, then lexicographic).
 *
 * With `partition`, only the itemsets whose last item in F-list order (frequentItemList: support descending,
 * then item ascending) is in `partition` are returned, still in sortItemsets order: the outputs over the parts
 * of any partition of the F-list are disjoint and together make the unpartitioned output, so the parts can be
 * mined on separate threads. Items of `partition` that are not frequent are ignored.
 */
export function fpGrowth(
  transactions: readonly (readonly Item[])[],
  o: FpGrowthOptions,
  partition?: readonly Item[],
): FrequentItemset[] {
  const { minSupport } = o;
  const minLength = o.minLength ?? 1;
  const maxLength = o.maxLength ?? Infinity;
  checkSupport(minSupport);
  if (!(Number.isInteger(minLength) && minLength >= 0)) {
    throw new RangeError(`minLength must be an integer ≥ 0, got ${minLength}`);
  }
  if (!((Number.isInteger(maxLength) && maxLength >= 0) || maxLength === Infinity)) {
    throw new RangeError(`maxLength must be an integer ≥ 0 or unbounded, got ${maxLength}`);
  }

  const db = encode(transactions);
  const flist = buildFList(db, minSupport);
  const k = flist.ids.length;
  const out: FrequentItemset[] = [];
  if (k === 0 || maxLength < 1 || maxLength < minLength) return out;

  const { itemOf } = db;
  const rankOf = flist.rankOf;

  // Which top-level items (ranks) to mine.
  let mineRank: Uint8Array | null = null;
  if (partition !== undefined) {
    mineRank = new Uint8Array(k);
    const idOf = itemOf === null ? null : new Map(itemOf.map((x, id) => [x, id]));
    for (const x of partition) {
      const id = idOf === null ? (Number.isInteger(x) && x >= 0 && x < rankOf.length ? x : -1) : (idOf.get(x) ?? -1);
      if (id >= 0 && rankOf[id]! >= 0) mineRank[rankOf[id]!] = 1;
    }
  }

  // Scratch buffers, shared by every tree: a conditional tree never has more items than the top one.
  const path = new Int32Array(k);
  const condCount = new Int32Array(k);
  const condId = new Int32Array(k);
  const prefix = new Float64Array(k + 1); // the original items of the itemset being grown

  // Room for the top tree's worst case (a node per occurrence); the pool grows when conditional trees need more.
  const pool = new NodePool(db.flat.length + 1);
  const top: Tree = {
    root: pool.root(),
    k,
    head: new Int32Array(k).fill(-1),
    support: flist.supports,
    item: Float64Array.from(flist.ids, (id) => (itemOf === null ? id : itemOf[id]!)),
  };
  buildTopTree(db, flist, pool, top);
  // The pair counts cost k² integers; past that, walking the prefix paths twice is the cheaper way.
  const pairs = maxLength > 1 && k <= 2048 ? countPairs(pool, top, mineRank) : null;

  const emit = (length: number, support: number) => {
    const items = Array.from(prefix.subarray(0, length));
    out.push({ items: items.sort((a, b) => a - b), support });
  };

  /**
   * Builds the conditional FP-tree of item j of `tree` on top of the pool: pass one sums the counts of the
   * items on j's prefix paths, pass two inserts each path's frequent items, re-ranked by conditional support.
   * Returns null when no item of the base is frequent.
   */
  const conditionalTree = (tree: Tree, j: number): Tree | null => {
    const root = tree.root;
    // Pass one: the conditional supports of the items above j (all have smaller local ids) and a bound on the
    // nodes the tree can need; for the top tree both come from the pair counts.
    let nodes = 0;
    if (tree === top && pairs !== null) {
      condCount.set(pairs.subarray(j * k, j * k + j));
    } else {
      const { up, tally } = pool;
      for (let n = tree.head[j]!; n !== -1; n = tally[2 * n + LINK]!) {
        const c = tally[2 * n + COUNT]!;
        for (let p = up[2 * n + PARENT]!; p !== root; p = up[2 * p + PARENT]!) {
          condCount[up[2 * p + ITEM]!]! += c;
          nodes++;
        }
      }
    }
    let kc = 0;
    let bound = 0;
    for (let i = 0; i < j; i++) {
      if (condCount[i]! >= minSupport) {
        path[kc++] = i;
        bound += condCount[i]!;
      } else {
        condCount[i] = 0;
      }
    }
    if (kc === 0) return null;
    if (nodes === 0 || bound < nodes) nodes = bound; // each node of the new tree counts at least 1
    // Rank the frequent ones by conditional support descending, then by their rank in the parent tree.
    const order = Array.from(path.subarray(0, kc)).sort((a, b) => condCount[b]! - condCount[a]! || a - b);
    const cond: Tree = {
      root: -1,
      k: kc,
      head: new Int32Array(kc).fill(-1),
      support: new Int32Array(kc),
      item: new Float64Array(kc),
    };
    condId.fill(-1, 0, j);
    order.forEach((i, r) => {
      condId[i] = r;
      cond.support[r] = condCount[i]!;
      cond.item[r] = tree.item[i]!;
      condCount[i] = 0;
    });
    pool.reserve(nodes + 1);
    cond.root = pool.root();
    // Pass two: insert the prefix paths. Ids shrink towards the root (whose item is -1), so a walk stops at the
    // first item ranked above every frequent one.
    const lowest = path[0]!;
    const { up, tally } = pool; // after reserve, which may have replaced them
    for (let n = tree.head[j]!; n !== -1; n = tally[2 * n + LINK]!) {
      let m = 0;
      for (let p = up[2 * n + PARENT]!; ; p = up[2 * p + PARENT]!) {
        const i = up[2 * p + ITEM]!;
        if (i < lowest) break;
        const id = condId[i]!;
        if (id >= 0) path[m++] = id;
      }
      if (m === 0) continue;
      sortRange(path, 0, m);
      pool.insert(cond, path, m, tally[2 * n + COUNT]!);
    }
    return cond;
  };

  /** The chain of nodes from the root when `tree` is a single path, else null. */
  const singlePath = (tree: Tree): number[] | null => {
    const { child, sibling } = pool;
    const chain: number[] = [];
    for (let n = child[tree.root]!; n !== -1; n = child[n]!) {
      if (sibling[n] !== -1) return null;
      chain.push(n);
    }
    return chain;
  };

  /**
   * Every combination of a single path's nodes appended to the prefix (length `length` so far); a
   * combination's support is the count of its deepest node, since counts only shrink down a path.
   */
  const combinations = (tree: Tree, chain: number[], from: number, length: number) => {
    const { up, tally } = pool;
    for (let i = from; i < chain.length; i++) {
      const n = chain[i]!;
      prefix[length] = tree.item[up[2 * n + ITEM]!]!;
      if (length + 1 >= minLength) emit(length + 1, tally[2 * n + COUNT]!);
      if (length + 1 < maxLength) combinations(tree, chain, i + 1, length + 1);
    }
  };

  /** Mines `tree`, whose itemsets all extend prefix[0 .. length). */
  const mine = (tree: Tree, length: number, only: Uint8Array | null) => {
    for (let j = tree.k - 1; j >= 0; j--) {
      if (only !== null && only[j] === 0) continue;
      prefix[length] = tree.item[j]!;
      if (length + 1 >= minLength) emit(length + 1, tree.support[j]!);
      if (length + 1 >= maxLength || j === 0) continue;
      const mark = pool.top;
      const cond = conditionalTree(tree, j);
      if (cond !== null) {
        const chain = singlePath(cond);
        if (chain !== null) combinations(cond, chain, 0, length + 1);
        else mine(cond, length + 1, null);
      }
      pool.top = mark; // drop the conditional tree
    }
  };

  mine(top, 0, mineRank);
  return sortItemsets(out);
}
