import { readFileSync } from 'node:fs';

/** What a process under test used during the run. */
export interface TargetUsage {
  /** "pid:1234" or "metrics:host:port". */
  target: string;
  /** Highest resident set size seen while sampling. */
  peakRssBytes: number;
  /** CPU cores used on average between the first and the last sample. */
  cpuCores: number;
  /** Why it could not be measured (it then fails the resource checks). */
  error?: string;
}

interface Sample {
  rssBytes: number;
  cpuSeconds: number;
  at: number;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS = 100;

export function readProc(pid: number): Omit<Sample, 'at'> {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, cpuSeconds };
}

/** The process figures of a Prometheus text exposition (engram_process_* or the standard process_*). */
export function parseProcessMetrics(text: string): Omit<Sample, 'at'> {
  const value = (names: string[]): number | undefined => {
    for (const name of names) {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text);
      if (m) return Number(m[1]);
    }
    return undefined;
  };
  const rssBytes = value(['engram_process_resident_memory_bytes', 'process_resident_memory_bytes']);
  const cpuSeconds = value(['engram_process_cpu_seconds_total', 'process_cpu_seconds_total']);
  if (rssBytes === undefined || cpuSeconds === undefined) throw new Error('no process_resident_memory_bytes / process_cpu_seconds_total in the metrics');
  return { rssBytes, cpuSeconds };
}

async function readMetrics(address: string): Promise<Omit<Sample, 'at'>> {
  const url = address.includes('://') ? address : `http://${address}/metrics`;
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return parseProcessMetrics(await res.text());
}

interface Watched {
  target: string;
  read: () => Promise<Omit<Sample, 'at'>>;
  first?: Sample;
  last?: Sample;
  peak: number;
  error?: string;
}

/**
 * Samples the processes under test (by pid, or by their Prometheus metrics address) while a run goes on:
 * peak resident memory and average CPU cores, for the seed's MaxMemoryUsage and MaxCPUUsage.
 */
export class TargetMonitor {
  private readonly watched: Watched[];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(pids: readonly number[], metricsAddresses: readonly string[], private readonly intervalMs = 500) {
    this.watched = [
      ...pids.map((pid) => ({ target: `pid:${pid}`, read: async () => readProc(pid), peak: 0 })),
      ...metricsAddresses.map((a) => ({ target: `metrics:${a}`, read: () => readMetrics(a), peak: 0 })),
    ];
  }

  get empty(): boolean {
    return this.watched.length === 0;
  }

  async start(): Promise<void> {
    if (this.empty) return;
    await this.sample();
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, this.intervalMs);
  }

  async stop(): Promise<TargetUsage[]> {
    clearInterval(this.timer);
    if (this.empty) return [];
    await this.sampling;
    await this.sample();
    return this.watched.map((w) => {
      const seconds = w.first && w.last ? (w.last.at - w.first.at) / 1000 : 0;
      const usage: TargetUsage = {
        target: w.target,
        peakRssBytes: w.peak,
        cpuCores: seconds > 0 ? (w.last!.cpuSeconds - w.first!.cpuSeconds) / seconds : 0,
      };
      if (w.error) usage.error = w.error;
      return usage;
    });
  }

  private async sample(): Promise<void> {
    await Promise.all(
      this.watched.map(async (w) => {
        try {
          const s = { ...(await w.read()), at: performance.now() };
          w.first ??= s;
          w.last = s;
          w.peak = Math.max(w.peak, s.rssBytes);
        } catch (err) {
          w.error = err instanceof Error ? err.message : String(err);
        }
      }),
    );
  }
}
