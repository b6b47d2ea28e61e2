import { describe, expect, it } from 'vitest';
import { silentLogger } from '@engram/telemetry';
import { IdleWatch, startIdleCollector } from './idle-gc.js';

describe('IdleWatch', () => {
  it('is due once after calls were served and the node stayed quiet, and not again until new calls', () => {
    const w = new IdleWatch(1000, 0, 0);
    // Nothing served yet: nothing to give back.
    expect(w.due(5000, 0, 0)).toBe(false);
    // A call in flight for a long while: not while it runs.
    expect(w.due(6000, 1, 1)).toBe(false);
    expect(w.due(9000, 1, 1)).toBe(false);
    // Quiet since the last look that saw it busy.
    expect(w.due(9500, 0, 1)).toBe(false);
    expect(w.due(10_001, 0, 1)).toBe(true);
    expect(w.due(20_000, 0, 1)).toBe(false);
  });

  it('never finds a steady trickle of short calls idle', () => {
    const w = new IdleWatch(1000, 0, 0);
    let started = 0;
    for (let t = 0; t < 10_000; t += 250) expect(w.due(t, 0, ++started)).toBe(false);
    expect(w.due(10_500, 0, started)).toBe(false);
    expect(w.due(11_000, 0, started)).toBe(true);
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
      started = 1;
      const end = Date.now() + 10_000;
      while (collections === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(collections).toBe(1);
    } finally {
      stop();
    }
  });

  it('collects with V8’s own collector, which gives heap back', async () => {
    let started = 0;
    let garbage: object[] | null = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `x${i}` }));
    expect(garbage.length).toBe(300_000);
    garbage = null;
    const before = process.memoryUsage().heapUsed;
    const logs: Record<string, number>[] = [];
    const logger = { debug: (fields: Record<string, number>) => logs.push(fields), warn: () => {} } as never;
    const stop = startIdleCollector({ idleMs: 20, inFlight: () => 0, started: () => started, logger });
    try {
      started = 1;
      const end = Date.now() + 10_000;
      while (logs.length === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(logs.length).toBe(1);
      expect(process.memoryUsage().heapUsed).toBeLessThan(before);
    } finally {
      stop();
    }
  });
});
