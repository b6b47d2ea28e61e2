import { MAINTENANCE_PRIORITY, retentionMs } from '@engram/cognition';
import { accessCodec, accessKeyOf, memoryKey } from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import { withAccessStats } from './records.js';
import { accessesAdded, expiryMoves } from './writes.js';

interface PendingAccess {
  tenant: string;
  subject: string;
  id: string;
  times: number[];
}

const MAX_PENDING = 100_000;
/** Memories a flush writes back between two turns of the event loop. */
const YIELD_EVERY = 64;

/**
 * Accesses from Recall and Query, collected in memory and written back in batches (a read does not wait for a
 * write). Each flush adds the accesses to the memories' histories and moves their expiry out, in each memory's
 * AccessRecord (key space `a`, ~60 bytes) and its expiry entry, where rewriting its record (~450 bytes) made LevelDB
 * compact ~4x as much; with a million memories on a shard that compaction had cost more than the Recalls themselves.
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
    let sinceYield = 0;
    for (const [lockKey, accesses] of bySubject) {
      // A flush of thousands of accesses would hold the event loop for tens of ms (a step in every call's latency):
      // let calls in between every YIELD_EVERY memories.
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      sinceYield += accesses.length;
      await ctx.subjects.run(lockKey, async () => {
        for (const a of accesses) {
          const key = memoryKey(a.tenant, a.subject, a.id);
          const r = await ctx.records.get(key);
          if (!r) continue;
          const stats = accessesAdded(r, a.times, retentionMs(r.layer, ctx.config.retention), ctx.config.processing.accessHistory);
          commits.push(
            queueWrite(
              ctx,
              a.tenant,
              a.subject,
              { ops: [{ type: 'put', key: accessKeyOf(key), value: accessCodec.encode(stats) }, ...expiryMoves(a.tenant, r, stats.expiresAtMs)], priority: MAINTENANCE_PRIORITY, meta: { deltas: [], holds: [] } },
              [[key, withAccessStats(r, stats)]],
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
