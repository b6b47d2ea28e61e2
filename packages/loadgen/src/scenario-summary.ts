import bytes from 'bytes';
import type { Check } from './criteria.js';
import type { Drift } from './scenario-analysis.js';
import type { BaselineResult, EnduranceResult, LoadResult, ScenarioResult, ScenarioRun, StressResult } from './scenarios.js';

const num = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n));
const ms = (v: number | null): string => (v === null ? '–' : v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
const size = (b: number | null | undefined): string => (b === null || b === undefined ? '–' : `${b < 0 ? '-' : ''}${bytes(Math.abs(b), { decimalPlaces: 1 }) ?? ''}`);
const pct = (f: number): string => `${num(f * 100, 2)} %`;
/** A check's limit or value: sizes for the memory checks, otherwise up to 3 decimals (4 for shares). */
const value = (name: string, v: number | string): string =>
  typeof v !== 'number' ? v : name === 'maxMemoryUsage' || name === 'maxMemoryGrowth' ? size(v) : num(v, name === 'maxErrorRate' ? 4 : 3);
const title = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

const CRITERIA: Record<string, (v: number) => string> = {
  concurrentUsers: (v) => num(v, 0),
  requestsPerSecond: (v) => (v > 0 ? `${num(v)} rps` : 'closed loop'),
  testDuration: (v) => `${num(v / 1000, 3)} s`,
  maxMemoryUsage: (v) => size(v),
  maxCpuUsage: (v) => `${num(v, 2)} cores`,
  maxLatency: (v) => `${num(v, 3)} ms`,
  minThroughput: (v) => `${num(v)} rps`,
  maxErrorRate: (v) => pct(v),
  maxLatencyDrift: (v) => `×${num(v, 2)}`,
  maxMemoryGrowth: (v) => size(v),
};

function baseline(r: BaselineResult): string[] {
  const f = r.figures;
  return [
    '| concurrency | calls | rps | p50 | p99 | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.concurrency} | ${num(f.count, 0)} | ${num(f.rps)} | ${ms(f.p50Ms)} | ${ms(f.p99Ms)} | ${num(f.errors, 0)} |`,
  ];
}

function load(r: LoadResult): string[] {
  const f = r.figures;
  return [
    '| load | calls | rps | successful rps | p50 | p99 | errors | generator RSS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.concurrency} concurrent, ${r.offeredRps > 0 ? `${num(r.offeredRps)} rps` : 'closed loop'} | ${num(f.count, 0)} | ${num(f.rps)} | ${num(f.okRps)} | ${ms(f.p50Ms)} | ${ms(f.p99Ms)} | ${num(f.errors, 0)} | ${size(r.generator.peakRssBytes)} |`,
  ];
}

function stress(r: StressResult): string[] {
  const lines = [
    '| step | offered rps | answered rps | p50 | p99 | errors | dropped | |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.steps.map((s) => `| ${s.step} | ${num(s.offeredRps)} | ${num(s.rps)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${num(s.errors, 0)} | ${num(s.dropped, 0)} | ${s.holds ? 'holds' : s.reasons.join('; ')} |`),
    '',
  ];
  const start = `from ${r.reference.from === 'start-rps' ? '--start-rps' : `the ${r.reference.from} rate ${num(r.reference.rps)} rps`}, ×${num(r.factor, 2)} per ${num(r.stepMs / 1000, 2)} s step, ${r.concurrency} slots`;
  lines.push(
    r.knee
      ? `Knee: **${num(r.knee.offeredRps)} rps**${r.kneeIsLowerBound ? ' or higher' : ''} offered (${num(r.knee.okRps)} successful/s), p99 ${ms(r.knee.p99Ms)}; ${r.stopReason} (${start}).`
      : `Knee: **none**, no step held; ${r.stopReason} (${start}).`,
  );
  return lines;
}

function driftText(d: Drift | null, format: (v: number) => string): string {
  return d ? `${format(d.fittedFirst)} → ${format(d.fittedLast)} (×${num(d.fittedRatio, 2)}, ${d.slopePerMinute >= 0 ? '+' : ''}${format(d.slopePerMinute)}/min)` : '–';
}

function endurance(r: EnduranceResult): string[] {
  const processes = Object.keys(r.drift.rssBytes);
  const lines = [
    `| window | rps | p50 | p99 | errors | ${processes.map((p) => `${p} RSS`).join(' | ')} |`,
    `| ---: | ---: | ---: | ---: | ---: | ${processes.map(() => '---:').join(' | ')} |`,
    ...r.windows.map((w) => `| ${w.window} | ${num(w.rps)} | ${ms(w.p50Ms)} | ${ms(w.p99Ms)} | ${num(w.errors, 0)} | ${processes.map((p) => size(w.rssBytes[p])).join(' | ')} |`),
    '',
    `${r.windows.length} windows of ${num(r.windowMs / 1000, 2)} s, ${r.concurrency} concurrent, ${r.offeredRps > 0 ? `${num(r.offeredRps)} rps` : 'closed loop'}. Drift (least-squares line, first → last window): p99 ${driftText(r.drift.p99Ms, ms)}; ${processes.map((p) => `${p} RSS ${driftText(r.drift.rssBytes[p] ?? null, size)}`).join('; ')}.`,
  ];
  return lines;
}

function section(r: ScenarioResult): string[] {
  if ('skipped' in r) return [`## ${title(r.scenario)} — skipped`, '', `Skipped: ${r.skipped}.`, ''];
  const body = r.scenario === 'baseline' ? baseline(r) : r.scenario === 'load' ? load(r) : r.scenario === 'stress' ? stress(r) : endurance(r);
  return [`## ${title(r.scenario)} — ${r.pass ? 'pass' : 'FAIL'}`, '', ...body, '', `Reports: ${r.reports.map((f) => `\`${f}\``).join(', ')}.`, ''];
}

function checkRows(results: readonly ScenarioResult[]): string[] {
  const rows = results.flatMap((r) => r.checks.map((c: Check) => `| ${r.scenario} | ${c.name} | ${c.subject} | ${value(c.name, c.limit)} | ${value(c.name, c.actual)} | ${c.pass ? 'ok' : '**FAIL**'} |`));
  return rows.length === 0 ? [] : ['| scenario | check | of | limit | actual | |', '| --- | --- | --- | ---: | ---: | --- |', ...rows, ''];
}

/** The run's short Markdown summary: the verdict, the criteria, a section per scenario, every check. */
export function scenarioMarkdown(run: ScenarioRun): string {
  const criteria = Object.entries(run.criteria)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${CRITERIA[k]?.(v as number) ?? String(v)}`);
  const lines = [
    `# Load scenarios: ${run.scenarios.map((s) => s.scenario).join(' → ')} — ${run.pass ? 'PASS' : 'FAIL'}`,
    '',
    `\`${run.call}\` on \`${run.target}\`, ${run.date}. Criteria: ${criteria.length > 0 ? criteria.join(', ') : 'none'}${run.criteria.maxErrorRate === undefined ? ' (maxErrorRate 0)' : ''}.`,
    '',
    run.pass ? '**Verdict: PASS** — every criterion met.' : `**Verdict: FAIL** — ${run.failed.length} failed: ${run.failed.join('; ')}.`,
    '',
    ...run.scenarios.flatMap(section),
    '## Criteria',
    '',
    ...checkRows(run.scenarios),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
