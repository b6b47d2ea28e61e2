import { MAINTENANCE_PRIORITY, retentionMs } from '@engram/cognition';
import { accessCodec, accessKeyOf, memoryKey, type BatchOp, type StoredMemory } from '@engram/storage';
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
/** Most memories of one subject in one write of a flush (between two turns of the event loop). */
const WRITE_EVERY = 128;

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
    for (const [lockKey, all] of bySubject) {
      for (let from = 0; from < all.length; from += WRITE_EVERY) {
        // One write (and one read of the records) per subject and WRITE_EVERY memories, with a turn of the event
        // loop in between: a flush of thousands of accesses would otherwise hold the loop for tens of ms.
        if (commits.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const accesses = all.slice(from, from + WRITE_EVERY);
        await ctx.subjects.run(lockKey, async () => {
          const { tenant, subject } = accesses[0]!;
          const keys = accesses.map((a) => memoryKey(tenant, subject, a.id));
          const records = await ctx.records.getMany(keys);
          const ops: BatchOp[] = [];
          const published: [string, StoredMemory | undefined][] = [];
          for (let i = 0; i < accesses.length; i++) {
            const r = records[i];
            if (!r) continue;
            const stats = accessesAdded(r, accesses[i]!.times, retentionMs(r.layer, ctx.config.retention), ctx.config.processing.accessHistory);
            ops.push({ type: 'put', key: accessKeyOf(keys[i]!), value: accessCodec.encode(stats) }, ...expiryMoves(tenant, r, stats.expiresAtMs));
            published.push([keys[i]!, withAccessStats(r, stats)]);
          }
          if (ops.length > 0) commits.push(queueWrite(ctx, tenant, subject, { ops, priority: MAINTENANCE_PRIORITY, meta: { deltas: [], holds: [] } }, published));
        });
      }
    }
    await Promise.all(commits);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
