import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGE_RECORDER, stageMark, type Stage } from '@engram/telemetry';
import { ROOT } from './harness/processes.js';

const TIMELINE = join(ROOT, 'bench/compare/timeline.mjs');

type Event = [us: number, stage: Stage | 'gc', n: number];

/**
 * A gateway's and a shard's timeline files for `batches` coalesced batches of two calls, one every `period` µs, each
 * with the same stage lengths (µs): calls read 1,000 before the batch goes, 500 to the shard, 1,500 of processing,
 * 1,500 until committed, 100 to answer, 2,400 back, 200 to write the two answers, 800 until the next call.
 */
function files(dir: string, batches: number, period: number, extra: { gateway?: Event[]; shard?: Event[] } = {}) {
  const gateway: Event[] = [];
  const shard: Event[] = [];
  for (let b = 0; b < batches; b++) {
    const t = 1_000 + b * period;
    gateway.push([t, 'call.in', 0], [t + 100, 'call.in', 0], [t + 1_000, 'batch.send', 2]);
    shard.push([t + 1_500, 'call.in', 0], [t + 3_000, 'write.queued', 2], [t + 3_100, 'commit.start', 2], [t + 4_000, 'commit.end', 2]);
    shard.push([t + 4_500, 'write.committed', 2], [t + 4_600, 'call.out', 90]);
    gateway.push([t + 7_000, 'batch.back', 2], [t + 7_100, 'call.out', 40], [t + 7_200, 'call.out', 40]);
  }
  gateway.push([1_000 + batches * period, 'call.in', 0], ...(extra.gateway ?? []));
  shard.push(...(extra.shard ?? []));
  const sorted = (events: Event[]) => events.sort((a, b) => a[0] - b[0]);
  const end = 2_000 + batches * period;
  const g = join(dir, 'gateway.json');
  const s = join(dir, 'shard.json');
  writeFileSync(g, JSON.stringify({ service: 'gateway', pid: 1, startUs: 0, endUs: end, events: sorted(gateway) }));
  writeFileSync(s, JSON.stringify({ service: 'memory-shard', pid: 2, startUs: 0, endUs: end, events: sorted(shard) }));
  return [g, s] as const;
}

const analyze = (g: string, s: string) => JSON.parse(execFileSync(process.execPath, [TIMELINE, g, s], { encoding: 'utf8' }));

describe('stage marks', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[STAGE_RECORDER];
  });

  it('go to the recorder installed on globalThis, and nowhere without one', () => {
    stageMark('call.in');
    const marks: [Stage, number][] = [];
    (globalThis as Record<symbol, unknown>)[STAGE_RECORDER] = { mark: (stage: Stage, n: number) => marks.push([stage, n]) };
    stageMark('batch.send', 64);
    stageMark('call.in');
    expect(marks).toEqual([
      ['batch.send', 64],
      ['call.in', 0],
    ]);
  });
});

describe('bench/compare/timeline.mjs', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('follows each internal batch through its stages', () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-timeline-'));
    const r = analyze(...files(dir, 3, 8_000, { gateway: [[5_000, 'gc', 2_500]], shard: [[12_000, 'gc', 1_000], [13_000, 'gc', 3_000]] }));
    expect(r.batches).toBe(3);
    expect(r.callsPerBatch).toBe(2);
    expect(r.overlap).toBe(0);
    expect(r.cycleMs).toBe(8);
    const stages = Object.fromEntries(r.stages.map((s: { key: string; medianMs: number; batches: number }) => [s.key, [s.medianMs, s.batches]]));
    expect(stages).toEqual({
      // The first batch's calls were read before the window's first send: no intake for it.
      intake: [1, 2],
      toShard: [0.5, 3],
      process: [1.5, 3],
      commit: [1.5, 3],
      shardAnswer: [0.1, 3],
      back: [2.4, 3],
      answers: [0.2, 3],
      turnaround: [0.8, 3],
    });
    expect(r.gc).toEqual({ gateway: { count: 1, totalMs: 2.5, maxMs: 2.5 }, shard: { count: 2, totalMs: 4, maxMs: 3 } });
    expect(r.commits).toEqual({ count: 3, medianMs: 0.9, maxMs: 0.9, writesMedian: 2 });
  });

  it('says how much of the window had more than one batch out', () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-timeline-'));
    // A batch every 4 ms, each out for 6 ms: two out half of the time between the first send and the last answer.
    const r = analyze(...files(dir, 4, 4_000));
    expect(r.batches).toBe(4);
    expect(r.overlap).toBeGreaterThan(0.3);
    expect(r.overlap).toBeLessThan(0.6);
  });

  it('refuses to run without both files', () => {
    const r = spawnSync(process.execPath, [TIMELINE], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
