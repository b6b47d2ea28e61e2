import type { LoadTestSection } from './benchmark.js';
import type { Check } from './criteria.js';
import type { GhzReport } from './report.js';

/** The figures of one run, from its ghz report (latencies in ms; null without a successful call). */
export interface RunFigures {
  count: number;
  ok: number;
  errors: number;
  /** Failed calls / calls (0 without calls). */
  errorRate: number;
  /** Calls answered per second (ghz's rps: failed ones included). */
  rps: number;
  /** Successful calls per second. */
  okRps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Open loop: calls due while every slot was busy, never sent. */
  dropped: number;
  /** Wall time of the run, s. */
  seconds: number;
}

function point(report: GhzReport, percentage: number): number | null {
  const p = report.latencyDistribution?.find((l) => l.percentage === percentage);
  return p ? p.latency / 1e6 : null;
}

export function figuresOf(report: GhzReport): RunFigures {
  const ok = report.statusCodeDistribution['OK'] ?? 0;
  const seconds = report.total / 1e9;
  return {
    count: report.count,
    ok,
    errors: report.count - ok,
    errorRate: report.count > 0 ? (report.count - ok) / report.count : 0,
    rps: report.rps,
    okRps: seconds > 0 ? ok / seconds : 0,
    p50Ms: point(report, 50),
    p99Ms: point(report, 99),
    dropped: (report.loadTest as Partial<LoadTestSection> | undefined)?.dropped ?? 0,
    seconds,
  };
}

/** What a stress step must keep to count as sustainable. */
export interface StepLimits {
  /** MaxLatency (ms): the p99 of successful calls must stay at or under it; unset: not checked. */
  maxLatencyMs?: number | undefined;
  /** The share of failed calls allowed (MaxErrorRate). */
  maxErrorRate: number;
  /** The step is saturated when the achieved rate falls below this share of the offered rate (e.g. 0.9). */
  saturation: number;
}

/** The measured part of a stress step, as judgeStep and findKnee need it. */
export interface StepFigures {
  offeredRps: number;
  /** Calls answered per second. */
  rps: number;
  ok: number;
  errorRate: number;
  p99Ms: number | null;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Why a step is not sustainable (empty when it is): latency over MaxLatency, errors, saturation. */
export function judgeStep(step: StepFigures, limits: StepLimits): string[] {
  const reasons: string[] = [];
  if (step.ok === 0 || step.p99Ms === null) reasons.push('no successful call');
  else if (limits.maxLatencyMs !== undefined && step.p99Ms > limits.maxLatencyMs) reasons.push(`p99 ${round(step.p99Ms)} ms > MaxLatency ${limits.maxLatencyMs} ms`);
  if (step.errorRate > limits.maxErrorRate) reasons.push(`error rate ${round(step.errorRate, 4)} > ${limits.maxErrorRate}`);
  if (step.rps < limits.saturation * step.offeredRps) reasons.push(`saturated: ${round(step.rps, 1)} of ${round(step.offeredRps, 1)} rps offered answered`);
  return reasons;
}

export interface Knee {
  /** Index of the knee step: the last sustainable step before the first one that is not; undefined when the first step already broke. */
  knee: number | undefined;
  /** Index of the first step that is not sustainable; undefined when every step held (the knee is then a lower bound). */
  broke: number | undefined;
}

/**
 * The knee of steps run at increasing rates: the highest-rate step that held (p99 under MaxLatency, errors
 * within the limit, not saturated) below the first step that did not. A step that holds above a broken one is
 * not trusted (the sustainable range is the contiguous one from the bottom).
 */
export function findKnee(steps: readonly StepFigures[], limits: StepLimits): Knee {
  const broke = steps.findIndex((s) => judgeStep(s, limits).length > 0);
  if (broke === -1) return { knee: steps.length > 0 ? steps.length - 1 : undefined, broke: undefined };
  return { knee: broke > 0 ? broke - 1 : undefined, broke };
}

/** Least-squares line y = intercept + slope·x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  if (n === 0 || n !== ys.length) throw new Error('linearFit: expected two series of the same non-zero length');
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/**
 * How a figure sampled over time (one value per window, at the window's middle) moved: the raw first and last
 * values, and a least-squares line through all of them, whose values at the first and the last window give
 * the fitted ratio and growth (less sensitive to one noisy window than the raw ends; with two windows they
 * are the same).
 */
export interface Drift {
  /** Windows with a value (windows without one, e.g. no successful call, are left out). */
  points: number;
  first: number;
  last: number;
  /** last / first (Infinity when first is 0 and last is not; 1 when both are 0). */
  ratio: number;
  /** The line's slope, per minute. */
  slopePerMinute: number;
  fittedFirst: number;
  fittedLast: number;
  /** fittedLast / fittedFirst, as `ratio`. */
  fittedRatio: number;
  /** fittedLast − fittedFirst. */
  growth: number;
}

const ratioOf = (last: number, first: number): number => (first > 0 ? last / first : last > first ? Number.POSITIVE_INFINITY : 1);

/** The drift of `ys` sampled at `xs` seconds (null values skipped); undefined with fewer than two values. */
export function drift(xs: readonly number[], ys: readonly (number | null)[]): Drift | undefined {
  const px: number[] = [];
  const py: number[] = [];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (y !== null && y !== undefined && Number.isFinite(y)) {
      px.push(x);
      py.push(y);
    }
  });
  if (px.length < 2) return undefined;
  const { slope, intercept } = linearFit(px, py);
  const fittedFirst = intercept + slope * px[0]!;
  const fittedLast = intercept + slope * px[px.length - 1]!;
  return {
    points: px.length,
    first: py[0]!,
    last: py[py.length - 1]!,
    ratio: ratioOf(py[py.length - 1]!, py[0]!),
    slopePerMinute: slope * 60,
    fittedFirst,
    fittedLast,
    fittedRatio: ratioOf(fittedLast, fittedFirst),
    growth: fittedLast - fittedFirst,
  };
}

// Checks whose worst value is the lowest one (the others' worst is the highest).
const LOWER_IS_WORSE = new Set(['calls', 'minThroughput']);

/**
 * The checks of several runs (e.g. endurance windows) folded into one per criterion and subject: the worst
 * value of any run, failing when any run failed.
 */
export function worstChecks(runs: readonly (readonly Check[])[]): Check[] {
  const byKey = new Map<string, Check>();
  for (const checks of runs) {
    for (const c of checks) {
      const key = `${c.name}\u0000${c.subject}`;
      const seen = byKey.get(key);
      if (!seen) {
        byKey.set(key, { ...c, subject: `worst window: ${c.subject}` });
        continue;
      }
      const worse =
        seen.pass && !c.pass
          ? true
          : !seen.pass && c.pass
            ? false
            : typeof c.actual === 'string' || typeof seen.actual === 'string' || Number.isNaN(c.actual)
              ? typeof seen.actual === 'number' && !Number.isNaN(seen.actual)
              : LOWER_IS_WORSE.has(c.name)
                ? c.actual < seen.actual
                : c.actual > seen.actual;
      if (worse) byKey.set(key, { ...c, subject: seen.subject });
    }
  }
  return [...byKey.values()];
}
