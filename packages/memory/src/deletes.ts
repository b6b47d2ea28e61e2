import { FORGET_PRIORITY } from '@engram/cognition';
import { accessKey, dreamStateKey, EMPTY, expiryKey, subjectPatternPrefix, subjectWeightPrefix, weightKey, hashEntryCodec, hashKey, memoryKey, prefixRange, subjectMemoryPrefix, tombstoneCodec, tombstoneKey, tombstonePurgeKey, type BatchOp, type StoredMemory } from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import type { CounterDelta } from './counters.js';
import { recordPages } from './records.js';

const FORGET_CHUNK = 256;
/** Pages of a subject's deletion queued at once (see forgetSubject). */
const FORGET_IN_FLIGHT = 4;

/**
 * Ops that delete memories of one subject everywhere they are indexed: the record, its accesses, its learned weight,
 * its postings, its expiry entry and the duplicate-detection entry if that names it (records: as RecordReader reads
 * them, accesses merged). The caller holds the subject's lock, and queues the write of these ops in the same turn as
 * this resolves (the postings' blocks are read-modify-written; see PostingIndex.deletionOps).
 */
export async function deletionOps(ctx: ShardContext, tenant: string, records: readonly StoredMemory[]): Promise<BatchOp[]> {
  if (records.length === 0) return [];
  const postings = ctx.postings.deletionOps(tenant, records);
  const ops: BatchOp[] = [];
  for (const r of records) {
    // The memory's learned weight goes with it, however it goes (forget, expiry).
    ops.push(
      { type: 'del', key: memoryKey(tenant, r.subject, r.id) },
      { type: 'del', key: accessKey(tenant, r.subject, r.id) },
      { type: 'del', key: weightKey(tenant, r.subject, 1, r.id) },
    );
    if (r.expiresAtMs !== 0) ops.push({ type: 'del', key: expiryKey(r.expiresAtMs, tenant, r.subject, r.id) });
  }
  ops.push(...(await postings));
  // Read after the wait: a hash entry names the last memory written with its content.
  for (const r of records) {
    const hk = hashKey(tenant, r.subject, r.contentHash);
    const entry = ctx.store.peek(hk);
    if (entry && hashEntryCodec.decode(entry).id === r.id) ops.push({ type: 'del', key: hk });
  }
  for (const op of ops) if (op.type === 'del') ctx.freed.note(op.key);
  return ops;
}

/** Ops that delete everything the thought engine keeps about a subject: patterns, weights, dream state. */
async function thoughtDeletionOps(ctx: ShardContext, tenant: string, subject: string): Promise<BatchOp[]> {
  const ops: BatchOp[] = [{ type: 'del', key: dreamStateKey(tenant, subject) }];
  for (const prefix of [subjectPatternPrefix(tenant, subject), subjectWeightPrefix(tenant, subject)]) {
    await ctx.store.scan(prefixRange(prefix), (key) => void ops.push({ type: 'del', key }));
  }
  return ops;
}

export const removal = (tenant: string, r: StoredMemory): CounterDelta => ({
  tenant,
  subject: r.subject,
  memories: -1,
  length: -r.length,
  layers: [[r.layer, -1]],
});

/** A tombstone for a forgotten id, and its purge entry. */
function tombstoneOps(ctx: ShardContext, tenant: string, subject: string, id: string, now: number): BatchOp[] {
  return [
    { type: 'put', key: tombstoneKey(tenant, subject, id), value: tombstoneCodec.encode({ forgottenAtMs: now }) },
    { type: 'put', key: tombstonePurgeKey(now + ctx.config.retention.tombstoneTtl, tenant, subject, id), value: EMPTY },
  ];
}

/** Forget one memory for good; returns whether a live memory was deleted. */
export async function forgetMemory(ctx: ShardContext, tenant: string, subject: string, id: string): Promise<boolean> {
  const commit = await ctx.subjects.run(subjectLockKey(tenant, subject), async () => {
    const hold = ctx.counters.hold(tenant, subject);
    try {
      const now = ctx.clock.now();
      const key = memoryKey(tenant, subject, id);
      const r = await ctx.records.get(key);
      const ops = r ? await deletionOps(ctx, tenant, [r]) : [];
      // A weight may outlive its memory's record only if the record is already gone; delete it either way.
      ops.push(...tombstoneOps(ctx, tenant, subject, id, now));
      if (!r) ops.push({ type: 'del', key: weightKey(tenant, subject, 1, id) });
      const done = queueWrite(
        ctx,
        tenant,
        subject,
        { ops, priority: FORGET_PRIORITY, meta: { deltas: r ? [removal(tenant, r)] : [], holds: [hold] } },
        [[key, undefined]],
      );
      return { done, existed: r !== undefined && (r.expiresAtMs === 0 || r.expiresAtMs > now) };
    } catch (err) {
      hold.release();
      throw err;
    }
  });
  await commit.done;
  return commit.existed;
}

/**
 * Forget everything of a subject; returns the number of memories deleted. The subject is read and deleted a page
 * of FORGET_CHUNK memories at a time, at most FORGET_IN_FLIGHT pages queued at once: a subject of a million memories
 * is never in memory whole, nor are its deletions all queued at once.
 */
export async function forgetSubject(ctx: ShardContext, tenant: string, subject: string): Promise<number> {
  const lockKey = subjectLockKey(tenant, subject);
  const outcome = await ctx.subjects.run(lockKey, async () => {
    // Every earlier write of the subject is queued; wait for it so the scans below see it.
    await ctx.lastCommit.get(lockKey)?.catch(() => undefined);
    const now = ctx.clock.now();
    const queued: Promise<void>[] = [];
    let deleted = 0;
    for await (const page of recordPages(ctx.store, subjectMemoryPrefix(tenant, subject), FORGET_CHUNK)) {
      const hold = ctx.counters.hold(tenant, subject);
      try {
        const ops = await deletionOps(ctx, tenant, page);
        for (const r of page) ops.push(...tombstoneOps(ctx, tenant, subject, r.id, now));
        queued.push(
          queueWrite(
            ctx,
            tenant,
            subject,
            { ops, priority: FORGET_PRIORITY, meta: { deltas: page.map((r) => removal(tenant, r)), holds: [hold] } },
            page.map((r) => [memoryKey(tenant, subject, r.id), undefined]),
          ),
        );
      } catch (err) {
        hold.release();
        throw err;
      }
      deleted += page.length;
      if (queued.length >= FORGET_IN_FLIGHT) await queued.shift();
    }
    // What was learned about the subject goes with it (queued after its memories, in the same order).
    queued.push(queueWrite(ctx, tenant, subject, { ops: await thoughtDeletionOps(ctx, tenant, subject), priority: FORGET_PRIORITY, meta: { deltas: [], holds: [] } }, []));
    return { commits: queued, deleted };
  });
  await Promise.all(outcome.commits);
  return outcome.deleted;
}
