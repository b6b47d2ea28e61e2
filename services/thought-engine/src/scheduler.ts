import { setTimeout as sleep } from 'node:timers/promises';
import { Ring, type Member } from '@engram/ring';
import type { Logger } from '@engram/telemetry';
import { countedDream, tenantSubjects, type DreamSettings } from './dream.js';
import type { ThoughtEngine } from './engine.js';

/**
 * Scheduled dreams. Every interval the engine walks the tenant's subjects and dreams the ones it owns on the
 * engine ring (the gateway's choice for them too, so their models are already cached here) that have enough new
 * memories. It stays within its CPU budget: after a dream of t ms it rests t·(1/budget − 1) ms.
 */
export class DreamScheduler {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly ring: Ring | undefined;
  passes = 0;
  dreams = 0;

  constructor(
    private readonly engine: ThoughtEngine,
    private readonly settings: () => DreamSettings,
    private readonly tenant: string,
    private readonly selfId: string,
    engines: readonly Member[],
    private readonly logger: Logger,
  ) {
    // An engine missing from the list (a one-engine deployment) dreams every subject.
    this.ring = engines.some((m) => m.id === selfId) ? new Ring(engines, 64) : undefined;
  }

  start(): void {
    const { interval } = this.engine.config.dream;
    if (interval === 0) return;
    this.loop = this.run(interval).catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.logger.error({ err }, 'dream scheduler stopped');
    });
  }

  private owns(subject: string): boolean {
    return this.ring === undefined || this.ring.owner(this.tenant, subject).id === this.selfId;
  }

  private async run(interval: number): Promise<void> {
    const { signal } = this.abort;
    const budget = this.engine.config.dream.cpuBudget;
    for (;;) {
      await sleep(interval, undefined, { signal });
      this.passes += 1;
      const call = { tenant: this.tenant };
      for await (const subject of tenantSubjects(this.engine, call)) {
        if (signal.aborted) return;
        if (!this.owns(subject)) continue;
        const started = performance.now();
        try {
          const d = await countedDream(this.engine, subject, { ...this.settings(), minNew: this.engine.config.dream.minNew }, call, 'schedule');
          if (!d.skipped) this.dreams += 1;
          if (!d.skipped || d.promoted || d.expired) this.logger.info({ subject, ...d, insightIds: undefined, promotedIds: undefined }, 'dreamt');
        } catch (err) {
          this.logger.warn({ err, subject }, 'scheduled dream failed');
        }
        const spent = performance.now() - started;
        await sleep(spent * (1 / budget - 1), undefined, { signal });
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }
}
