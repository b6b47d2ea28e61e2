import { MAINTENANCE_PRIORITY } from '@engram/cognition';
import {
  expiryDueBound,
  expiryKey,
  expiryPrefix,
  memoryKey,
  parseTimedKey,
  tombstoneKey,
  tombstonePurgeDueBound,
  tombstonePurgePrefix,
  type BatchOp,
  type StoredMemory,
} from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import { deletionOps, removal } from './deletes.js';

/** Most sweep steps per run, so one run is bounded even when much expires at once. */
const MAX_STEPS = 1000;

/**
 * Retention: deletes memories whose expiry has passed (reads already hide them) and purges tombstones whose
 * time is up, walking the time-ordered expiry index. Runs on an interval; a run never throws.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  expiredTotal = 0;

  /** beforeSweep runs first: accesses not yet written back may move an expiry out. */
  constructor(
    private readonly ctx: ShardContext,
    private readonly beforeSweep: () => Promise<void>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.ctx.config.retention.sweepInterval);
    this.timer.unref();
  }

  /** One sweep at the clock's current time; returns the memories it expired. Concurrent calls share a run. */
  run(): Promise<number> {
    if (!this.running) {
      this.running = this.beforeSweep()
        .then(() => this.sweep(this.ctx.clock.now()))
        .catch((err: unknown) => {
          this.ctx.logger.error({ err }, 'retention sweep failed');
          return 0;
        })
        .finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async sweep(now: number): Promise<number> {
    const batchSize = this.ctx.config.retention.sweepBatch;
    let expired = 0;
    for (let step = 0; step < MAX_STEPS; step++) {
      const due: string[] = [];
      await this.ctx.store.scanKeys({ gte: expiryPrefix(), lt: expiryDueBound(now), limit: batchSize }, (k) => void due.push(k));
      if (due.length === 0) break;
      expired += await this.expire(due, now);
      if (due.length < batchSize) break;
    }
    await this.purgeTombstones(now);
    this.expiredTotal += expired;
    if (expired > 0) this.ctx.logger.debug({ expired }, 'retention sweep');
    return expired;
  }

  private async expire(dueKeys: string[], now: number): Promise<number> {
    const ctx = this.ctx;
    const bySubject = new Map<string, string[]>();
    for (const k of dueKeys) {
      const ref = parseTimedKey(k);
      const lockKey = subjectLockKey(ref.tenant, ref.subject);
      const list = bySubject.get(lockKey);
      if (list) list.push(k);
      else bySubject.set(lockKey, [k]);
    }
    let expired = 0;
    const commits: Promise<void>[] = [];
    for (const [lockKey, keys] of bySubject) {
      const { tenant, subject } = parseTimedKey(keys[0]!);
      await ctx.subjects.run(lockKey, async () => {
        const hold = ctx.counters.hold(tenant, subject);
        const ops: BatchOp[] = [];
        const deltas = [];
        const published: [string, undefined][] = [];
        const deleted: StoredMemory[] = [];
        try {
          for (const k of keys) {
            const ref = parseTimedKey(k);
            const mk = memoryKey(tenant, subject, ref.id);
            const r = await ctx.records.get(mk);
            if (r && r.expiresAtMs !== 0 && r.expiresAtMs <= now && expiryKey(r.expiresAtMs, tenant, subject, r.id) === k) {
              deleted.push(r);
              deltas.push(removal(tenant, r));
              published.push([mk, undefined]);
              expired += 1;
            } else {
              // The memory is gone or its expiry moved: the entry is stale.
              ops.push({ type: 'del', key: k });
            }
          }
          ctx.freed.note(keys[keys.length - 1]!);
          ops.push(...(await deletionOps(ctx, tenant, deleted)));
          commits.push(queueWrite(ctx, tenant, subject, { ops, priority: MAINTENANCE_PRIORITY, meta: { deltas, holds: [hold] } }, published));
        } catch (err) {
          hold.release();
          throw err;
        }
      });
    }
    await Promise.all(commits);
    return expired;
  }

  private async purgeTombstones(now: number): Promise<void> {
    const due: string[] = [];
    await this.ctx.store.scanKeys(
      { gte: tombstonePurgePrefix(), lt: tombstonePurgeDueBound(now), limit: this.ctx.config.retention.sweepBatch },
      (k) => void due.push(k),
    );
    if (due.length === 0) return;
    const ops: BatchOp[] = [];
    for (const k of due) {
      const ref = parseTimedKey(k);
      ops.push({ type: 'del', key: k }, { type: 'del', key: tombstoneKey(ref.tenant, ref.subject, ref.id) });
    }
    await this.ctx.store.write({ ops, priority: MAINTENANCE_PRIORITY });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
