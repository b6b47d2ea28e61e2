import type { ShardContext } from './context.js';

/**
 * Strategic compaction: on an interval, compacts the key ranges that expiry and forgetting freed since the last
 * run, so deleted data leaves the disk without compacting the whole store. A run never throws.
 */
export class CompactionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  compactions = 0;

  constructor(private readonly ctx: ShardContext) {}

  start(): void {
    const interval = this.ctx.config.storage.compactionInterval;
    if (interval === 0) return;
    this.timer = setInterval(() => void this.run(), interval);
    this.timer.unref();
  }

  run(): Promise<void> {
    if (!this.running) {
      this.running = this.compact()
        .catch((err: unknown) => this.ctx.logger.warn({ err }, 'compaction failed'))
        .finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async compact(): Promise<void> {
    const { ranges, deletes } = this.ctx.freed.take();
    if (deletes === 0) return;
    const started = performance.now();
    for (const r of ranges) {
      await this.ctx.store.compactRange(r.min, r.max);
      this.compactions += 1;
    }
    this.ctx.logger.debug({ ranges: ranges.length, deletes, ms: Math.round(performance.now() - started) }, 'compacted freed ranges');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
