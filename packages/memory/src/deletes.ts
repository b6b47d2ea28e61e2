import { FORGET_PRIORITY } from '@engram/cognition';
import { EMPTY, expiryKey, hashEntryCodec, hashKey, memoryKey, postingKey, prefixRange, recordCodec, subjectMemoryPrefix, tombstoneCodec, tombstoneKey, tombstonePurgeKey, type BatchOp, type StoredMemory } from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import type { CounterDelta } from './counters.js';

const FORGET_CHUNK = 256;

/**
 * Ops that delete a memory everywhere it is indexed: the record, its postings, its expiry entry and the
 * duplicate-detection entry if that names it. The caller holds the subject's lock.
 */
export function deletionOps(ctx: ShardContext, tenant: string, r: StoredMemory): BatchOp[] {
  const ops: BatchOp[] = [{ type: 'del', key: memoryKey(tenant, r.subject, r.id) }];
  for (const t of r.terms) ops.push({ type: 'del', key: postingKey(tenant, t.term, r.subject, r.id) });
  if (r.expiresAtMs !== 0) ops.push({ type: 'del', key: expiryKey(r.expiresAtMs, tenant, r.subject, r.id) });
  const hk = hashKey(tenant, r.subject, r.contentHash);
  const entry = ctx.store.peek(hk);
  if (entry && hashEntryCodec.decode(entry).id === r.id) ops.push({ type: 'del', key: hk });
  for (const op of ops) ctx.freed.note(op.key);
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
      const ops = r ? deletionOps(ctx, tenant, r) : [];
      ops.push(...tombstoneOps(ctx, tenant, subject, id, now));
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

/** Forget everything of a subject; returns the number of memories deleted. */
export async function forgetSubject(ctx: ShardContext, tenant: string, subject: string): Promise<number> {
  const lockKey = subjectLockKey(tenant, subject);
  const outcome = await ctx.subjects.run(lockKey, async () => {
    // Every earlier write of the subject is queued; wait for it so the scan below sees it.
    await ctx.lastCommit.get(lockKey)?.catch(() => undefined);
    const now = ctx.clock.now();
    const records: StoredMemory[] = [];
    await ctx.store.scan(prefixRange(subjectMemoryPrefix(tenant, subject)), (_key, value) => void records.push(recordCodec.decode(value)));
    const commits: Promise<void>[] = [];
    for (let i = 0; i < records.length; i += FORGET_CHUNK) {
      const chunk = records.slice(i, i + FORGET_CHUNK);
      const hold = ctx.counters.hold(tenant, subject);
      try {
        const ops: BatchOp[] = [];
        for (const r of chunk) {
          ops.push(...(deletionOps(ctx, tenant, r)), ...tombstoneOps(ctx, tenant, subject, r.id, now));
        }
        commits.push(
          queueWrite(
            ctx,
            tenant,
            subject,
            { ops, priority: FORGET_PRIORITY, meta: { deltas: chunk.map((r) => removal(tenant, r)), holds: [hold] } },
            chunk.map((r) => [memoryKey(tenant, subject, r.id), undefined]),
          ),
        );
      } catch (err) {
        hold.release();
        throw err;
      }
    }
    return { commits, deleted: records.length };
  });
  await Promise.all(outcome.commits);
  return outcome.deleted;
}
