import { MAINTENANCE_PRIORITY, retentionMs } from '@engram/cognition';
import { memoryKey, recordCodec } from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import { expiryMoves, extendedExpiry, withAccesses } from './writes.js';

interface PendingAccess {
  tenant: string;
  subject: string;
  id: string;
  times: number[];
}

const MAX_PENDING = 100_000;

/**
 * Accesses from Recall and Query, collected in memory and written back in batches (a read does not wait for a
 * write). Each flush adds the accesses to the records' histories and moves their expiry out.
 */
export class ReinforcementBuffer {
  private pending = new Map<string, PendingAccess>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly ctx: ShardContext) {}

  add(tenant: string, subject: string, id: string, atMs: number): void {
    const key = memoryKey(tenant, subject, id);
    const entry = this.pending.get(key);
    if (entry) entry.times.push(atMs);
    else this.pending.set(key, { tenant, subject, id, times: [atMs] });
    if (this.pending.size >= MAX_PENDING) void this.flush();
  }

  /** Accesses of a memory not yet written back. */
  pendingFor(tenant: string, subject: string, id: string): readonly number[] {
    return this.pending.get(memoryKey(tenant, subject, id))?.times ?? [];
  }

  get size(): number {
    return this.pending.size;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.ctx.config.processing.reinforceFlushInterval);
    this.timer.unref();
  }

  /** Writes back everything collected so far; never throws (failures are logged and the accesses dropped). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch)
      .catch((err: unknown) => this.ctx.logger.warn({ err }, 'writing back accesses failed'))
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(batch: Map<string, PendingAccess>): Promise<void> {
    const ctx = this.ctx;
    const bySubject = new Map<string, PendingAccess[]>();
    for (const a of batch.values()) {
      const k = subjectLockKey(a.tenant, a.subject);
      const list = bySubject.get(k);
      if (list) list.push(a);
      else bySubject.set(k, [a]);
    }
    const commits: Promise<void>[] = [];
    for (const [lockKey, accesses] of bySubject) {
      await ctx.subjects.run(lockKey, async () => {
        for (const a of accesses) {
          const key = memoryKey(a.tenant, a.subject, a.id);
          const r = await ctx.records.get(key);
          if (!r) continue;
          const last = Math.max(...a.times);
          const expiresAtMs = extendedExpiry(r, last, retentionMs(r.layer, ctx.config.retention));
          const bytes = recordCodec.encode({
            ...r,
            accessCount: r.accessCount + a.times.length,
            recentAccessMs: withAccesses(r.recentAccessMs, a.times, ctx.config.processing.accessHistory),
            expiresAtMs,
          });
          commits.push(
            queueWrite(
              ctx,
              a.tenant,
              a.subject,
              { ops: [{ type: 'put', key, value: bytes }, ...expiryMoves(a.tenant, r, expiresAtMs)], priority: MAINTENANCE_PRIORITY, meta: { deltas: [], holds: [] } },
              [[key, recordCodec.decode(bytes)]],
            ),
          );
        }
      });
    }
    await Promise.all(commits);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
