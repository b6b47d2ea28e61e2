import type { Verdict } from './criteria.js';
import { formatMs } from './progress.js';
import type { GhzReport } from './report.js';

const num = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

function checkValue(v: number | string): string {
  return typeof v === 'number' ? num(v) : v;
}

function verdictOf(report: GhzReport): Verdict | undefined {
  return (report.loadTest as { verdict?: Verdict } | undefined)?.verdict;
}

/** ghz's text summary ("-O summary"), plus the verdict. */
export function textSummary(report: GhzReport): string {
  const lines = [
    '',
    'Summary:',
    ...(report.name ? [`  Name:\t\t${report.name}`] : []),
    `  Count:\t${report.count}`,
    `  Total:\t${formatMs(report.total)}`,
    `  Slowest:\t${formatMs(report.slowest)}`,
    `  Fastest:\t${formatMs(report.fastest)}`,
    `  Average:\t${formatMs(report.average)}`,
    `  Requests/sec:\t${report.rps.toFixed(2)}`,
    '',
  ];
  if (report.histogram) {
    const max = Math.max(...report.histogram.map((b) => b.count));
    lines.push('Response time histogram:');
    for (const b of report.histogram) {
      const bar = max > 0 ? '∎'.repeat(Math.round((b.count / max) * 40)) : '';
      lines.push(`  ${(b.mark * 1000).toFixed(3)} [${b.count}]\t|${bar}`);
    }
    lines.push('');
  }
  if (report.latencyDistribution) {
    lines.push('Latency distribution:');
    for (const l of report.latencyDistribution) if (l.percentage > 0) lines.push(`  ${l.percentage} % in ${formatMs(l.latency)} `);
    lines.push('');
  }
  lines.push('Status code distribution:');
  for (const [status, n] of Object.entries(report.statusCodeDistribution)) lines.push(`  [${status}]\t${n} responses`);
  if (Object.keys(report.errorDistribution).length > 0) {
    lines.push('', 'Error distribution:');
    for (const [error, n] of Object.entries(report.errorDistribution)) lines.push(`  [${n}]\t${error}`);
  }
  const verdict = verdictOf(report);
  if (verdict) {
    lines.push('', `Verdict: ${verdict.pass ? 'PASS' : 'FAIL'}`);
    for (const c of verdict.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.subject} = ${checkValue(c.actual)} (limit ${checkValue(c.limit)})`);
  }
  return `${lines.join('\n')}\n`;
}

/** A short Markdown summary: the figures, the latency percentiles, statuses, errors and the verdict. */
export function markdownSummary(report: GhzReport): string {
  const o = report.options as { call?: string; host?: string; concurrency?: number; connections?: number; rps?: number };
  const verdict = verdictOf(report);
  const lines = [
    `### ${report.name ?? o.call ?? 'Load test'}${verdict ? ` — ${verdict.pass ? 'pass' : 'FAIL'}` : ''}`,
    '',
    `\`${o.call ?? ''}\` on \`${o.host ?? ''}\`: ${o.concurrency ?? '?'} concurrent over ${o.connections ?? 1} connection(s), ${o.rps ? `${o.rps} rps open loop` : 'closed loop'}; ${report.date}.`,
    '',
    '| calls | total | rps | average | fastest | slowest |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${num(report.count)} | ${formatMs(report.total)} | ${num(report.rps)} | ${formatMs(report.average)} | ${formatMs(report.fastest)} | ${formatMs(report.slowest)} |`,
    '',
  ];
  if (report.latencyDistribution) {
    const points = report.latencyDistribution.filter((l) => l.percentage > 0);
    lines.push(`| ${points.map((l) => `p${l.percentage}`).join(' | ')} |`, `| ${points.map(() => '---:').join(' | ')} |`, `| ${points.map((l) => formatMs(l.latency)).join(' | ')} |`, '');
  }
  lines.push(`Statuses: ${Object.entries(report.statusCodeDistribution).map(([s, n]) => `${s} ${num(n)}`).join(', ') || 'none'}.`);
  const errors = Object.entries(report.errorDistribution);
  if (errors.length > 0) {
    lines.push('', 'Errors:', '');
    for (const [e, n] of errors) lines.push(`- ${num(n)} × \`${e}\``);
  }
  if (verdict) {
    lines.push('', '| check | of | limit | actual | |', '| --- | --- | ---: | ---: | --- |');
    for (const c of verdict.checks) lines.push(`| ${c.name} | ${c.subject} | ${checkValue(c.limit)} | ${checkValue(c.actual)} | ${c.pass ? 'ok' : '**FAIL**'} |`);
  }
  return `${lines.join('\n')}\n`;
}
