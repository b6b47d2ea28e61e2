import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchmark, type BenchmarkSettings, type LoadTestSection } from './benchmark.js';
import type { Check, LoadTestConfig } from './criteria.js';
import type { Progress } from './load.js';
import { rfc3339, type GhzReport } from './report.js';
import type { GeneratorUsage } from './runner.js';
import { drift, figuresOf, findKnee, judgeStep, worstChecks, type Drift, type RunFigures, type StepLimits } from './scenario-analysis.js';
import { scenarioMarkdown } from './scenario-summary.js';
import { DEFAULTS } from './spec.js';
import type { TargetUsage } from './resources.js';

export const SCENARIOS = ['baseline', 'load', 'stress', 'endurance'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How each scenario runs (see scenarioDefaults for the full and the smoke values). */
export interface ScenarioOptions {
  /** Directory of the reports, scenario JSONs and the summary. */
  out: string;
  /** Stop the suite at the first scenario that fails. */
  failFast: boolean;
  baseline: { durationMs: number; concurrency: number };
  /** The load scenario's length when the settings give neither a duration nor a number of calls. */
  load: { durationMs: number };
  stress: {
    /** The first step's rate; unset: startFraction × the reference rate (the load scenario's, or a calibration run's). */
    startRps?: number | undefined;
    startFraction: number;
    /** Each step offers factor × the previous step's rate. */
    factor: number;
    maxSteps: number;
    stepMs: number;
    /** No step starts that would end after this much time in the scenario. */
    maxTimeMs: number;
    /** Slots of the open loop (calls in flight at most); unset: max(the load's concurrency, 256). */
    concurrency?: number | undefined;
    /** Saturated when fewer than this share of the offered calls per second are answered. */
    saturation: number;
  };
  endurance: {
    durationMs: number;
    windows: number;
    /** The load of the endurance run; unset: the load scenario's (concurrency, rps). */
    rps?: number | undefined;
    concurrency?: number | undefined;
    /** Limit of the p99's drift: fitted last window / fitted first window. */
    maxLatencyDrift?: number | undefined;
    /** Limit of the resident memory growth (bytes, fitted first to last window) of the generator and each target. */
    maxMemoryGrowth?: number | undefined;
  };
}

export function scenarioDefaults(smoke = false): Omit<ScenarioOptions, 'out'> {
  return smoke
    ? {
        failFast: false,
        baseline: { durationMs: 1000, concurrency: 1 },
        load: { durationMs: 1500 },
        stress: { startFraction: 0.25, factor: 1.5, maxSteps: 3, stepMs: 750, maxTimeMs: 10_000, saturation: 0.9 },
        endurance: { durationMs: 2250, windows: 3 },
      }
    : {
        failFast: false,
        baseline: { durationMs: 10_000, concurrency: 1 },
        load: { durationMs: 30_000 },
        stress: { startFraction: 0.25, factor: 1.5, maxSteps: 8, stepMs: 10_000, maxTimeMs: 180_000, saturation: 0.9 },
        endurance: { durationMs: 300_000, windows: 10 },
      };
}

interface ScenarioBase {
  /** False when a check failed. */
  pass: boolean;
  checks: Check[];
  /** The ghz reports written (file names in the output directory). */
  reports: string[];
  started: string;
  durationMs: number;
}

export interface BaselineResult extends ScenarioBase {
  scenario: 'baseline';
  concurrency: number;
  figures: RunFigures;
}

export interface LoadResult extends ScenarioBase {
  scenario: 'load';
  mode: 'closed loop' | 'open loop';
  concurrency: number;
  /** Offered rate (0: closed loop). */
  offeredRps: number;
  figures: RunFigures;
  generator: GeneratorUsage;
  targets: TargetUsage[];
}

export interface StressStep extends RunFigures {
  step: number;
  offeredRps: number;
  report: string;
  /** Sustainable: p99 under MaxLatency, errors within MaxErrorRate, not saturated. */
  holds: boolean;
  reasons: string[];
}

export interface StressResult extends ScenarioBase {
  scenario: 'stress';
  /** The rate the steps start from (a fraction of it) and where it came from. */
  reference: { rps: number; from: 'load' | 'calibration' | 'start-rps' };
  concurrency: number;
  limits: StepLimits;
  factor: number;
  maxSteps: number;
  stepMs: number;
  steps: StressStep[];
  /** The highest-rate step that held below the first one that did not; null when the first step broke. */
  knee: { step: number; offeredRps: number; rps: number; okRps: number; p50Ms: number | null; p99Ms: number | null } | null;
  /** Every step held: the knee lies above the last step. */
  kneeIsLowerBound: boolean;
  stopReason: string;
}

export interface EnduranceWindow extends RunFigures {
  window: number;
  /** From the start of the endurance run, s. */
  startS: number;
  endS: number;
  report: string;
  /** Resident memory at the end of the window (generator) or peak in it (targets), bytes, by process. */
  rssBytes: Record<string, number | null>;
}

export interface EnduranceResult extends ScenarioBase {
  scenario: 'endurance';
  mode: 'closed loop' | 'open loop';
  concurrency: number;
  offeredRps: number;
  windowMs: number;
  windows: EnduranceWindow[];
  drift: {
    p99Ms: Drift | null;
    rssBytes: Record<string, Drift | null>;
  };
}

export interface SkippedScenario {
  scenario: ScenarioName;
  skipped: string;
  pass: true;
  checks: [];
  reports: [];
}

export type ScenarioResult = BaselineResult | LoadResult | StressResult | EnduranceResult | SkippedScenario;

export interface ScenarioRun {
  pass: boolean;
  date: string;
  target: string;
  call: string;
  criteria: LoadTestConfig & { maxLatencyDrift?: number; maxMemoryGrowth?: number };
  scenarios: ScenarioResult[];
  /** Every file written, relative to the output directory. */
  files: string[];
  /** The checks that failed, as "scenario: name (subject = actual, limit …)". */
  failed: string[];
}

export interface ScenarioHooks {
  /** One line per run (step, window) and per scenario. */
  log?: (line: string) => void;
  onProgress?: (p: Progress) => void;
  /** Called when a run ends (to clear a progress line before logging). */
  onRunEnd?: () => void;
  signal?: AbortSignal;
}

const num = (n: number, digits = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const ms = (v: number | null): string => (v === null ? '–' : v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
const line = (f: RunFigures): string =>
  `${num(f.count, 0)} calls, ${num(f.rps)} rps, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}${f.errors > 0 ? `, ${num(f.errors, 0)} errors` : ''}${f.dropped > 0 ? `, ${num(f.dropped, 0)} dropped` : ''}`;

class Runner {
  readonly files: string[] = [];
  private readonly log: (line: string) => void;

  constructor(
    readonly settings: BenchmarkSettings,
    readonly options: ScenarioOptions,
    readonly hooks: ScenarioHooks,
  ) {
    this.log = hooks.log ?? (() => {});
  }

  get criteria(): LoadTestConfig {
    return this.settings.loadTest ?? {};
  }

  get maxErrorRate(): number {
    return this.criteria.maxErrorRate ?? 0;
  }

  get loadConcurrency(): number {
    return this.settings.concurrency ?? DEFAULTS.concurrency;
  }

  write(file: string, value: unknown): void {
    writeFileSync(join(this.options.out, file), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
    if (!this.files.includes(file)) this.files.push(file);
  }

  /** One run: the settings with these overrides, its ghz report written to `file`. */
  async run(file: string, name: string, overrides: Partial<BenchmarkSettings>): Promise<{ report: GhzReport; checks: Check[]; section: LoadTestSection }> {
    const s: BenchmarkSettings = { ...this.settings, ...overrides, name: this.settings.name ? `${this.settings.name}: ${name}` : name };
    const { report, verdict } = await benchmark(s, { onProgress: this.hooks.onProgress, signal: this.hooks.signal });
    this.hooks.onRunEnd?.();
    this.write(file, report);
    return { report, checks: verdict.checks, section: report.loadTest as LoadTestSection };
  }

  /** Overrides of a duration-bound run (the settings' number of calls dropped). */
  timed(durationMs: number, concurrency: number, rps: number, loadTest: LoadTestConfig): Partial<BenchmarkSettings> {
    return {
      durationMs,
      total: undefined,
      concurrency,
      rps,
      connections: Math.min(this.settings.connections ?? DEFAULTS.connections, concurrency),
      loadTest,
    };
  }

  async baseline(): Promise<BaselineResult> {
    const t0 = Date.now();
    const { durationMs, concurrency } = this.options.baseline;
    const { report, checks } = await this.run(
      'baseline.ghz.json',
      'baseline',
      this.timed(durationMs, concurrency, 0, { maxErrorRate: this.maxErrorRate, ...(this.criteria.maxLatency !== undefined ? { maxLatency: this.criteria.maxLatency } : {}) }),
    );
    const figures = figuresOf(report);
    const pass = checks.every((c) => c.pass);
    this.log(`baseline: ${concurrency} concurrent, closed loop, ${durationMs / 1000}s: ${line(figures)} — ${pass ? 'pass' : 'FAIL'}`);
    return { scenario: 'baseline', pass, checks, reports: ['baseline.ghz.json'], started: rfc3339(t0), durationMs: Date.now() - t0, concurrency, figures };
  }

  async load(): Promise<LoadResult> {
    const t0 = Date.now();
    const s = this.settings;
    const bounded = s.durationMs !== undefined || s.total !== undefined;
    const { report, checks, section } = await this.run('load.ghz.json', 'load', bounded ? {} : { durationMs: this.options.load.durationMs });
    const figures = figuresOf(report);
    const pass = checks.every((c) => c.pass);
    const rps = s.rps ?? 0;
    this.log(`load: ${this.loadConcurrency} concurrent, ${rps > 0 ? `${num(rps)} rps open loop` : 'closed loop'}: ${line(figures)} — ${pass ? 'pass' : 'FAIL'}`);
    return {
      scenario: 'load',
      pass,
      checks,
      reports: ['load.ghz.json'],
      started: rfc3339(t0),
      durationMs: Date.now() - t0,
      mode: section.mode,
      concurrency: this.loadConcurrency,
      offeredRps: rps,
      figures,
      generator: section.generator,
      targets: section.targets,
    };
  }

  async stress(load: LoadResult | undefined): Promise<StressResult> {
    const t0 = Date.now();
    const o = this.options.stress;
    const reports: string[] = [];
    const limits: StepLimits = { maxLatencyMs: this.criteria.maxLatency, maxErrorRate: this.maxErrorRate, saturation: o.saturation };
    const stepCriteria: LoadTestConfig = { maxErrorRate: this.maxErrorRate, ...(limits.maxLatencyMs !== undefined ? { maxLatency: limits.maxLatencyMs } : {}) };
    let reference: StressResult['reference'];
    if (o.startRps !== undefined) reference = { rps: o.startRps, from: 'start-rps' };
    else if (load && load.figures.okRps > 0) reference = { rps: load.figures.okRps, from: 'load' };
    else {
      // No load scenario to start from: a closed-loop run at the load's concurrency measures the rate.
      const { report } = await this.run('stress-calibration.ghz.json', 'stress calibration', this.timed(o.stepMs, this.loadConcurrency, 0, stepCriteria));
      reports.push('stress-calibration.ghz.json');
      const f = figuresOf(report);
      this.log(`stress: calibration, ${this.loadConcurrency} concurrent, closed loop: ${line(f)}`);
      reference = { rps: f.okRps, from: 'calibration' };
    }
    const concurrency = o.concurrency ?? Math.max(this.loadConcurrency, 256);
    const steps: StressStep[] = [];
    let stopReason = `${o.maxSteps} steps run`;
    let rate = o.startRps ?? reference.rps * o.startFraction;
    if (!(rate > 0)) stopReason = 'no reference rate (no successful call in the calibration)';
    else {
      for (let i = 1; i <= o.maxSteps; i++) {
        if (this.hooks.signal?.aborted) {
          stopReason = 'cancelled';
          break;
        }
        if (i > 1 && Date.now() - t0 + o.stepMs > o.maxTimeMs) {
          stopReason = `time budget (${o.maxTimeMs / 1000}s) reached`;
          break;
        }
        const file = `stress-step-${i}.ghz.json`;
        const offeredRps = Math.round(rate * 100) / 100;
        const { report } = await this.run(file, `stress step ${i} (${num(offeredRps)} rps)`, this.timed(o.stepMs, concurrency, offeredRps, stepCriteria));
        reports.push(file);
        const f = figuresOf(report);
        const reasons = judgeStep({ ...f, offeredRps }, limits);
        steps.push({ step: i, offeredRps, ...f, report: file, holds: reasons.length === 0, reasons });
        this.log(`stress step ${i}/${o.maxSteps}: ${num(offeredRps)} rps offered: ${line(f)} — ${reasons.length === 0 ? 'holds' : reasons.join('; ')}`);
        if (reasons.length > 0) {
          stopReason = `step ${i} broke: ${reasons.join('; ')}`;
          break;
        }
        rate *= o.factor;
      }
    }
    const { knee: k } = findKnee(steps, limits);
    const kneeStep = k === undefined ? undefined : steps[k]!;
    const knee = kneeStep ? { step: kneeStep.step, offeredRps: kneeStep.offeredRps, rps: kneeStep.rps, okRps: kneeStep.okRps, p50Ms: kneeStep.p50Ms, p99Ms: kneeStep.p99Ms } : null;
    const kneeIsLowerBound = steps.length > 0 && steps.every((s) => s.holds);
    const checks: Check[] = [
      {
        name: 'knee',
        subject: `highest offered rate (rps) with p99 ≤ MaxLatency${limits.maxLatencyMs === undefined ? ' (unset)' : ''}, errors ≤ MaxErrorRate, ≥ ${o.saturation * 100} % answered`,
        limit: 'a step holds',
        actual: knee ? knee.offeredRps : 'none',
        pass: knee !== null,
      },
    ];
    if (this.criteria.minThroughput !== undefined) {
      const actual = knee ? knee.okRps : 0;
      checks.push({ name: 'minThroughput', subject: 'successful calls per second at the knee', limit: this.criteria.minThroughput, actual, pass: actual >= this.criteria.minThroughput });
    }
    const pass = checks.every((c) => c.pass);
    this.log(`stress: knee ${knee ? `${num(knee.offeredRps)} rps (p99 ${ms(knee.p99Ms)})${kneeIsLowerBound ? ' or higher' : ''}` : 'none'}; ${stopReason} — ${pass ? 'pass' : 'FAIL'}`);
    return {
      scenario: 'stress',
      pass,
      checks,
      reports,
      started: rfc3339(t0),
      durationMs: Date.now() - t0,
      reference,
      concurrency,
      limits,
      factor: o.factor,
      maxSteps: o.maxSteps,
      stepMs: o.stepMs,
      steps,
      knee,
      kneeIsLowerBound,
      stopReason,
    };
  }

  async endurance(): Promise<EnduranceResult> {
    const t0 = Date.now();
    const o = this.options.endurance;
    const concurrency = o.concurrency ?? this.loadConcurrency;
    const rps = o.rps ?? this.settings.rps ?? 0;
    const windowMs = o.durationMs / o.windows;
    const windows: EnduranceWindow[] = [];
    const windowChecks: Check[][] = [];
    const start = performance.now();
    for (let i = 1; i <= o.windows; i++) {
      if (this.hooks.signal?.aborted) break;
      const file = `endurance-window-${i}.ghz.json`;
      const startS = (performance.now() - start) / 1000;
      const { report, checks, section } = await this.run(file, `endurance window ${i}`, this.timed(windowMs, concurrency, rps, this.criteria));
      const endS = (performance.now() - start) / 1000;
      const f = figuresOf(report);
      // The generator's current RSS when it ran alone (its peak would only ever grow); its workers' peak otherwise.
      const rssBytes: Record<string, number | null> = { generator: section.generator.processes === 1 ? process.memoryUsage().rss : section.generator.peakRssBytes };
      for (const t of section.targets) rssBytes[t.target] = t.error ? null : t.peakRssBytes;
      windows.push({ window: i, startS, endS, ...f, report: file, rssBytes });
      windowChecks.push(checks);
      const rss = Object.entries(rssBytes).map(([p, b]) => `${p} ${b === null ? '–' : `${num(b / 2 ** 20)} MiB`}`).join(', ');
      this.log(`endurance window ${i}/${o.windows}: ${line(f)}; RSS ${rss}`);
    }
    const mid = windows.map((w) => (w.startS + w.endS) / 2);
    const p99 = drift(mid, windows.map((w) => w.p99Ms)) ?? null;
    const processes = [...new Set(windows.flatMap((w) => Object.keys(w.rssBytes)))];
    const rssDrift: Record<string, Drift | null> = {};
    for (const p of processes) rssDrift[p] = drift(mid, windows.map((w) => w.rssBytes[p] ?? null)) ?? null;
    const checks = worstChecks(windowChecks);
    if (o.maxLatencyDrift !== undefined) {
      checks.push({
        name: 'maxLatencyDrift',
        subject: 'p99 drift: fitted last / first window',
        limit: o.maxLatencyDrift,
        actual: p99 ? p99.fittedRatio : 'fewer than 2 windows with successful calls',
        pass: p99 !== null && p99.fittedRatio <= o.maxLatencyDrift,
      });
    }
    if (o.maxMemoryGrowth !== undefined) {
      for (const p of processes) {
        const d = rssDrift[p];
        checks.push({
          name: 'maxMemoryGrowth',
          subject: `${p} RSS growth: fitted last − first window (bytes)`,
          limit: o.maxMemoryGrowth,
          actual: d ? d.growth : 'fewer than 2 windows measured',
          pass: d !== null && d !== undefined && d.growth <= o.maxMemoryGrowth,
        });
      }
    }
    const pass = windows.length > 0 && checks.every((c) => c.pass);
    const rssText = Object.entries(rssDrift)
      .map(([p, d]) => `${p} ${d ? `${d.growth >= 0 ? '+' : ''}${num(d.growth / 2 ** 20)} MiB` : '–'}`)
      .join(', ');
    this.log(`endurance: p99 drift ×${p99 ? num(p99.fittedRatio, 2) : '–'}, RSS growth ${rssText} — ${pass ? 'pass' : 'FAIL'}`);
    return {
      scenario: 'endurance',
      pass,
      checks,
      reports: windows.map((w) => w.report),
      started: rfc3339(t0),
      durationMs: Date.now() - t0,
      mode: rps > 0 ? 'open loop' : 'closed loop',
      concurrency,
      offeredRps: rps,
      windowMs,
      windows,
      drift: { p99Ms: p99, rssBytes: rssDrift },
    };
  }
}

const skipped = (scenario: ScenarioName, reason: string): SkippedScenario => ({ scenario, skipped: reason, pass: true, checks: [], reports: [] });

/** The failed checks of scenario results, one line each. */
export function failedChecks(results: readonly ScenarioResult[]): string[] {
  const fmt = (v: number | string): string => (typeof v === 'number' ? num(v, 4) : v);
  return results.flatMap((r) => r.checks.filter((c) => !c.pass).map((c) => `${r.scenario}: ${c.name} (${c.subject} = ${fmt(c.actual)}, limit ${fmt(c.limit)})`));
}

/**
 * Runs scenarios in order (the suite: baseline → load → stress → endurance), writing into `options.out` each
 * run's ghz report, each scenario's JSON (`<scenario>.json`), `summary.json` and `summary.md`. A later scenario
 * is skipped when it cannot tell anything: after a baseline without a successful call, all of them; stress when
 * the unloaded p99 already exceeds MaxLatency; and everything after a failure with `failFast`.
 */
export async function runScenarios(which: readonly ScenarioName[], settings: BenchmarkSettings, options: ScenarioOptions, hooks: ScenarioHooks = {}): Promise<ScenarioRun> {
  mkdirSync(options.out, { recursive: true });
  const runner = new Runner(settings, options, hooks);
  const results: ScenarioResult[] = [];
  let baseline: BaselineResult | undefined;
  let load: LoadResult | undefined;
  let stop: string | undefined;
  for (const name of SCENARIOS.filter((s) => which.includes(s))) {
    if (hooks.signal?.aborted) stop ??= 'cancelled';
    let skip = stop;
    if (!skip && name === 'stress' && baseline && settings.loadTest?.maxLatency !== undefined && (baseline.figures.p99Ms ?? 0) > settings.loadTest.maxLatency) {
      skip = `the unloaded p99 (${ms(baseline.figures.p99Ms)}) already exceeds MaxLatency (${ms(settings.loadTest.maxLatency)}): no rate can meet it`;
    }
    if (skip) {
      hooks.log?.(`${name}: skipped (${skip})`);
      results.push(skipped(name, skip));
      runner.write(`${name}.json`, results.at(-1));
      continue;
    }
    let result: ScenarioResult;
    switch (name) {
      case 'baseline':
        result = baseline = await runner.baseline();
        if (baseline.figures.ok === 0) stop = 'the baseline had no successful call';
        break;
      case 'load':
        result = load = await runner.load();
        if (load.figures.ok === 0) stop = 'the load scenario had no successful call';
        break;
      case 'stress':
        result = await runner.stress(load);
        break;
      case 'endurance':
        result = await runner.endurance();
        break;
    }
    results.push(result);
    runner.write(`${name}.json`, result);
    if (!result.pass && options.failFast) stop ??= `--fail-fast after ${name} failed`;
  }
  const failed = failedChecks(results);
  if (hooks.signal?.aborted) failed.push('run: cancelled');
  const run: ScenarioRun = {
    pass: failed.length === 0,
    date: rfc3339(Date.now()),
    target: settings.host ?? '',
    call: settings.call ?? '',
    criteria: {
      ...settings.loadTest,
      ...(options.endurance.maxLatencyDrift !== undefined ? { maxLatencyDrift: options.endurance.maxLatencyDrift } : {}),
      ...(options.endurance.maxMemoryGrowth !== undefined ? { maxMemoryGrowth: options.endurance.maxMemoryGrowth } : {}),
    },
    scenarios: results,
    files: runner.files,
    failed,
  };
  runner.write('summary.md', scenarioMarkdown(run));
  run.files.push('summary.json');
  runner.write('summary.json', run);
  return run;
}
