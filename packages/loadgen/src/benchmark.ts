import { readFileSync } from 'node:fs';
import type { Settings } from './config.js';
import { ConfigError, evaluate, type LoadTestConfig, type Verdict } from './criteria.js';
import type { Progress } from './load.js';
import { buildReport, type GhzReport } from './report.js';
import { TargetMonitor, type TargetUsage } from './resources.js';
import { runSpec, type GeneratorUsage } from './runner.js';
import { DEFAULTS, type RunSpec } from './spec.js';

/** Settings for a benchmark beyond ghz's: generator tuning, criteria and the processes to watch. */
export interface BenchmarkSettings extends Settings {
  bodyRing?: number;
  exactTemplates?: boolean;
  /** Per-call details in the report, at most this many (ghz always lists them; we do on request). */
  details?: number;
  targetPids?: number[];
  targetMetrics?: string[];
}

/** The report's `loadTest` section. */
export interface LoadTestSection {
  config: LoadTestConfig;
  verdict: Verdict;
  mode: 'closed loop' | 'open loop';
  /** Open loop: calls due while every slot was busy, never sent. */
  dropped: number;
  generator: GeneratorUsage;
  targets: TargetUsage[];
  /** Distinct request bodies per process encoded before the run (0: every call encoded its own). */
  distinctBodies: number;
  /** True when there were more successful calls than latencies kept (percentiles from a uniform sample). */
  sampled: boolean;
}

export interface BenchmarkResult {
  report: GhzReport;
  verdict: Verdict;
}

/** The run spec of settings: defaults as ghz's (concurrency 50, 1 connection, 200 calls unless a duration). */
export function runSpecOf(s: BenchmarkSettings): RunSpec {
  if (!s.call) throw new ConfigError('no method to call: give --call package.Service/Method (or a config with "call")');
  if (!s.host) throw new ConfigError('no host: give host:port (or a config with "host")');
  if (s.cname && !s.cacert && !s.skipTLS) throw new ConfigError('cname applies to TLS only');
  const data = s.dataFile ? JSON.parse(readFileSync(s.dataFile, 'utf8')) : s.data;
  if (Array.isArray(data)) throw new ConfigError('data arrays (client streaming) are not supported: give one object');
  const tls = s.cacert || s.skipTLS ? { cacert: s.cacert, skipVerify: Boolean(s.skipTLS), servername: s.cname } : undefined;
  const durationMs = s.durationMs ?? 0;
  return {
    target: s.host,
    call: s.call,
    data: data ?? {},
    binary: s.binaryFile ? readFileSync(s.binaryFile) : undefined,
    metadata: s.metadata,
    proto: s.proto,
    importPaths: s.importPaths,
    tls,
    connections: s.connections ?? DEFAULTS.connections,
    concurrency: s.concurrency ?? DEFAULTS.concurrency,
    rps: s.rps ?? 0,
    total: s.total ?? (durationMs > 0 ? Number.POSITIVE_INFINITY : DEFAULTS.total),
    durationMs,
    durationStop: s.durationStop ?? 'ignore',
    timeoutMs: s.timeoutMs ?? DEFAULTS.timeoutMs,
    connectTimeoutMs: s.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    workers: s.cpus ?? 1,
    skipFirst: s.skipFirst ?? 0,
    bodyRing: s.bodyRing ?? DEFAULTS.bodyRing,
    exactTemplates: Boolean(s.exactTemplates),
    maxDetails: s.details ?? 0,
  };
}

/** The options block of the report, with ghz's keys and units (durations in ns). */
function reportOptions(spec: RunSpec, s: BenchmarkSettings): Record<string, unknown> {
  const o: Record<string, unknown> = { call: spec.call, host: spec.target };
  if (spec.proto) o['proto'] = spec.proto;
  if (spec.importPaths?.length) o['import-paths'] = spec.importPaths;
  if (spec.tls?.cacert) o['cacert'] = spec.tls.cacert;
  if (spec.tls?.skipVerify) o['skipTLS'] = true;
  o['insecure'] = !spec.tls;
  if (spec.rps > 0) o['rps'] = spec.rps;
  o['load-schedule'] = 'const';
  o['concurrency'] = spec.concurrency;
  o['concurrency-schedule'] = 'const';
  if (Number.isFinite(spec.total)) o['total'] = spec.total;
  o['connections'] = spec.connections;
  if (spec.durationMs > 0) o['duration'] = Math.round(spec.durationMs * 1e6);
  o['timeout'] = Math.round(spec.timeoutMs * 1e6);
  o['dial-timeout'] = Math.round(spec.connectTimeoutMs * 1e6);
  if (!spec.binary) o['data'] = spec.data;
  if (spec.metadata) o['metadata'] = spec.metadata;
  o['binary'] = Boolean(spec.binary);
  o['CPUs'] = spec.workers;
  if (s.name) o['name'] = s.name;
  if (spec.skipFirst) o['skipFirst'] = spec.skipFirst;
  return o;
}

/**
 * Runs a load test end to end: the load (in one or several processes), the watched targets' resources, the
 * ghz report, and the LoadTestConfig verdict (in the report's `loadTest` section).
 */
export async function benchmark(
  s: BenchmarkSettings,
  hooks: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<BenchmarkResult> {
  const spec = runSpecOf(s);
  const monitor = new TargetMonitor(s.targetPids ?? [], s.targetMetrics ?? []);
  await monitor.start();
  let outcome;
  try {
    outcome = await runSpec(spec, hooks);
  } catch (err) {
    await monitor.stop();
    throw err;
  }
  const targets = await monitor.stop();
  const report = buildReport({
    results: outcome.results,
    totalNs: outcome.totalNs,
    endReason: outcome.endReason,
    options: reportOptions(spec, s),
    name: s.name,
    tags: s.tags,
  });
  const config = s.loadTest ?? {};
  const sortedOk = Float64Array.from(outcome.results.okLatencies).sort();
  const verdict = evaluate(config, { report, sortedOk, generator: outcome.generator, targets });
  const section: LoadTestSection = {
    config,
    verdict,
    mode: spec.rps > 0 ? 'open loop' : 'closed loop',
    dropped: outcome.results.dropped,
    generator: outcome.generator,
    targets,
    distinctBodies: outcome.distinctBodies,
    sampled: outcome.results.okCount > outcome.results.okLatencies.length,
  };
  report.loadTest = section;
  return { report, verdict };
}
