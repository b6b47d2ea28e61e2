import { resourceExhausted } from '@engram/protocol';
import type { ValidQuery } from '@engram/cognition';
import {
  decodeCount,
  memoryKey,
  parsePostingKey,
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
  /** Query term → frequency in this memory (text cue only). */
  tf: Map<string, number> | undefined;
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
    const tfByKey = new Map<string, Map<string, number>>();
    for (const term of q.terms) {
      let count = 0;
      await ctx.store.scan(prefixRange(postingPrefix(tenant, term, q.subject)), (key, value) => {
        const p = parsePostingKey(key);
        const mk = memoryKey(tenant, p.subject, p.id);
        let tf = tfByKey.get(mk);
        if (!tf) {
          if (tfByKey.size >= limit) tooBroad(ctx);
          tfByKey.set(mk, (tf = new Map()));
        }
        tf.set(term, decodeCount(value));
        count += 1;
      });
      df.set(term, count);
    }
    const keys = [...tfByKey.keys()];
    const records = await ctx.records.getMany(keys);
    records.forEach((r, i) => {
      if (r && matchesFilters(r, q, nowMs, asOfMs)) candidates.push({ record: r, tf: tfByKey.get(keys[i]!) });
    });
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
