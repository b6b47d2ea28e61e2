import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '@engram/telemetry';
import { ROOT } from './harness/processes.js';
import { alertRules, defaultEnv, generated, parseYamlSubset, PROMETHEUS_DIR, splitComparison } from './harness/promql.js';

const GENERATOR = join(PROMETHEUS_DIR, 'generate.mjs');

/** Runs promtool in dir; fails with its output, or with how to install it when it is missing. */
function promtool(args: string[], dir = PROMETHEUS_DIR): string {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error("promtool is missing: .ci/run installs Debian's prometheus package (apt-get install prometheus), which provides it");
  }
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status, `promtool ${args.join(' ')}:\n${output}`).toBe(0);
  return output;
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    expect(promtool(['check', 'rules', 'alerts.yml'])).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('fire and resolve in the promtool unit tests', () => {
    expect(promtool(['test', 'rules', 'alerts.test.yml'])).toContain('SUCCESS');
    // Every alert has a test that sees it fire, and a later evaluation where it has resolved.
    const doc = parseYamlSubset(readFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8')) as unknown as {
      rule_files: string[];
      evaluation_interval: string;
      tests: { input_series: { series: string; values: string }[]; alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(doc.rule_files).toEqual(['alerts.yml']);
    expect(doc.evaluation_interval).toBe('1m');
    const minutes = (t: string) => Number(/^(\d+)m$/.exec(t)![1]);
    for (const { alert } of alertRules()) {
      const evals = doc.tests.flatMap((t) => t.alert_rule_test).filter((e) => e.alertname === alert);
      const fired = evals.filter((e) => e.exp_alerts.length > 0);
      expect(fired.length, `${alert} never fires in alerts.test.yml`).toBeGreaterThan(0);
      const firstFire = Math.min(...fired.map((e) => minutes(e.eval_time)));
      expect(
        evals.some((e) => e.exp_alerts.length === 0 && minutes(e.eval_time) > firstFire),
        `${alert} never resolves in alerts.test.yml`,
      ).toBe(true);
    }
  });

  it('come with an example scrape config that passes promtool check config', () => {
    promtool(['check', 'config', 'prometheus.yml']);
    const config = parseYamlSubset(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as unknown as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: { instance: string } }[] }[];
    };
    expect(config.global.scrape_interval).toBe('5s');
    expect(config.rule_files).toEqual(['alerts.yml']);
    const targets = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs.map((s) => `${s.labels.instance}=${s.targets.join(',')}`)]));
    // `npm start` with its defaults (ENGRAM_LOCAL_METRICS_BASE_PORT=9450, 3 shards, 2 engines).
    expect(targets).toEqual({
      'engram-gateway': ['gateway-0=127.0.0.1:9450'],
      'engram-shard': ['shard-0=127.0.0.1:9460', 'shard-1=127.0.0.1:9461', 'shard-2=127.0.0.1:9462'],
      'engram-engine': ['engine-0=127.0.0.1:9470', 'engine-1=127.0.0.1:9471'],
    });
  });

  it('are what the generator writes with the default settings', () => {
    const files = generated(GENERATOR);
    expect(Object.keys(files).sort()).toEqual(['alerts.test.yml', 'alerts.yml', 'prometheus.yml']);
    for (const [name, text] of Object.entries(files)) {
      expect(readFileSync(join(PROMETHEUS_DIR, name), 'utf8'), `deploy/prometheus/${name} is stale: run npm run gen:alerts`).toBe(text);
    }
  });

  it('follow the threshold settings, and so do their promtool tests', () => {
    const env = defaultEnv({ ENGRAM_ALERT_CPU_THRESHOLD: '0.5', ENGRAM_ALERT_MAX_PROCESSING_LATENCY: '1500ms', ENGRAM_ALERT_FOR: '90s' });
    const files = generated(GENERATOR, env);
    const dir = mkdtempSync(join(tmpdir(), 'engram-alerts-'));
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      const rules = alertRules(join(dir, 'alerts.yml'));
      const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
      expect(byName.EngramHighCPU!.expr).toMatch(/ > 0\.5$/);
      expect(byName.EngramHighProcessingLatency!.expr).toMatch(/ > 1\.5$/);
      expect(byName.EngramHighCPU!.for).toBe('1m30s');
      expect(byName.EngramNodeDown!.for).toBe('1m');
      promtool(['test', 'rules', 'alerts.test.yml'], dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('have the form `<left> <op> <number>`, labels, annotations with a runbook, and only METRICS names', () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert)).toEqual([
      'EngramNodeDown',
      'EngramHighProcessingLatency',
      'EngramHighStorageLatency',
      'EngramHighMemory',
      'EngramHighCPU',
      'EngramHighDiskIO',
      'EngramHighErrorRate',
      'EngramWorkerPoolSaturated',
    ]);
    const names = new Set(Object.values(METRICS).flatMap((m) => [m, `${m}_bucket`, `${m}_sum`, `${m}_count`]));
    for (const r of rules) {
      expect(() => splitComparison(r.expr), r.alert).not.toThrow();
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.for, r.alert).toMatch(/^(\d+(h|m|s|ms))+$/);
      expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'runbook', 'summary']);
      expect(r.annotations.description, r.alert).toContain('{{ $labels.instance }}');
      expect(r.annotations.description, r.alert).toMatch(/\{\{ \$value( \| \w+)? \}\}/);
      expect(r.annotations.runbook!.length, r.alert).toBeGreaterThan(40);
      expect(r.annotations.runbook, r.alert).not.toContain('\n');
      for (const name of r.expr.match(/engram_[a-z0-9_]+/g) ?? []) expect(names, `${r.alert}: ${name}`).toContain(name);
    }
    // The defaults of the seed's PerformanceAlerts.
    const thresholds = Object.fromEntries(rules.map((r) => [r.alert, splitComparison(r.expr).threshold]));
    expect(thresholds).toMatchObject({
      EngramHighProcessingLatency: 0.25,
      EngramHighStorageLatency: 0.1,
      EngramHighMemory: 2 * 1024 ** 3,
      EngramHighCPU: 0.9,
      EngramHighDiskIO: 100 * 1024 ** 2,
      EngramHighErrorRate: 0.05,
    });
  });

  it('are each described in deploy/README.md', () => {
    const readme = readFileSync(join(ROOT, 'deploy/README.md'), 'utf8');
    for (const r of alertRules()) expect(readme, r.alert).toContain(r.alert);
  });
});
