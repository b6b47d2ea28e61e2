import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GhzReport } from '@engram/loadgen';
import { TestCluster } from './harness/cluster.js';
import { ROOT } from './harness/processes.js';

// The load scenarios (`npm run bench -- scenario …`) as a user runs them: the built load generator as a child
// process against a real one-shard cluster. Smoke runs (a second or two per scenario): this checks that the
// tool works and writes valid reports, not how fast the cluster is, so the criteria are out of reach of any
// plausible slowness except where a failure is the point.

const LOADGEN = join(ROOT, 'packages/loadgen/bin/loadgen.js');
const execFileAsync = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function loadgen(args: readonly string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [LOADGEN, ...args], { cwd: ROOT, timeout: 60_000, maxBuffer: 16 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as ExecFileException & { stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const json = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const REMEMBER = 'engram.v1.MemoryService/Remember';
const RECALL = 'engram.v1.MemoryService/Recall';
const GHZ_FIELDS = ['count', 'total', 'average', 'fastest', 'slowest', 'rps', 'latencyDistribution', 'statusCodeDistribution', 'errorDistribution', 'histogram', 'date', 'options', 'endReason'];

/** A ghz report of a run whose calls all succeeded, with values in ghz's units that make sense together. */
function expectGhzReport(report: GhzReport, call: string, file: string): void {
  for (const field of GHZ_FIELDS) expect(report, `${file}: ${field}`).toHaveProperty(field);
  expect(report.options['call'], file).toBe(call);
  expect(report.count, file).toBeGreaterThan(0);
  expect(report.statusCodeDistribution, file).toEqual({ OK: report.count });
  expect(report.errorDistribution, file).toEqual({});
  // ns: a run of 0.1–60 s, loopback calls of 1 µs–5 s.
  expect(Number.isInteger(report.total) && report.total > 1e8 && report.total < 60e9, `${file}: total ${report.total}`).toBe(true);
  for (const d of [report.average, report.fastest, report.slowest]) expect(Number.isInteger(d) && d > 1e3 && d < 5e9, `${file}: ${d}`).toBe(true);
  expect(report.fastest).toBeLessThanOrEqual(report.average);
  expect(report.average).toBeLessThanOrEqual(report.slowest);
  expect(report.rps).toBeCloseTo(report.count / (report.total / 1e9), 6);
  expect(report.latencyDistribution!.map((l) => l.percentage)).toEqual([10, 25, 50, 75, 90, 95, 99]);
  const lat = report.latencyDistribution!.map((l) => l.latency);
  expect([...lat].sort((a, b) => a - b)).toEqual(lat);
  expect(lat[0]).toBeGreaterThanOrEqual(report.fastest);
  expect(lat[6]).toBeLessThanOrEqual(report.slowest);
  expect(report.histogram).toHaveLength(11);
  expect(report.histogram!.reduce((n, b) => n + b.count, 0)).toBe(report.count);
  expect(report.histogram!.at(-1)!.mark).toBeCloseTo(report.slowest / 1e9, 9);
}

let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'engram-scenarios-'));
  cluster = await new TestCluster({ shards: 1 }).start();
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('load scenarios through a real gateway', () => {
  it('suite smoke: baseline → load → stress → endurance on Remember, every report valid, exit 0', async () => {
    const out = join(dir, 'suite');
    const data = { memory: { id: 'scn-{{.RequestNumber}}', subject: 'scn-{{.RequestNumber}}', kind: 'observation', content: 'scenario memory {{.RequestNumber}}' } };
    const gatewayMetrics = cluster.gateway.metricsAddress;
    const shardPid = cluster.shards[0]!.proc.pid!;
    const run = await loadgen([
      'scenario', 'suite', cluster.address,
      '--call', REMEMBER, '-d', JSON.stringify(data), '-c', '4',
      '--smoke', '--out', out,
      '--max-latency', '5s', '--max-memory', '8GB', '--saturation', '0.5',
      '--max-latency-drift', '1000x', '--max-memory-growth', '16GB',
      '--target-metrics', gatewayMetrics, '--target-pid', String(shardPid),
    ]);
    const summaryMd = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(run.code, `${run.stderr}\n${summaryMd}`).toBe(0);
    expect(run.stdout).toBe(summaryMd);
    expect(run.stderr).toMatch(/^baseline: 1 concurrent/m);
    expect(run.stderr).toMatch(/^stress step 1\/3: /m);
    expect(run.stderr).toMatch(/^endurance window 3\/3: /m);

    // One ghz report per run: baseline, load, each stress step, each endurance window.
    const files = readdirSync(out);
    const reports = files.filter((f) => f.endsWith('.ghz.json')).sort();
    const stress = json<{ steps: { step: number; offeredRps: number; report: string; holds: boolean; p99Ms: number }[]; knee: { step: number; offeredRps: number; p99Ms: number } | null; reference: { rps: number; from: string }; factor: number; checks: { name: string; pass: boolean }[] }>(join(out, 'stress.json'));
    expect(stress.steps.length).toBeGreaterThanOrEqual(1);
    expect(stress.steps.length).toBeLessThanOrEqual(3);
    expect(reports).toEqual(
      ['baseline.ghz.json', 'load.ghz.json', ...stress.steps.map((s) => s.report), 'endurance-window-1.ghz.json', 'endurance-window-2.ghz.json', 'endurance-window-3.ghz.json'].sort(),
    );
    for (const f of reports) expectGhzReport(json<GhzReport>(join(out, f)), REMEMBER, f);

    // The scenario JSONs and their derived figures.
    const baseline = json<{ pass: boolean; concurrency: number; figures: { p50Ms: number; p99Ms: number; rps: number } }>(join(out, 'baseline.json'));
    expect(baseline).toMatchObject({ pass: true, concurrency: 1 });
    expect(baseline.figures.p50Ms).toBeGreaterThan(0);
    expect(baseline.figures.p99Ms).toBeGreaterThanOrEqual(baseline.figures.p50Ms);
    const load = json<{ pass: boolean; concurrency: number; figures: { okRps: number; p99Ms: number } }>(join(out, 'load.json'));
    expect(load).toMatchObject({ pass: true, concurrency: 4 });
    expect(load.figures.okRps).toBeGreaterThan(0);

    expect(stress.reference).toEqual({ rps: load.figures.okRps, from: 'load' });
    expect(stress.steps[0]!.offeredRps).toBeCloseTo(load.figures.okRps * 0.25, 1);
    stress.steps.slice(1).forEach((s, i) => expect(s.offeredRps / stress.steps[i]!.offeredRps).toBeCloseTo(1.5, 2));
    // The knee: the last step that held before the first that did not (all of them in a smoke run, as a rule).
    const firstBroken = stress.steps.findIndex((s) => !s.holds);
    const kneeStep = firstBroken === -1 ? stress.steps.at(-1)! : stress.steps[firstBroken - 1]!;
    expect(stress.knee).toMatchObject({ step: kneeStep.step, offeredRps: kneeStep.offeredRps, p99Ms: kneeStep.p99Ms });
    expect(stress.checks.find((c) => c.name === 'knee')?.pass).toBe(true);

    const endurance = json<{
      windows: { window: number; rps: number; p99Ms: number; rssBytes: Record<string, number> }[];
      drift: { p99Ms: { fittedRatio: number; points: number }; rssBytes: Record<string, { growth: number; points: number }> };
      checks: { name: string; subject: string; pass: boolean }[];
    }>(join(out, 'endurance.json'));
    expect(endurance.windows.map((w) => w.window)).toEqual([1, 2, 3]);
    const processes = ['generator', `metrics:${gatewayMetrics}`, `pid:${shardPid}`];
    for (const w of endurance.windows) {
      expect(w.p99Ms).toBeGreaterThan(0);
      expect(Object.keys(w.rssBytes).sort()).toEqual([...processes].sort());
      for (const p of processes) expect(w.rssBytes[p], p).toBeGreaterThan(1e6);
    }
    expect(endurance.drift.p99Ms.points).toBe(3);
    expect(endurance.drift.p99Ms.fittedRatio).toBeGreaterThan(0);
    for (const p of processes) expect(endurance.drift.rssBytes[p]?.points, p).toBe(3);
    expect(endurance.checks.filter((c) => c.name === 'maxMemoryGrowth')).toHaveLength(3);
    expect(endurance.checks.find((c) => c.name === 'maxLatencyDrift')?.pass).toBe(true);
    expect(endurance.checks.some((c) => c.name === 'maxMemoryUsage' && c.subject.includes(`metrics:${gatewayMetrics}`))).toBe(true);

    const summary = json<{ pass: boolean; failed: string[]; scenarios: { scenario: string }[]; files: string[] }>(join(out, 'summary.json'));
    expect(summary.pass).toBe(true);
    expect(summary.failed).toEqual([]);
    expect(summary.scenarios.map((s) => s.scenario)).toEqual(['baseline', 'load', 'stress', 'endurance']);
    expect([...summary.files].sort()).toEqual([...files].sort());

    // The Markdown summary: the verdict line and a section per scenario.
    expect(summaryMd).toMatch(/^# Load scenarios: baseline → load → stress → endurance — PASS\n/);
    expect(summaryMd).toContain('**Verdict: PASS**');
    expect(summaryMd.match(/^## .*$/gm)).toEqual(['## Baseline — pass', '## Load — pass', '## Stress — pass', '## Endurance — pass', '## Criteria']);
    expect(summaryMd).toMatch(/^Knee: \*\*[\d,.]+ rps\*\*/m);
  });

  it('an impossible criterion (--max-latency 1us) on Recall exits 1 and names it', async () => {
    const out = join(dir, 'impossible');
    // Recalls a memory the suite above wrote (through the gateway), so every call succeeds: only the latency fails.
    const data = { subject: 'scn-0', id: 'scn-0', skipReinforce: true };
    const run = await loadgen(['scenario', 'suite', cluster.address, '--call', RECALL, '-d', JSON.stringify(data), '-c', '2', '--smoke', '--fail-fast', '--max-latency', '1us', '--out', out]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^FAIL: baseline: maxLatency \(p99 latency of successful calls \(ms\) = [\d.,]+, limit 0\.001\)$/m);
    const report = json<GhzReport>(join(out, 'baseline.ghz.json'));
    expectGhzReport(report, RECALL, 'baseline.ghz.json');
    const summary = json<{ pass: boolean; failed: string[]; scenarios: { scenario: string; skipped?: string }[] }>(join(out, 'summary.json'));
    expect(summary.pass).toBe(false);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatch(/^baseline: maxLatency /);
    expect(summary.scenarios.map((s) => [s.scenario, s.skipped !== undefined])).toEqual([
      ['baseline', false],
      ['load', true],
      ['stress', true],
      ['endurance', true],
    ]);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('**Verdict: FAIL** — 1 failed: baseline: maxLatency');
    expect(md).toContain('## Baseline — FAIL');
    expect(md).toContain('## Endurance — skipped');
    expect(md).toMatch(/\| baseline \| maxLatency \| .* \| 0\.001 \| [\d.,]+ \| \*\*FAIL\*\* \|/);
  });
});
