import { resourceExhausted } from '@engram/protocol';
import type { ValidQuery } from '@engram/cognition';
import {
  prefixRange,
  subjectMemoryPrefix,
  tenantMemoryPrefix,
  type StoredMemory,
} from '@engram/storage';
import { CandidateList, type CandidateSet } from './candidate-list.js';
import type { ShardContext } from './context.js';
import { MemoryColumns } from './memory-columns.js';
import { scanRecords } from './records.js';

export type { CandidateSet } from './candidate-list.js';

function tooBroad(ctx: ShardContext): never {
  throw resourceExhausted(
    `query: matches more than ${ctx.config.limits.queryCandidates} memories on shard ${ctx.nodeId}; narrow it (subject, text, filters)`,
  );
}

/** An array of n zeros, allocated at its size (pushing onto [] would reserve room for 17). */
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** Whether the query filters on what only the record holds (kind, tags, attributes, embedding). */
const filtersOnRecord = (q: ValidQuery) =>
  q.kinds !== undefined || q.tags.length > 0 || q.attributes.length > 0 || (q.embedding !== undefined && q.terms === undefined);

/** Whether a memory passes the query's filters at nowMs, as of asOfMs (paging snapshot). */
export function matchesFilters(c: MemoryColumns, row: number, q: ValidQuery, nowMs: number, asOfMs: number): boolean {
  const expiresAtMs = c.expiresAtMs[row]!;
  // Expired memories are hidden before the sweep deletes them.
  if ((expiresAtMs !== 0 && expiresAtMs <= nowMs) || c.ingestedAtMs[row]! > asOfMs) return false;
  if (q.layers && !q.layers.has(c.layer[row]!)) return false;
  const occurredAtMs = c.occurredAtMs[row]!;
  if (q.occurredStartMs !== undefined && occurredAtMs < q.occurredStartMs) return false;
  if (q.occurredEndMs !== undefined && occurredAtMs >= q.occurredEndMs) return false;
  if (!filtersOnRecord(q)) return true;
  const r = c.records[row]!;
  if (q.kinds && !q.kinds.has(r.kind)) return false;
  for (const tag of q.tags) if (!r.tags.includes(tag)) return false;
  for (const [k, v] of q.attributes) if (r.attributes[k] !== v) return false;
  // An embedding-only cue ranks memories it can compare with.
  if (q.embedding && !q.terms && r.embedding.length !== q.embedding.length) return false;
  return true;
}

/**
 * The memories a query considers on this shard: with a text cue, those sharing a term with it (read from the
 * postings, which also give each term's document frequency); without one, every memory of the subject or
 * tenant. Then the filters. Bounded by the candidates limit (RESOURCE_EXHAUSTED beyond). The caller releases the
 * set once it has read it.
 */
export async function collectCandidates(
  ctx: ShardContext,
  tenant: string,
  q: ValidQuery,
  nowMs: number,
  asOfMs: number,
): Promise<CandidateSet> {
  if (q.terms && q.subject !== undefined) return subjectTextCandidates(ctx, tenant, q.subject, q.terms, q, nowMs, asOfMs);
  const limit = ctx.config.limits.queryCandidates;
  const df = new Map<string, number>();
  const loose = new MemoryColumns();
  if (q.terms) {
    const terms = q.terms;
    const tfByRef = new Map<string, number[]>();
    for (let t = 0; t < terms.length; t++) {
      const term = terms[t]!;
      // A memory key is the tenant's memory prefix, then `subject ␀ id`.
      let count = 0;
      await ctx.postings.scan(tenant, term, undefined, (subject, id, termCount) => {
        const ref = `${subject}\x00${id}`;
        let tf = tfByRef.get(ref);
        if (!tf) {
          if (tfByRef.size >= limit) tooBroad(ctx);
          tfByRef.set(ref, (tf = zeros(terms.length)));
        }
        tf[t] = termCount;
        count += 1;
      });
      df.set(term, count);
    }
    const memoryPrefix = tenantMemoryPrefix(tenant);
    const keys: string[] = [];
    for (const ref of tfByRef.keys()) keys.push(memoryPrefix + ref);
    const records = await ctx.records.getMany(keys);
    const out = new CandidateList(keys.length, terms.length);
    let i = 0;
    for (const tf of tfByRef.values()) pushRecord(out, loose, records[i++], tf, q, nowMs, asOfMs);
    return out.toSet(df);
  }
  const prefix = q.subject === undefined ? tenantMemoryPrefix(tenant) : subjectMemoryPrefix(tenant, q.subject);
  const out = new CandidateList(64, undefined);
  let scanned = 0;
  await scanRecords(ctx.store, prefixRange(prefix), (_key, r) => {
    if (++scanned > limit) tooBroad(ctx);
    pushRecord(out, loose, r, undefined, q, nowMs, asOfMs);
  });
  return out.toSet(df);
}

/** Adds a record read for this query alone (as a row of its own columns) if it passes the filters. */
function pushRecord(
  out: CandidateList,
  loose: MemoryColumns,
  r: StoredMemory | undefined,
  tf: ArrayLike<number> | undefined,
  q: ValidQuery,
  nowMs: number,
  asOfMs: number,
): void {
  if (!r) return;
  const row = loose.add(r);
  if (matchesFilters(loose, row, q, nowMs, asOfMs)) out.push(loose, row, tf);
  else loose.dropLast();
}

/**
 * Candidates found as rows of a subject's columns, in the order found, with their term frequencies (terms per
 * row); a row found again (another term) adds its frequency of that term.
 */
class FoundRows {
  count = 0;
  rows = new Int32Array(256);
  tf: Float64Array;
  /** Candidate index + 1 by row; 0: not found. */
  private indexOf: Int32Array;

  constructor(
    private readonly columns: MemoryColumns,
    private readonly terms: number,
  ) {
    this.tf = new Float64Array(256 * terms);
    this.indexOf = new Int32Array(columns.rows);
  }

  /** Whether row is found already. */
  has(row: number): boolean {
    return row < this.indexOf.length && this.indexOf[row] !== 0;
  }

  add(row: number, term: number, count: number): void {
    // Rows added since the scan began.
    if (row >= this.indexOf.length) this.indexOf = grownInt32(this.indexOf, this.columns.rows);
    let c = this.indexOf[row]!;
    if (c === 0) {
      if (this.count === this.rows.length) {
        this.rows = grownInt32(this.rows, this.count * 2);
        this.tf = grownFloat64(this.tf, this.count * 2 * this.terms);
      }
      this.rows[this.count] = row;
      c = ++this.count;
      this.indexOf[row] = c;
    }
    this.tf[(c - 1) * this.terms + term] = count;
  }
}

/** The postings of one term as rows, collected during a scan to be kept if every posting had a row. */
class PostingRows {
  count = 0;
  rows = new Int32Array(64);
  tf = new Float64Array(64);
  missed = false;

  add(row: number, count: number): void {
    if (this.count === this.rows.length) {
      this.rows = grownInt32(this.rows, this.count * 2);
      this.tf = grownFloat64(this.tf, this.count * 2);
    }
    this.rows[this.count] = row;
    this.tf[this.count++] = count;
  }
}

/**
 * The text cue's candidates in one subject. Memories whose records are cached are read from the subject's
 * columns, found by their postings (kept as rows for terms queried recently, else scanned, one map lookup each)
 * without touching their records; the rest are read as records, as are those a pending write is changing.
 */
async function subjectTextCandidates(
  ctx: ShardContext,
  tenant: string,
  subject: string,
  terms: string[],
  q: ValidQuery,
  nowMs: number,
  asOfMs: number,
): Promise<CandidateSet> {
  const limit = ctx.config.limits.queryCandidates;
  const keyPrefix = subjectMemoryPrefix(tenant, subject);
  const columnStore = ctx.records.columns;
  const held = columnStore.acquire(keyPrefix);
  try {
    const n = terms.length;
    const df = new Map<string, number>();
    const membership = held?.membership;
    const found = held ? new FoundRows(held.columns, n) : undefined;
    const missed = new Map<string, number[]>();
    const addFound = (row: number, t: number, count: number) => {
      if (!found!.has(row) && found!.count + missed.size >= limit) tooBroad(ctx);
      found!.add(row, t, count);
    };
    for (let t = 0; t < n; t++) {
      const term = terms[t]!;
      const kept = held && columnStore.postings(held, term);
      if (kept) {
        for (let k = 0; k < kept.rows.length; k++) addFound(kept.rows[k]!, t, kept.tf[k]!);
        df.set(term, kept.rows.length);
        continue;
      }
      const version = held?.postingsVersion;
      const scanned = held ? new PostingRows() : undefined;
      let count = 0;
      await ctx.postings.scan(tenant, term, subject, (_subject, id, termCount) => {
        count += 1;
        const row = held?.row(id);
        if (row !== undefined) {
          addFound(row, t, termCount);
          scanned!.add(row, termCount);
          return;
        }
        if (scanned) scanned.missed = true;
        let tf = missed.get(id);
        if (!tf) {
          if ((found?.count ?? 0) + missed.size >= limit) tooBroad(ctx);
          missed.set(id, (tf = zeros(n)));
        }
        tf[t] = termCount;
      });
      df.set(term, count);
      if (held && scanned && !scanned.missed && held.membership === membership && held.postingsVersion === version) {
        columnStore.keepPostings(term, {
          columns: held,
          membership: held.membership,
          version: held.postingsVersion,
          rows: scanned.rows.slice(0, scanned.count),
          tf: scanned.tf.slice(0, scanned.count),
        });
      }
    }
    let hits = found?.count ?? 0;
    if (held && found && held.membership !== membership) {
      // A memory joined or left the columns during the scan, and may have been found both as a row and by id, or
      // as two rows: look every candidate up by id instead.
      for (let c = 0; c < hits; c++) {
        const id = held.columns.ids[found.rows[c]!]!;
        let tf = missed.get(id);
        if (!tf) missed.set(id, (tf = zeros(n)));
        for (let t = 0; t < n; t++) if (found.tf[c * n + t] !== 0) tf[t] = found.tf[c * n + t]!;
      }
      hits = 0;
    }
    const keys: string[] = [];
    for (const id of missed.keys()) keys.push(keyPrefix + id);
    const records = keys.length > 0 ? await ctx.records.getMany(keys) : [];

    const out = new CandidateList(hits + keys.length, n);
    const loose = new MemoryColumns(keys.length);
    if (held && found && hits > 0) {
      const columns = held.columns;
      // A write not yet committed is what a read sees (the store's overlay), not the cached record: which of the
      // subject's memories have one is found with one walk over the pending keys when there are fewer of them than
      // hits to check (most queries, while writes commit), else by looking each hit up.
      const pending = ctx.records.writesPending;
      const pendingIds = pending ? ctx.records.pendingIds(keyPrefix, hits) : undefined;
      const check = pending && pendingIds?.size !== 0;
      for (let c = 0; c < hits; c++) {
        const row = found.rows[c]!;
        const id = columns.ids[row]!;
        const written = check && (pendingIds === undefined || pendingIds.has(id)) ? ctx.records.pending(keyPrefix + id) : undefined;
        if (written !== undefined) pushRecord(out, loose, written ?? undefined, found.tf.subarray(c * n, c * n + n), q, nowMs, asOfMs);
        else if (matchesFilters(columns, row, q, nowMs, asOfMs)) out.push(columns, row, found.tf, c * n);
      }
      ctx.records.usedRows(columns, keyPrefix, found.rows, hits);
    }
    let i = 0;
    for (const tf of missed.values()) pushRecord(out, loose, records[i++], tf, q, nowMs, asOfMs);
    return out.toSet(df, held ? () => columnStore.release(held) : undefined);
  } catch (err) {
    if (held) columnStore.release(held);
    throw err;
  }
}

function grownInt32(a: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(capacity, 16));
  b.set(a);
  return b;
}

function grownFloat64(a: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(Math.max(capacity, 16));
  b.set(a);
  return b;
}
