import type { Element, Item, Sequence } from './types.js';

/** Largest item id accepted by the parsers: the encoded form ({@link encodeDatabase}) stores items as int32. */
const MAX_ITEM = 0x7fffffff;

/** Splits text into lines, keeping 1-based numbers for error messages; CRLF tolerated. */
function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** Parses one non-negative integer token, or throws naming the line and what it was expected to be. */
function parseNat(token: string, lineNo: number, what: string): number {
  if (!/^\d+$/.test(token)) throw new Error(`line ${lineNo}: ${what} must be a non-negative integer, got "${token}"`);
  const n = Number(token);
  if (n > MAX_ITEM) throw new Error(`line ${lineNo}: ${what} ${token} exceeds ${MAX_ITEM}`);
  return n;
}

/** Sorted, deduplicated copy of an element's items (the canonical form of {@link Element}). */
function canonical(items: Item[]): Item[] {
  items.sort((a, b) => a - b);
  let w = 0;
  for (let r = 0; r < items.length; r++) if (r === 0 || items[r] !== items[w - 1]) items[w++] = items[r];
  items.length = w;
  return items;
}

/**
 * Parses the SPMF sequence format: one sequence a line, items separated by spaces, `-1` ends an element and
 * `-2` ends the sequence. Elements are sorted and deduplicated. Blank lines and SPMF's metadata/comment lines
 * (starting with `@`, `#` or `%`) are skipped. Throws an Error naming the line of any malformed input.
 */
export function parseSpmf(text: string): Sequence[] {
  const out: Sequence[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i].trim();
    const lineNo = i + 1;
    if (line === '' || line[0] === '@' || line[0] === '#' || line[0] === '%') continue;
    const seq: Element[] = [];
    let element: Item[] = [];
    let ended = false;
    for (const tok of tokens(line)) {
      if (ended) throw new Error(`line ${lineNo}: tokens after -2 (one sequence per line)`);
      if (tok === '-1') {
        if (element.length === 0) throw new Error(`line ${lineNo}: empty element (-1 without items)`);
        seq.push(canonical(element));
        element = [];
      } else if (tok === '-2') {
        if (element.length > 0) throw new Error(`line ${lineNo}: element not closed by -1 before -2`);
        if (seq.length === 0) throw new Error(`line ${lineNo}: empty sequence`);
        ended = true;
      } else {
        element.push(parseNat(tok, lineNo, 'item'));
      }
    }
    if (!ended) throw new Error(`line ${lineNo}: sequence not terminated by -2`);
    out.push(seq);
  }
  return out;
}

/**
 * Parses Zaki's SPADE format: one element a line as `sequenceId eventId itemCount item…`. Elements are grouped by
 * sequence id (sequences in order of first appearance) and ordered by event id within a sequence; an event id may
 * appear once per sequence. Throws an Error naming the line of any malformed input.
 */
export function parseZaki(text: string): Sequence[] {
  const bySid = new Map<number, { eid: number; items: Item[] }[]>();
  const seen = new Map<number, Map<number, number>>(); // sid → eid → line, to name the first line of a duplicate
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i].trim();
    const lineNo = i + 1;
    if (line === '') continue;
    const t = tokens(line);
    if (t.length < 4) throw new Error(`line ${lineNo}: expected "sequenceId eventId itemCount item…"`);
    const sid = parseNat(t[0], lineNo, 'sequence id');
    const eid = parseNat(t[1], lineNo, 'event id');
    const count = parseNat(t[2], lineNo, 'item count');
    if (count !== t.length - 3) {
      throw new Error(`line ${lineNo}: item count ${count} but ${t.length - 3} items follow`);
    }
    const items = canonical(t.slice(3).map((tok) => parseNat(tok, lineNo, 'item')));
    let eids = seen.get(sid);
    if (!eids) {
      eids = new Map();
      seen.set(sid, eids);
      bySid.set(sid, []);
    }
    const prev = eids.get(eid);
    if (prev !== undefined) throw new Error(`line ${lineNo}: event ${eid} of sequence ${sid} repeats line ${prev}`);
    eids.set(eid, lineNo);
    bySid.get(sid)!.push({ eid, items });
  }
  const out: Sequence[] = [];
  for (const events of bySid.values()) {
    events.sort((a, b) => a.eid - b.eid); // stable; eids are unique anyway
    out.push(events.map((e) => e.items));
  }
  return out;
}

/**
 * Parses one sequence a line, items separated by spaces, each item its own element (click streams such as
 * bms1.txt and msnbc.txt). Blank lines are skipped; a bad token throws an Error naming its line.
 */
export function parseLines(text: string): Sequence[] {
  const out: Sequence[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i].trim();
    if (line === '') continue;
    out.push(tokens(line).map((tok) => [parseNat(tok, i + 1, 'item')]));
  }
  return out;
}

/** The canonical string of a pattern: items of an element joined by spaces, elements by `|` (e.g. `"1 2|3"`). */
export function patternKey(p: { readonly elements: readonly (readonly Item[])[] }): string {
  return p.elements.map((e) => e.join(' ')).join('|');
}

/** Number of items in a pattern (its length, as SPMF counts it). */
export function patternLength(p: { readonly elements: readonly (readonly Item[])[] }): number {
  let n = 0;
  for (const e of p.elements) n += e.length;
  return n;
}

/**
 * Total order on patterns: fewer items first, then lexicographic over elements (each element compared item by
 * item, a proper prefix first), then fewer elements first. Two patterns compare equal only if they have the same
 * elements, so sorting is deterministic.
 */
export function comparePatterns(
  a: { readonly elements: readonly (readonly Item[])[] },
  b: { readonly elements: readonly (readonly Item[])[] },
): number {
  const la = patternLength(a);
  const lb = patternLength(b);
  if (la !== lb) return la - lb;
  const n = Math.min(a.elements.length, b.elements.length);
  for (let i = 0; i < n; i++) {
    const ea = a.elements[i];
    const eb = b.elements[i];
    const m = Math.min(ea.length, eb.length);
    for (let j = 0; j < m; j++) if (ea[j] !== eb[j]) return ea[j] - eb[j];
    if (ea.length !== eb.length) return ea.length - eb.length;
  }
  return a.elements.length - b.elements.length;
}

/** Sorts patterns in place by {@link comparePatterns} and returns the same array. */
export function sortPatterns<T extends { readonly elements: readonly (readonly Item[])[] }>(ps: T[]): T[] {
  return ps.sort(comparePatterns);
}

/**
 * The absolute minimum support for a database of `sequenceCount` sequences. Give exactly one of `absolute` (an
 * integer ≥ 1) or `relative` (in (0, 1]; becomes ceil(relative × n), at least 1). The product is rounded to the
 * nearest integer first when it is within 1e-9 of it, so float noise (0.07 × 100 = 7.000000000000001) does not
 * push the threshold up by one. Throws RangeError naming the offending field.
 */
export function normaliseSupport(
  minSupport: { absolute?: number; relative?: number },
  sequenceCount: number,
): number {
  if (!Number.isInteger(sequenceCount) || sequenceCount < 0) {
    throw new RangeError(`sequenceCount must be a non-negative integer, got ${sequenceCount}`);
  }
  const { absolute, relative } = minSupport;
  if (absolute !== undefined && relative !== undefined) {
    throw new RangeError('minSupport: give either absolute or relative, not both');
  }
  if (absolute !== undefined) {
    if (!Number.isInteger(absolute) || absolute < 1) {
      throw new RangeError(`minSupport.absolute must be an integer >= 1, got ${absolute}`);
    }
    return absolute;
  }
  if (relative !== undefined) {
    if (!(relative > 0 && relative <= 1)) {
      throw new RangeError(`minSupport.relative must be in (0, 1], got ${relative}`);
    }
    const x = relative * sequenceCount;
    const r = Math.round(x);
    return Math.max(1, Math.abs(x - r) < 1e-9 ? r : Math.ceil(x));
  }
  throw new RangeError('minSupport: give absolute or relative');
}

/**
 * Items contained in at least `minSupport` sequences (support counts sequences, not occurrences), sorted by item
 * ascending.
 */
export function frequentItems(db: readonly Sequence[], minSupport: number): { item: Item; support: number }[] {
  const support = new Map<Item, number>();
  const lastSeq = new Map<Item, number>(); // count each sequence once per item
  for (let s = 0; s < db.length; s++) {
    for (const element of db[s]) {
      for (const item of element) {
        if (lastSeq.get(item) === s) continue;
        lastSeq.set(item, s);
        support.set(item, (support.get(item) ?? 0) + 1);
      }
    }
  }
  const out: { item: Item; support: number }[] = [];
  for (const [item, n] of support) if (n >= minSupport) out.push({ item, support: n });
  return out.sort((a, b) => a.item - b.item);
}
