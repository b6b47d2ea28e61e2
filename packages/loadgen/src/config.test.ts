import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSpecOf } from './benchmark.js';
import { settingsOf } from './cli.js';
import { ghzSettings, readGhzConfig } from './config.js';
import { ConfigError, evaluate, goDurationMs, parseLoadTestConfig } from './criteria.js';
import { buildReport } from './report.js';
import { Recorder } from './recorder.js';

describe('ghz config files', () => {
  it('maps ghz keys (durations in Go form, rps or qps) to settings', () => {
    const s = ghzSettings({
      host: '127.0.0.1:50051',
      call: 'engram.v1.MemoryService/Remember',
      insecure: true,
      data: { memory: { subject: 's' } },
      metadata: { 'x-tenant': 'bench' },
      concurrency: 8,
      connections: 2,
      total: 100,
      qps: 50,
      duration: '1m30s',
      timeout: '500ms',
      'duration-stop': 'wait',
      'load-schedule': 'const',
      loadTest: { MaxLatency: '250ms', MinThroughput: 100 },
    });
    expect(s).toMatchObject({ host: '127.0.0.1:50051', concurrency: 8, connections: 2, total: 100, rps: 50, durationMs: 90_000, timeoutMs: 500, durationStop: 'wait' });
    expect(s.loadTest).toEqual({ maxLatency: 250, minThroughput: 100 });
    expect(() => ghzSettings({ protoset: 'x.protoset' })).toThrow(ConfigError);
    expect(() => ghzSettings({ 'load-schedule': 'step' })).toThrow(/const/);
    expect(() => ghzSettings({ concurency: 5 })).toThrow(/unknown/);
  });

  it('reads every config of bench/ghz as a valid run of an engram.v1 method', () => {
    for (const name of ['remember', 'recall', 'cluster-status']) {
      const spec = runSpecOf(readGhzConfig(new URL(`../../../bench/ghz/${name}.json`, import.meta.url).pathname));
      expect(spec.call).toMatch(/^engram\.v1\./);
      expect(spec.target).toBe('127.0.0.1:50051');
    }
  });

  it('lets flags win over the LoadTestConfig, which wins over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadgen-config-'));
    const config = join(dir, 'c.json');
    const loadTest = join(dir, 'lt.yaml');
    writeFileSync(config, JSON.stringify({ host: 'h:1', call: 'a.B/C', concurrency: 3, total: 10 }));
    writeFileSync(loadTest, 'ConcurrentUsers: 7\nRequestsPerSecond: 20\nTestDuration: 2s\nMaxMemoryUsage: 1GB\nMaxCPUUsage: 1.5\n');
    const s = settingsOf(undefined, { config, loadTest, rps: 30 });
    expect(s).toMatchObject({ host: 'h:1', call: 'a.B/C', concurrency: 7, rps: 30, durationMs: 2000, total: 10 });
    expect(s.loadTest).toMatchObject({ concurrentUsers: 7, maxMemoryUsage: 1024 ** 3, maxCpuUsage: 1.5 });
    expect(settingsOf('other:2', { config }).host).toBe('other:2');
  });
});

describe('LoadTestConfig', () => {
  it('reads the seed spelling, camelCase and snake_case', () => {
    expect(parseLoadTestConfig({ ConcurrentUsers: 10, MaxCPUUsage: 2, max_latency: '1s', minThroughput: '5' })).toEqual({
      concurrentUsers: 10,
      maxCpuUsage: 2,
      maxLatency: 1000,
      minThroughput: 5,
    });
    expect(() => parseLoadTestConfig({ MaxLatncy: '1s' })).toThrow(ConfigError);
    expect(goDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(goDurationMs('soon')).toBeUndefined();
  });

  it('judges latency, throughput, errors and resources', () => {
    const r = new Recorder();
    for (let i = 1; i <= 100; i++) r.record(0, '', i * 1e6);
    r.record(14, 'down', 1e6);
    const results = r.results();
    const report = buildReport({ results, totalNs: 1e9, endReason: 'normal', options: {} });
    const sortedOk = Float64Array.from(results.okLatencies).sort();
    const generator = { processes: 1, peakRssBytes: 100e6, cpuSeconds: 0.5, cpuCores: 0.5 };
    const verdict = evaluate(
      { maxLatency: 99, minThroughput: 100, maxErrorRate: 0.02, maxMemoryUsage: 200e6, maxCpuUsage: 1 },
      { report, sortedOk, generator, targets: [{ target: 'pid:1', peakRssBytes: 300e6, cpuCores: 0.2 }] },
    );
    const byName = Object.fromEntries(verdict.checks.map((c) => [`${c.name} ${c.subject}`, c.pass]));
    // p99 of 1..100 ms is the 99th value (99 ms): within 99.
    expect(byName['maxLatency p99 latency of successful calls (ms)']).toBe(true);
    expect(byName['minThroughput successful calls per second']).toBe(true);
    expect(byName['maxErrorRate failed calls / calls']).toBe(true);
    expect(byName['maxMemoryUsage generator peak RSS (bytes)']).toBe(true);
    expect(byName['maxMemoryUsage pid:1 peak RSS (bytes)']).toBe(false);
    expect(verdict.pass).toBe(false);
    const strict = evaluate({}, { report, sortedOk, generator, targets: [] });
    expect(strict.pass).toBe(false); // one failed call and the default MaxErrorRate of 0
  });
});
