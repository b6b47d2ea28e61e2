import { describe, expect, it } from 'vitest';
import { silentLogger } from '@engram/telemetry';
import { IdleWatch, startIdleCollector } from './idle-gc.js';

describe('IdleWatch', () => {
  it('is due once after calls were served and the node stayed quiet, and not again until new calls', () => {
    const w = new IdleWatch(1000, 0, 0);
    // Nothing served yet: nothing to give back.
    expect(w.due(5000, 0, 0)).toBe(false);
    // Calls in flight for a long while: not while they run.
    expect(w.due(6000, 3, 500)).toBe(false);
    expect(w.due(9000, 1, 500)).toBe(false);
    // Quiet since the last look that saw it busy.
    expect(w.due(9500, 0, 500)).toBe(false);
    expect(w.due(10_001, 0, 500)).toBe(true);
    expect(w.due(20_000, 0, 500)).toBe(false);
    expect(w.due(30_000, 0, 500)).toBe(false);
  });

  it('never finds a steady stream of calls idle, but takes a trickle (health checks, polls) for quiet', () => {
    const w = new IdleWatch(1000, 0, 0);
    let started = 0;
    // 40 calls per second, none in flight when it looks.
    for (let t = 0; t < 10_000; t += 250) {
      started += 10;
      expect(w.due(t, 0, started)).toBe(false);
    }
    // Then one call a second: quiet, collected once.
    const due: number[] = [];
    for (let t = 10_000; t < 20_000; t += 250) {
      if (t % 1000 === 0) started += 1;
      if (w.due(t, 0, started)) due.push(t);
    }
    expect(due).toEqual([10_750]);
  });

  it('does not collect after only a few calls', () => {
    const w = new IdleWatch(1000, 0, 0);
    expect(w.due(0, 1, 5)).toBe(false);
    expect(w.due(5000, 0, 5)).toBe(false);
  });
});

describe('startIdleCollector', () => {
  it('does nothing when off, and runs the collection it is given once the node is quiet', async () => {
    let collections = 0;
    startIdleCollector({ idleMs: 0, inFlight: () => 0, started: () => 1, logger: silentLogger(), collect: (done) => { collections++; done(); } })();
    expect(collections).toBe(0);
    let started = 0;
    const stop = startIdleCollector({ idleMs: 20, inFlight: () => 0, started: () => started, logger: silentLogger(), collect: (done) => { collections++; done(); } });
    try {
      started = 1000;
      const end = Date.now() + 10_000;
      while (collections === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(collections).toBe(1);
    } finally {
      stop();
    }
  });

  it('collects with V8’s memory-reducing collector, which hands back the pages of a fragmented heap', async () => {
    // Every tenth object of a million stays alive: the garbage is spread over all their pages, which a plain full
    // collection frees but keeps (here ~40% of the growth came back); the memory-reducing one compacts the survivors
    // and returns the rest (~90%).
    const baseline = process.memoryUsage().heapTotal;
    let all: { i: number; s: string }[] | null = [];
    const kept: { i: number; s: string }[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const o = { i, s: `x${i}` };
      all.push(o);
      if (i % 10 === 0) kept.push(o);
    }
    all = null;
    const before = process.memoryUsage();
    let started = 0;
    const logs: Record<string, number>[] = [];
    const logger = { debug: (fields: Record<string, number>) => logs.push(fields), warn: () => {} } as never;
    const stop = startIdleCollector({ idleMs: 20, inFlight: () => 0, started: () => started, logger });
    try {
      started = 1000;
      const end = Date.now() + 10_000;
      while (logs.length === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(logs.length).toBe(1);
      const after = process.memoryUsage();
      expect(after.heapUsed).toBeLessThan(before.heapUsed);
      expect(after.heapTotal - baseline).toBeLessThan((before.heapTotal - baseline) / 2);
      expect(kept.length).toBe(100_000);
    } finally {
      stop();
    }
  });

});
