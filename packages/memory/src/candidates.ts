import { resourceExhausted } from '@engram/protocol';
import type { ValidQuery } from '@engram/cognition';
import {
  postingPrefix,
  prefixRange,
  recordCodec,
  subjectMemoryPrefix,
  tenantMemoryPrefix,
  type StoredMemory,
} from '@engram/storage';
import type { ShardContext } from './context.js';
import { isLive } from './records.js';

/** A memory that matched a query's filters, with its text-cue term frequencies. */
export interface Candidate {
  record: StoredMemory;
  /** Frequency in this memory of each query term, in the order of the query's terms, 0 where absent (text cue only). */
  tf: number[] | undefined;
}

export interface CandidateSet {
  candidates: Candidate[];
  /** Query term → postings in the scope (subject or tenant on this shard). */
  df: Map<string, number>;
}

function tooBroad(ctx: ShardContext): never {
  throw resourceExhausted(
    `query: matches more than ${ctx.config.limits.queryCandidates} memories on shard ${ctx.nodeId}; narrow it (subject, text, filters)`,
  );
}

/**
 * Posting keys and memory keys both end in `subject ␀ id`, after the term's tenant-wide prefix and the tenant's
 * memory prefix respectively (see the key layout in @engram/storage). Postings are matched up by that part alone,
 * without splitting each key into its parts or building a memory key per posting.
 */
const memoryRefOf = (postingKey: string, termPrefixLength: number) => postingKey.slice(termPrefixLength);

/** An array of n zeros, allocated at its size (pushing onto [] would reserve room for 17). */
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** Whether a memory passes the query's filters at nowMs, as of asOfMs (paging snapshot). */
export function matchesFilters(r: StoredMemory, q: ValidQuery, nowMs: number, asOfMs: number): boolean {
  if (!isLive(r, nowMs) || r.ingestedAtMs > asOfMs) return false;
  if (q.layers && !q.layers.has(r.layer)) return false;
  if (q.kinds && !q.kinds.has(r.kind)) return false;
  if (q.occurredStartMs !== undefined && r.occurredAtMs < q.occurredStartMs) return false;
  if (q.occurredEndMs !== undefined && r.occurredAtMs >= q.occurredEndMs) return false;
  for (const tag of q.tags) if (!r.tags.includes(tag)) return false;
  for (const [k, v] of q.attributes) if (r.attributes[k] !== v) return false;
  // An embedding-only cue ranks memories it can compare with.
  if (q.embedding && !q.terms && r.embedding.length !== q.embedding.length) return false;
  return true;
}

/**
 * The memories a query considers on this shard: with a text cue, those sharing a term with it (read from the
 * postings, which also give each term's document frequency); without one, every memory of the subject or
 * tenant. Then the filters. Bounded by the candidates limit (RESOURCE_EXHAUSTED beyond).
 */
export async function collectCandidates(
  ctx: ShardContext,
  tenant: string,
  q: ValidQuery,
  nowMs: number,
  asOfMs: number,
): Promise<CandidateSet> {
  const limit = ctx.config.limits.queryCandidates;
  const df = new Map<string, number>();
  const candidates: Candidate[] = [];
  if (q.terms) {
    const terms = q.terms;
    const tfByRef = new Map<string, number[]>();
    for (let t = 0; t < terms.length; t++) {
      const term = terms[t]!;
      const termPrefixLength = postingPrefix(tenant, term).length;
      let count = 0;
      await ctx.store.scanCounts(prefixRange(postingPrefix(tenant, term, q.subject)), (key, termCount) => {
        const ref = memoryRefOf(key, termPrefixLength);
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
    let i = 0;
    for (const tf of tfByRef.values()) {
      const r = records[i++];
      if (r && matchesFilters(r, q, nowMs, asOfMs)) candidates.push({ record: r, tf });
    }
  } else {
    const prefix = q.subject === undefined ? tenantMemoryPrefix(tenant) : subjectMemoryPrefix(tenant, q.subject);
    let scanned = 0;
    await ctx.store.scan(prefixRange(prefix), (_key, value) => {
      if (++scanned > limit) tooBroad(ctx);
      const r = recordCodec.decode(value);
      if (matchesFilters(r, q, nowMs, asOfMs)) candidates.push({ record: r, tf: undefined });
    });
  }
  return { candidates, df };
}
