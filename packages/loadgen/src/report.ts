import type { Results } from './recorder.js';

/** ghz's StopReason. */
export type EndReason = 'normal' | 'cancel' | 'timeout';

export interface LatencyPoint {
  percentage: number;
  /** ns */
  latency: number;
}

export interface Bucket {
  /** The bucket's upper mark, seconds (ghz's unit for marks). */
  mark: number;
  count: number;
  /** Share of the successful calls, 0..1. */
  frequency: number;
}

export interface ReportDetail {
  timestamp: string;
  /** ns */
  latency: number;
  error: string;
  status: string;
}

/**
 * ghz's JSON report (runner.Report), field for field and in its units: durations in nanoseconds, histogram
 * marks in seconds, frequencies as fractions. `loadTest` is ours (ghz's readers ignore unknown fields): the
 * LoadTestConfig verdict and what the generator itself used.
 */
export interface GhzReport {
  name?: string;
  endReason: EndReason;
  options: Record<string, unknown>;
  date: string;
  count: number;
  total: number;
  average: number;
  fastest: number;
  slowest: number;
  rps: number;
  errorDistribution: Record<string, number>;
  statusCodeDistribution: Record<string, number>;
  latencyDistribution: LatencyPoint[] | null;
  histogram: Bucket[] | null;
  details: ReportDetail[];
  tags?: Record<string, string>;
  loadTest?: unknown;
}

export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99] as const;

/**
 * ghz's percentiles over ascending latencies: the value at rank floor(p% × n), one lower when that rank is a
 * whole number (0-based ranks).
 */
export function latencyDistribution(sorted: ArrayLike<number>): LatencyPoint[] {
  const n = sorted.length;
  return PERCENTILES.map((percentage) => {
    const ip = (percentage / 100) * n;
    let di = Math.floor(ip);
    if (ip === di) di -= 1;
    if (di < 0) di = 0;
    const value = sorted[di]!;
    // ghz leaves a zero entry for a non-positive latency.
    return value > 0 ? { percentage, latency: Math.round(value) } : { percentage: 0, latency: 0 };
  });
}

/** The percentile p (0..100) as ghz computes it (see latencyDistribution). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const ip = (p / 100) * sorted.length;
  let di = Math.floor(ip);
  if (ip === di) di -= 1;
  return sorted[Math.max(0, di)] ?? 0;
}

/**
 * ghz's histogram: 10 equal-width buckets from the fastest to the slowest latency plus one at the slowest,
 * each counting the latencies up to its mark (and above the previous one).
 */
export function histogram(sorted: ArrayLike<number>): Bucket[] {
  const n = sorted.length;
  const fastest = sorted[0]!;
  const slowest = sorted[n - 1]!;
  const bc = 10;
  const marks = new Array<number>(bc + 1);
  const counts = new Array<number>(bc + 1).fill(0);
  const width = (slowest - fastest) / bc;
  for (let i = 0; i < bc; i++) marks[i] = fastest + width * i;
  marks[bc] = slowest;
  let b = 0;
  for (let i = 0; i < n; ) {
    if (sorted[i]! <= marks[b]!) {
      counts[b]!++;
      i++;
    } else if (b < bc) b++;
    else break;
  }
  return marks.map((mark, i) => ({ mark: mark / 1e9, count: counts[i]!, frequency: counts[i]! / n }));
}

/** RFC 3339 without fractions, as ghz prints dates. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ReportInput {
  results: Results;
  /** Wall time of the run, ns. */
  totalNs: number;
  endReason: EndReason;
  options: Record<string, unknown>;
  name?: string | undefined;
  tags?: Record<string, string> | undefined;
  /** When the run ended (ms since the epoch). */
  date?: number;
}

export function buildReport(input: ReportInput): GhzReport {
  const r = input.results;
  const sorted = Float64Array.from(r.okLatencies).sort();
  const hasOk = sorted.length > 0;
  const report: GhzReport = {
    ...(input.name ? { name: input.name } : {}),
    endReason: input.endReason,
    options: input.options,
    date: rfc3339(input.date ?? Date.now()),
    count: r.count,
    total: Math.round(input.totalNs),
    average: r.count > 0 ? Math.round(r.sumNs / r.count) : 0,
    fastest: hasOk ? Math.round(r.fastestNs) : 0,
    slowest: hasOk ? Math.round(r.slowestNs) : 0,
    rps: r.count > 0 && input.totalNs > 0 ? r.count / (input.totalNs / 1e9) : 0,
    errorDistribution: r.errors,
    statusCodeDistribution: r.statusCounts,
    latencyDistribution: hasOk ? latencyDistribution(sorted) : null,
    histogram: hasOk ? histogram(sorted) : null,
    details: r.details.map((d) => ({ timestamp: new Date(d.timestamp).toISOString(), latency: Math.round(d.latencyNs), error: d.error, status: d.status })),
  };
  if (input.tags && Object.keys(input.tags).length > 0) report.tags = input.tags;
  return report;
}
