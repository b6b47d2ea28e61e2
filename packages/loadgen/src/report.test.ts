import { describe, expect, it } from 'vitest';
import { Recorder, mergeResults } from './recorder.js';
import { buildReport, histogram, latencyDistribution, percentile } from './report.js';

const MS = 1e6;

describe('latencyDistribution (ghz percentiles)', () => {
  it('takes rank floor(p·n), one lower on a whole rank', () => {
    // 10 latencies 1..10 ms: p10 → rank 1 (whole) → index 0; p25 → 2.5 → index 2; p50 → 5 → index 4;
    // p75 → 7.5 → 7; p90 → 9 → 8; p95 → 9.5 → 9; p99 → 9.9 → 9.
    const sorted = Array.from({ length: 10 }, (_, i) => (i + 1) * MS);
    expect(latencyDistribution(sorted)).toEqual([
      { percentage: 10, latency: 1 * MS },
      { percentage: 25, latency: 3 * MS },
      { percentage: 50, latency: 5 * MS },
      { percentage: 75, latency: 8 * MS },
      { percentage: 90, latency: 9 * MS },
      { percentage: 95, latency: 10 * MS },
      { percentage: 99, latency: 10 * MS },
    ]);
    expect(percentile(sorted, 99)).toBe(10 * MS);
    expect(percentile([4 * MS], 50)).toBe(4 * MS);
  });
});

describe('histogram (ghz buckets)', () => {
  it('has 11 marks in seconds from fastest to slowest, counting up to each mark', () => {
    // 1, 2, 2, 3, 11 ms: width (11 - 1) / 10 = 1 ms, marks 1..10 ms then 11 ms.
    const sorted = [1, 2, 2, 3, 11].map((x) => x * MS);
    const h = histogram(sorted);
    expect(h).toHaveLength(11);
    expect(h.map((b) => Math.round(b.mark * 1e6) / 1e3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(h.map((b) => b.count)).toEqual([1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(h[1]!.frequency).toBeCloseTo(0.4);
  });

  it('puts everything in the first bucket when all latencies are equal', () => {
    const h = histogram([5 * MS, 5 * MS]);
    expect(h[0]).toEqual({ mark: 0.005, count: 2, frequency: 1 });
    expect(h.slice(1).every((b) => b.count === 0)).toBe(true);
  });
});

describe('buildReport', () => {
  it('computes ghz fields in ghz units from recorded calls', () => {
    const r = new Recorder();
    r.record(0, '', 2 * MS);
    r.record(0, '', 4 * MS);
    r.record(0, '', 6 * MS);
    r.record(14, 'connection refused', 1 * MS);
    r.record(5, 'no such memory', 3 * MS);
    r.record(14, 'connection refused', 2 * MS);
    const report = buildReport({ results: r.results(), totalNs: 2e9, endReason: 'normal', options: { call: 'x.Y/Z' }, date: Date.UTC(2030, 0, 2, 3, 4, 5, 678) });
    expect(report.count).toBe(6);
    expect(report.total).toBe(2e9);
    expect(report.rps).toBe(3);
    // Average over every call (18 ms / 6); fastest and slowest over the successful ones.
    expect(report.average).toBe(3 * MS);
    expect(report.fastest).toBe(2 * MS);
    expect(report.slowest).toBe(6 * MS);
    expect(report.statusCodeDistribution).toEqual({ OK: 3, Unavailable: 2, NotFound: 1 });
    expect(report.errorDistribution).toEqual({
      'rpc error: code = Unavailable desc = connection refused': 2,
      'rpc error: code = NotFound desc = no such memory': 1,
    });
    expect(report.latencyDistribution!.map((l) => l.latency / MS)).toEqual([2, 2, 4, 6, 6, 6, 6]);
    expect(report.histogram!.reduce((n, b) => n + b.count, 0)).toBe(3);
    expect(report.date).toBe('2030-01-02T03:04:05Z');
    expect(report.endReason).toBe('normal');
    expect(report.details).toEqual([]);
  });

  it('has null distributions when no call succeeded, as ghz', () => {
    const r = new Recorder();
    r.record(14, 'down', 1 * MS);
    const report = buildReport({ results: r.results(), totalNs: 1e9, endReason: 'normal', options: {} });
    expect(report.latencyDistribution).toBeNull();
    expect(report.histogram).toBeNull();
    expect(report.fastest).toBe(0);
    expect(report.average).toBe(1 * MS);
  });

  it('merges results of several processes exactly', () => {
    const a = new Recorder();
    const b = new Recorder({ maxDetails: 10 });
    a.record(0, '', 1 * MS);
    b.record(0, '', 3 * MS, 1000);
    b.record(4, 'context deadline exceeded', 9 * MS, 2000);
    const merged = mergeResults([a.results(), b.results()]);
    expect(merged.count).toBe(3);
    expect([...merged.okLatencies].sort()).toEqual([1 * MS, 3 * MS]);
    expect(merged.statusCounts).toEqual({ OK: 2, DeadlineExceeded: 1 });
    expect(merged.details.map((d) => d.status)).toEqual(['OK', 'DeadlineExceeded']);
    expect(merged.fastestNs).toBe(1 * MS);
    expect(merged.slowestNs).toBe(3 * MS);
  });
});
