import type { ShardConfig } from '@engram/config';
import type { Logger } from '@engram/telemetry';
import type { Clock, HybridLogicalClock, Store } from '@engram/storage';
import type { CounterBook, WriteMeta } from './counters.js';
import type { KeyedLock } from './keyed-lock.js';
import type { RecordReader } from './records.js';
import type { FreedRanges } from './freed-ranges.js';

/** Everything the engine's parts share: one per shard. */
export interface ShardContext {
  readonly config: ShardConfig;
  readonly nodeId: string;
  readonly clock: Clock;
  readonly hlc: HybridLogicalClock;
  readonly store: Store<WriteMeta>;
  readonly records: RecordReader;
  readonly counters: CounterBook;
  /** Serialises read-modify-write sections per (tenant, subject). */
  readonly subjects: KeyedLock;
  /** The latest queued commit per subject, so a subject-wide scan can wait for it. */
  readonly lastCommit: Map<string, Promise<void>>;
  readonly freed: FreedRanges;
  readonly logger: Logger;
}

/** Key of a subject in the per-subject maps. */
export const subjectLockKey = (tenant: string, subject: string) => `${tenant}\x00${subject}`;

/**
 * Queues a write and returns its commit (not awaited, so the subject's lock can be released before the batch is
 * written). Afterwards the records it wrote are published to the cache; on failure the holds are released.
 */
export function queueWrite(
  ctx: ShardContext,
  tenant: string,
  subject: string,
  request: Parameters<Store<WriteMeta>['write']>[0],
  published: [string, import('@engram/storage').StoredMemory | undefined][],
): Promise<void> {
  const commit = ctx.store.write(request).then(() => {
    for (const [key, record] of published) ctx.records.committed(key, record);
  });
  const lockKey = subjectLockKey(tenant, subject);
  ctx.lastCommit.set(lockKey, commit);
  const forget = () => {
    if (ctx.lastCommit.get(lockKey) === commit) ctx.lastCommit.delete(lockKey);
  };
  commit.then(forget, forget);
  return commit;
}
