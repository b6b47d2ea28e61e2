import type { Progress } from './load.js';
import { logQuantile } from './log-histogram.js';

export function formatMs(ns: number): string {
  const ms = ns / 1e6;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

/** One progress line: elapsed, calls, current rate, errors, p99 so far (coarse), in flight. */
export function progressText(p: Progress, rate: number): string {
  const p99 = logQuantile(p.logHistogram, 0.99);
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(1)}s`,
    `${p.count.toLocaleString('en-US')} calls`,
    `${Math.round(rate).toLocaleString('en-US')} rps`,
    `${p.errors.toLocaleString('en-US')} errors`,
    `p99 ≤ ${p99 > 0 ? formatMs(p99) : '–'}`,
    `${p.inFlight} in flight`,
  ];
  if (p.dropped > 0) parts.push(`${p.dropped.toLocaleString('en-US')} dropped`);
  return parts.join(' · ');
}

/**
 * A single status line rewritten in place on a terminal (stderr by default); silent on anything else, so
 * logs and pipes get only the report.
 */
export class ProgressLine {
  private last: { at: number; count: number } = { at: 0, count: 0 };
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, readonly enabled = Boolean(stream.isTTY)) {}

  update(p: Progress): void {
    if (!this.enabled) return;
    const dt = p.elapsedMs - this.last.at;
    const rate = dt > 0 ? ((p.count - this.last.count) * 1000) / dt : 0;
    this.last = { at: p.elapsedMs, count: p.count };
    const width = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${progressText(p, rate).slice(0, width - 1)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
