import { describe, expect, it } from 'vitest';
import type { Check } from './criteria.js';
import { Recorder } from './recorder.js';
import { buildReport } from './report.js';
import { drift, figuresOf, findKnee, judgeStep, linearFit, worstChecks, type StepFigures, type StepLimits } from './scenario-analysis.js';
import { parseRatio } from './scenario-cli.js';
import { scenarioMarkdown } from './scenario-summary.js';
import type { ScenarioRun } from './scenarios.js';

const limits: StepLimits = { maxLatencyMs: 10, maxErrorRate: 0, saturation: 0.9 };
const step = (offeredRps: number, rps: number, p99Ms: number | null, errorRate = 0): StepFigures => ({ offeredRps, rps, ok: p99Ms === null ? 0 : 100, errorRate, p99Ms });

describe('judgeStep', () => {
  it('holds at p99 = MaxLatency and at exactly the saturation share answered', () => {
    expect(judgeStep(step(100, 90, 10), limits)).toEqual([]);
  });

  it('names each reason: latency over MaxLatency, errors, saturation', () => {
    // 85 of 100 answered < 0.9 × 100; p99 10.5 > 10; 1 % errors > 0.
    expect(judgeStep(step(100, 85, 10.5, 0.01), limits)).toEqual(['p99 10.5 ms > MaxLatency 10 ms', 'error rate 0.01 > 0', 'saturated: 85 of 100 rps offered answered']);
    expect(judgeStep(step(100, 100, null), limits)).toEqual(['no successful call']);
  });

  it('without MaxLatency, any latency holds', () => {
    expect(judgeStep(step(100, 100, 5000), { maxErrorRate: 0, saturation: 0.9 })).toEqual([]);
  });
});

describe('findKnee', () => {
  it('is the last step that held before the first that broke', () => {
    // ×1.5 steps from 100 rps: 337.5 breaks on latency (30 > 10) and saturation (300 < 0.9 × 337.5 = 303.75).
    const steps = [step(100, 100, 2), step(150, 149, 4), step(225, 224, 9.5), step(337.5, 300, 30)];
    expect(findKnee(steps, limits)).toEqual({ knee: 2, broke: 3 });
    expect(judgeStep(steps[3]!, limits)).toHaveLength(2);
  });

  it('ignores a step that holds above a broken one', () => {
    expect(findKnee([step(100, 100, 2), step(150, 150, 12), step(225, 225, 3)], limits)).toEqual({ knee: 0, broke: 1 });
  });

  it('is the last step (a lower bound) when every step held, and none when the first broke', () => {
    expect(findKnee([step(100, 100, 2), step(150, 150, 3)], limits)).toEqual({ knee: 1, broke: undefined });
    expect(findKnee([step(100, 50, 2), step(150, 150, 3)], limits)).toEqual({ knee: undefined, broke: 0 });
    expect(findKnee([], limits)).toEqual({ knee: undefined, broke: undefined });
  });

  it('breaks on errors alone when MaxErrorRate is 0, not when it allows them', () => {
    const steps = [step(100, 100, 2), step(150, 150, 3, 0.02)];
    expect(findKnee(steps, limits)).toEqual({ knee: 0, broke: 1 });
    expect(findKnee(steps, { ...limits, maxErrorRate: 0.05 })).toEqual({ knee: 1, broke: undefined });
  });
});

describe('drift', () => {
  it('fits a line: exact on linear data', () => {
    expect(linearFit([1, 2, 3], [2, 4, 6])).toEqual({ slope: 2, intercept: 0 });
    // 10, 12, 14, 16 at 0..3 s: 2 per s = 120 per minute, ×1.6, +6.
    expect(drift([0, 1, 2, 3], [10, 12, 14, 16])).toEqual({
      points: 4,
      first: 10,
      last: 16,
      ratio: 1.6,
      slopePerMinute: 120,
      fittedFirst: 10,
      fittedLast: 16,
      fittedRatio: 1.6,
      growth: 6,
    });
  });

  it('is flat when a spike sits in the middle', () => {
    // Mean 12; Σ(x−x̄)(y−ȳ) = (−1)(−2) + 0 + (1)(−2) = 0: slope 0, fitted 12 → 12.
    const d = drift([0, 1, 2], [10, 16, 10])!;
    expect(d.slopePerMinute).toBe(0);
    expect([d.fittedFirst, d.fittedLast, d.fittedRatio, d.growth, d.ratio]).toEqual([12, 12, 1, 0, 1]);
  });

  it('weighs every window, not only the ends', () => {
    // 10, 10, 16: Σ(x−x̄)(y−ȳ) = 2 + 0 + 4 = 6, Σ(x−x̄)² = 2: slope 3, intercept 12 − 3 = 9; fitted 9 → 15.
    const d = drift([0, 1, 2], [10, 10, 16])!;
    expect(d.ratio).toBeCloseTo(1.6, 12);
    expect(d.fittedFirst).toBeCloseTo(9, 12);
    expect(d.fittedLast).toBeCloseTo(15, 12);
    expect(d.fittedRatio).toBeCloseTo(15 / 9, 12);
    expect(d.growth).toBeCloseTo(6, 12);
    expect(d.slopePerMinute).toBeCloseTo(180, 12);
  });

  it('skips windows without a value and needs two', () => {
    // RSS 100 MB at 1 s, 200 MB at 3 s: 50 MB/s = 3000 MB/min, +100 MB, ×2.
    const d = drift([0, 1, 2, 3], [null, 100e6, null, 200e6])!;
    expect(d).toMatchObject({ points: 2, first: 100e6, last: 200e6, fittedRatio: 2, growth: 100e6, slopePerMinute: 3000e6 });
    expect(drift([0, 1], [5, null])).toBeUndefined();
    expect(drift([], [])).toBeUndefined();
  });

  it('gives an infinite ratio from zero, 1 from zero to zero', () => {
    expect(drift([0, 1], [0, 4])!.ratio).toBe(Number.POSITIVE_INFINITY);
    expect(drift([0, 1], [0, 0])!.fittedRatio).toBe(1);
  });
});

describe('worstChecks', () => {
  const c = (name: string, actual: number, pass: boolean, limit: number | string = 0): Check => ({ name, subject: name, limit, actual, pass });

  it('keeps the worst window of each check: lowest calls and throughput, highest latency', () => {
    const folded = worstChecks([
      [c('calls', 100, true, '> 0'), c('maxLatency', 5, true, 10), c('minThroughput', 50, true, 35)],
      [c('calls', 80, true, '> 0'), c('maxLatency', 12, false, 10), c('minThroughput', 40, true, 35)],
      [c('calls', 90, true, '> 0'), c('maxLatency', 7, true, 10), c('minThroughput', 30, false, 35)],
    ]);
    expect(folded.map((x) => [x.name, x.actual, x.pass])).toEqual([
      ['calls', 80, true],
      ['maxLatency', 12, false],
      ['minThroughput', 30, false],
    ]);
    expect(folded[0]!.subject).toBe('worst window: calls');
  });

  it('a failing window wins over a worse-looking passing one', () => {
    expect(worstChecks([[c('maxLatency', 20, false, 10)], [c('maxLatency', 25, true, 30)]])[0]).toMatchObject({ actual: 20, pass: false });
  });
});

describe('figuresOf', () => {
  it('reads a ghz report: rates, error share and percentiles in ms', () => {
    const r = new Recorder();
    for (const ms of [2, 4, 6]) r.record(0, '', ms * 1e6);
    r.record(14, 'down', 1e6);
    const report = buildReport({ results: r.results(), totalNs: 2e9, endReason: 'normal', options: {} });
    // ghz ranks over 2, 4, 6 ms: p50 → 1.5 → index 1 = 4 ms; p99 → 2.97 → index 2 = 6 ms.
    expect(figuresOf(report)).toEqual({ count: 4, ok: 3, errors: 1, errorRate: 0.25, rps: 2, okRps: 1.5, p50Ms: 4, p99Ms: 6, dropped: 0, seconds: 2 });
    const empty = buildReport({ results: new Recorder().results(), totalNs: 1e9, endReason: 'normal', options: {} });
    expect(figuresOf(empty)).toMatchObject({ count: 0, p50Ms: null, p99Ms: null, errorRate: 0 });
  });
});

describe('parseRatio', () => {
  it('takes 1.5, 1.5x and ×1.5', () => {
    expect([parseRatio('1.5', 'r'), parseRatio('1.5x', 'r'), parseRatio('×1.5', 'r'), parseRatio('2X', 'r')]).toEqual([1.5, 1.5, 1.5, 2]);
    expect(() => parseRatio('fast', 'r')).toThrow(/expected a number/);
    expect(() => parseRatio('0', 'r')).toThrow(/ratio > 0/);
  });
});

describe('scenarioMarkdown', () => {
  it('has the verdict, a section per scenario and the failed criterion', () => {
    const figures = { count: 10, ok: 10, errors: 0, errorRate: 0, rps: 10, okRps: 10, p50Ms: 1, p99Ms: 3, dropped: 0, seconds: 1 };
    const run: ScenarioRun = {
      pass: false,
      date: '2030-01-01T00:00:00Z',
      target: '127.0.0.1:1',
      call: 'engram.v1.MemoryService/Recall',
      criteria: { maxLatency: 2 },
      scenarios: [
        {
          scenario: 'baseline',
          pass: false,
          checks: [{ name: 'maxLatency', subject: 'p99 latency of successful calls (ms)', limit: 2, actual: 3, pass: false }],
          reports: ['baseline.ghz.json'],
          started: '2030-01-01T00:00:00Z',
          durationMs: 1000,
          concurrency: 1,
          figures,
        },
        { scenario: 'load', skipped: '--fail-fast after baseline failed', pass: true, checks: [], reports: [] },
      ],
      files: [],
      failed: ['baseline: maxLatency (p99 latency of successful calls (ms) = 3, limit 2)'],
    };
    const md = scenarioMarkdown(run);
    expect(md).toMatch(/^# Load scenarios: baseline → load — FAIL\n/);
    expect(md).toContain('**Verdict: FAIL** — 1 failed: baseline: maxLatency');
    expect(md).toContain('## Baseline — FAIL');
    expect(md).toContain('| 1 | 10 | 10 | 1.00 ms | 3.00 ms | 0 |');
    expect(md).toContain('## Load — skipped');
    expect(md).toContain('| baseline | maxLatency | p99 latency of successful calls (ms) | 2 | 3 | **FAIL** |');
    expect(md).toContain('Criteria: maxLatency 2 ms (maxErrorRate 0).');
  });
});
