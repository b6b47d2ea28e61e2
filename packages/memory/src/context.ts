import type { ShardConfig } from '@engram/config';
import type { Logger } from '@engram/telemetry';
import type { Clock, CommitRequest, HybridLogicalClock, Store, StoredMemory } from '@engram/storage';
import type { CounterBook, WriteMeta } from './counters.js';
import type { KeyedLock } from './keyed-lock.js';
import type { RecordReader } from './records.js';
import type { FreedRanges } from './freed-ranges.js';
import type { PostingIndex } from './postings.js';

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
  readonly postings: PostingIndex;
  readonly logger: Logger;
}

/** Key of a subject in the per-subject maps. */
export const subjectLockKey = (tenant: string, subject: string) => `${tenant}\x00${subject}`;

/**
 * Queues a write and returns its commit (not awaited, so the subject's lock can be released before the batch is
 * written). When it commits, the records it wrote are published to the cache before anyone waiting resumes.
 */
export function queueWrite(
  ctx: ShardContext,
  tenant: string,
  subject: string,
  request: CommitRequest<WriteMeta>,
  published: [string, StoredMemory | undefined][],
): Promise<void> {
  const lockKey = subjectLockKey(tenant, subject);
  let commit: Promise<void> | undefined;
  let settled = false;
  const postings = request.meta?.postings;
  if (postings !== undefined) ctx.postings.begin(postings.segment);
  commit = ctx.store.write(request, (ok) => {
    settled = true;
    // Before the records are published: a memory's postings are readable when its record is.
    if (postings !== undefined) ctx.postings.settled(postings, ok);
    if (ok) for (const [key, record] of published) ctx.records.committed(key, record);
    if (commit !== undefined && ctx.lastCommit.get(lockKey) === commit) ctx.lastCommit.delete(lockKey);
  });
  // A write refused at once has settled already: nothing to wait for.
  if (!settled) ctx.lastCommit.set(lockKey, commit);
  // Whoever awaits the commit sees a failure; one that stopped waiting (after an error of its own) must not turn
  // it into an unhandled rejection.
  commit.catch(ignore);
  return commit;
}

function ignore(): void {}
