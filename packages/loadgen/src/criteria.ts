import bytes from 'bytes';
import ms from 'ms';
import type { GhzReport } from './report.js';
import { percentile } from './report.js';
import type { TargetUsage } from './resources.js';
import type { GeneratorUsage } from './runner.js';

/**
 * The seed's LoadTestConfig: the load (ConcurrentUsers, RequestsPerSecond, TestDuration), resource limits
 * (MaxMemoryUsage, MaxCPUUsage) and success criteria (MaxLatency, MinThroughput); plus the share of failed
 * calls a run may have. Every field is optional; an absent limit is not checked.
 */
export interface LoadTestConfig {
  concurrentUsers?: number;
  /** 0: closed loop. */
  requestsPerSecond?: number;
  /** ms */
  testDuration?: number;
  /** Bytes of resident memory, for the generator and each watched target. */
  maxMemoryUsage?: number;
  /** CPU cores (averaged over the run), for the generator and each watched target. */
  maxCpuUsage?: number;
  /** ms, the limit of the 99th percentile latency of successful calls. */
  maxLatency?: number;
  /** Successful calls per second, at least. */
  minThroughput?: number;
  /** Failed calls / calls, at most (default 0: any failure fails the run). */
  maxErrorRate?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const KEYS: Record<string, keyof LoadTestConfig> = {};
for (const key of ['concurrentUsers', 'requestsPerSecond', 'testDuration', 'maxMemoryUsage', 'maxCpuUsage', 'maxLatency', 'minThroughput', 'maxErrorRate'] as const) {
  KEYS[key.toLowerCase()] = key;
}
// The seed spells CPU in capitals: MaxCPUUsage.
KEYS['maxcpuusage'] = 'maxCpuUsage';

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1m30s", "250ms", as ghz takes them), in ms; undefined when it is not one. */
export function goDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * GO_UNITS[m[2]!]!;
  return total;
}

/** A duration: Go's form ("1m30s", "250ms"), ms's ("2 minutes"), or a number of milliseconds. */
export function parseDurationMs(value: unknown, field: string): number {
  const text = typeof value === 'string' ? value.trim() : '';
  const n =
    typeof value === 'number'
      ? value
      : typeof value !== 'string'
        ? Number.NaN
        : /^\d+(\.\d+)?$/.test(text)
          ? Number(text)
          : (goDurationMs(text) ?? ms(text as ms.StringValue));
  if (n === undefined || !Number.isFinite(n) || n < 0) throw new ConfigError(`${field}: expected a duration such as 500ms, 30s or 2m, got ${JSON.stringify(value)}`);
  return n;
}

export function parseBytes(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? bytes.parse(value.trim()) : null;
  if (n === null || !Number.isFinite(n) || n < 0) throw new ConfigError(`${field}: expected a size such as 512MB or a number of bytes, got ${JSON.stringify(value)}`);
  return n;
}

export function parseNumber(value: unknown, field: string, min = 0): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${field}: expected a number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * A LoadTestConfig from a JSON/YAML object in the seed's spelling (ConcurrentUsers, MaxCPUUsage), camelCase
 * or snake_case. Durations are strings ("30s") or milliseconds; sizes are strings ("512MB") or bytes.
 */
export function parseLoadTestConfig(raw: unknown): LoadTestConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('the load test config must be an object');
  const out: LoadTestConfig = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = KEYS[name.replace(/[_-]/g, '').toLowerCase()];
    if (!key) throw new ConfigError(`unknown LoadTestConfig field "${name}"`);
    switch (key) {
      case 'testDuration':
      case 'maxLatency':
        out[key] = parseDurationMs(value, name);
        break;
      case 'maxMemoryUsage':
        out[key] = parseBytes(value, name);
        break;
      default:
        out[key] = parseNumber(value, name);
    }
  }
  return out;
}

export interface Check {
  name: string;
  /** What was measured (and of what, for per-target checks). */
  subject: string;
  limit: number | string;
  actual: number | string;
  pass: boolean;
}

export interface Verdict {
  pass: boolean;
  checks: Check[];
}

export interface Facts {
  report: GhzReport;
  /** Latencies (ns) of the successful calls, ascending. */
  sortedOk: ArrayLike<number>;
  generator: GeneratorUsage;
  targets: readonly TargetUsage[];
}

/** Evaluates the success criteria at the end of a run. */
export function evaluate(config: LoadTestConfig, facts: Facts): Verdict {
  const { report } = facts;
  const checks: Check[] = [];
  const errors = report.count - (report.statusCodeDistribution['OK'] ?? 0);
  const seconds = report.total / 1e9;
  const okRps = seconds > 0 ? (report.count - errors) / seconds : 0;
  checks.push({ name: 'calls', subject: 'calls completed', limit: '> 0', actual: report.count, pass: report.count > 0 });
  const maxErrorRate = config.maxErrorRate ?? 0;
  const errorRate = report.count > 0 ? errors / report.count : 0;
  checks.push({ name: 'maxErrorRate', subject: 'failed calls / calls', limit: maxErrorRate, actual: errorRate, pass: errorRate <= maxErrorRate });
  if (config.maxLatency !== undefined) {
    const p99 = facts.sortedOk.length > 0 ? percentile(facts.sortedOk, 99) / 1e6 : Number.NaN;
    checks.push({ name: 'maxLatency', subject: 'p99 latency of successful calls (ms)', limit: config.maxLatency, actual: p99, pass: p99 <= config.maxLatency });
  }
  if (config.minThroughput !== undefined) {
    checks.push({ name: 'minThroughput', subject: 'successful calls per second', limit: config.minThroughput, actual: okRps, pass: okRps >= config.minThroughput });
  }
  if (config.maxMemoryUsage !== undefined) {
    const limit = config.maxMemoryUsage;
    checks.push({ name: 'maxMemoryUsage', subject: 'generator peak RSS (bytes)', limit, actual: facts.generator.peakRssBytes, pass: facts.generator.peakRssBytes <= limit });
    for (const t of facts.targets) {
      checks.push({ name: 'maxMemoryUsage', subject: `${t.target} peak RSS (bytes)`, limit, actual: t.error ?? t.peakRssBytes, pass: !t.error && t.peakRssBytes <= limit });
    }
  }
  if (config.maxCpuUsage !== undefined) {
    const limit = config.maxCpuUsage;
    checks.push({ name: 'maxCpuUsage', subject: 'generator CPU cores', limit, actual: facts.generator.cpuCores, pass: facts.generator.cpuCores <= limit });
    for (const t of facts.targets) {
      checks.push({ name: 'maxCpuUsage', subject: `${t.target} CPU cores`, limit, actual: t.error ?? t.cpuCores, pass: !t.error && t.cpuCores <= limit });
    }
  }
  return { pass: checks.every((c) => c.pass), checks };
}
