import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkSettings } from './benchmark.js';
import { runScenarios, scenarioDefaults, type EnduranceResult, type ScenarioOptions, type StressResult } from './scenarios.js';

// The scenarios' paths that the cluster smoke run (test/scenarios.test.ts) does not take, against the raw
// grpc-js echo server: stress alone (a calibration run sets the reference rate), the time budget, endurance
// with its drift checks. Short runs; nothing here depends on how fast the machine is.

const ECHO = fileURLToPath(new URL('../../../bench/echo/server.mjs', import.meta.url));
let echo: ChildProcess;
let target = '';
const dir = mkdtempSync(join(tmpdir(), 'loadgen-scenarios-'));
const message = join(dir, 'message.bin');
writeFileSync(message, 'hello, scenarios');

beforeAll(async () => {
  echo = spawn(process.execPath, [ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: echo.stdout! }).once('line', resolve));
  target = `127.0.0.1:${(JSON.parse(first) as { port: number }).port}`;
});

afterAll(() => {
  echo?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const settings = (s: Partial<BenchmarkSettings> = {}): BenchmarkSettings => ({ host: target, call: 'echo.Echo/Echo', binaryFile: message, concurrency: 4, ...s });

function options(out: string, o: { stress?: Partial<ScenarioOptions['stress']>; endurance?: Partial<ScenarioOptions['endurance']> } = {}): ScenarioOptions {
  const d = scenarioDefaults(true);
  return { ...d, out: join(dir, out), stress: { ...d.stress, stepMs: 300, saturation: 0.5, ...o.stress }, endurance: { ...d.endurance, durationMs: 600, windows: 2, ...o.endurance } };
}

describe('scenarios against the echo server', () => {
  it('stress alone calibrates its reference rate, then steps up by the factor', async () => {
    const o = options('stress', { stress: { maxSteps: 2, startFraction: 0.1, factor: 2 } });
    const run = await runScenarios(['stress'], settings({ loadTest: { maxLatency: 5000 } }), o);
    const stress = run.scenarios[0] as StressResult;
    expect(stress.reference.from).toBe('calibration');
    expect(stress.reference.rps).toBeGreaterThan(0);
    expect(stress.reports[0]).toBe('stress-calibration.ghz.json');
    expect(stress.steps.map((s) => s.step)).toEqual([1, 2]);
    expect(stress.steps[0]!.offeredRps).toBeCloseTo(stress.reference.rps * 0.1, 1);
    expect(stress.steps[1]!.offeredRps).toBeCloseTo(stress.steps[0]!.offeredRps * 2, 1);
    expect(stress.knee).not.toBeNull();
    expect(stress.kneeIsLowerBound).toBe(true);
    expect(stress.stopReason).toBe('2 steps run');
    expect(run.pass).toBe(true);
    for (const f of ['stress-calibration.ghz.json', 'stress-step-1.ghz.json', 'stress-step-2.ghz.json', 'stress.json', 'summary.json', 'summary.md']) {
      expect(existsSync(join(o.out, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(o.out, 'stress.json'), 'utf8'))).toMatchObject({ scenario: 'stress', knee: { step: 2 } });
  });

  it('stress stops at its time budget', async () => {
    const run = await runScenarios(['stress'], settings(), options('budget', { stress: { startRps: 50, maxSteps: 5, maxTimeMs: 500 } }));
    const stress = run.scenarios[0] as StressResult;
    expect(stress.reference).toEqual({ rps: 50, from: 'start-rps' });
    expect(stress.steps).toHaveLength(1);
    expect(stress.stopReason).toBe('time budget (0.5s) reached');
  });

  it('endurance measures windows and checks drift; an impossible memory growth limit fails and is named', async () => {
    const o = options('endurance', { endurance: { maxLatencyDrift: 1000, maxMemoryGrowth: -1e12 } });
    const run = await runScenarios(['endurance'], settings({ targetPids: [echo.pid!] }), o);
    const e = run.scenarios[0] as EnduranceResult;
    expect(e.windows.map((w) => w.window)).toEqual([1, 2]);
    expect(Object.keys(e.drift.rssBytes)).toEqual(['generator', `pid:${echo.pid}`]);
    expect(e.drift.p99Ms?.points).toBe(2);
    // Two windows: the fitted line goes through both, so the fitted ratio is the raw one.
    expect(e.drift.p99Ms!.fittedRatio).toBeCloseTo(e.windows[1]!.p99Ms! / e.windows[0]!.p99Ms!, 9);
    expect(e.checks.find((c) => c.name === 'maxLatencyDrift')?.pass).toBe(true);
    expect(e.checks.filter((c) => c.name === 'maxMemoryGrowth').map((c) => c.pass)).toEqual([false, false]);
    expect(run.pass).toBe(false);
    expect(run.failed).toHaveLength(2);
    expect(run.failed[0]).toMatch(/^endurance: maxMemoryGrowth \(generator RSS growth/);
    expect(readFileSync(join(o.out, 'summary.md'), 'utf8')).toContain('## Endurance — FAIL');
  });
});
