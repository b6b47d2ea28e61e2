import { errorText, statusName } from './grpc-status.js';
import { LOG_BUCKETS, logBucket } from './log-histogram.js';

/** One call, as ghz's details list it. */
export interface Detail {
  /** Wall-clock start, ms since the epoch. */
  timestamp: number;
  latencyNs: number;
  status: string;
  error: string;
}

/** What one process measured: plain data that crosses process boundaries and merges exactly. */
export interface Results {
  count: number;
  /** Sum of every call's latency (ghz's average counts failed calls too). */
  sumNs: number;
  statusCounts: Record<string, number>;
  errors: Record<string, number>;
  /** Latencies of the successful calls, ns (a uniform sample once there are more than the cap). */
  okLatencies: Float64Array;
  /** Successful calls seen (okLatencies.length unless sampled). */
  okCount: number;
  fastestNs: number;
  slowestNs: number;
  /** Coarse histogram of the successful calls' latencies, for live figures. */
  logHistogram: Uint32Array;
  details: Detail[];
  /** Open loop: calls due when every slot was busy, so never sent. */
  dropped: number;
}

export function emptyResults(): Results {
  return {
    count: 0,
    sumNs: 0,
    statusCounts: {},
    errors: {},
    okLatencies: new Float64Array(0),
    okCount: 0,
    fastestNs: Number.POSITIVE_INFINITY,
    slowestNs: 0,
    logHistogram: new Uint32Array(LOG_BUCKETS),
    details: [],
    dropped: 0,
  };
}

export interface RecorderOptions {
  /** Latencies kept exactly; beyond, a uniform reservoir sample of this size (default 10 million). */
  maxSamples?: number;
  /** Calls listed in details (ghz's details); 0 for none. */
  maxDetails?: number;
}

/** Collects call outcomes on the hot path: counters, a growing Float64Array, one string key per error. */
export class Recorder {
  count = 0;
  dropped = 0;
  private sumNs = 0;
  private readonly codes = new Float64Array(17);
  private readonly otherCodes = new Map<number, number>();
  private readonly errors = new Map<string, number>();
  private ok = new Float64Array(1024);
  private okCount = 0;
  private fastest = Number.POSITIVE_INFINITY;
  private slowest = 0;
  private readonly maxSamples: number;
  private readonly maxDetails: number;
  readonly logHistogram = new Uint32Array(LOG_BUCKETS);
  private readonly details: Detail[] = [];
  errorCount = 0;

  constructor(options: RecorderOptions = {}) {
    this.maxSamples = options.maxSamples ?? 10_000_000;
    this.maxDetails = options.maxDetails ?? 0;
  }

  record(code: number, message: string, latencyNs: number, startedAtWallMs = 0): void {
    this.count++;
    this.sumNs += latencyNs;
    if (code >= 0 && code < 17) this.codes[code]!++;
    else this.otherCodes.set(code, (this.otherCodes.get(code) ?? 0) + 1);
    let error = '';
    if (code === 0) this.recordOk(latencyNs);
    else {
      this.errorCount++;
      error = errorText(code, message);
      this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
    }
    if (this.details.length < this.maxDetails) {
      this.details.push({ timestamp: startedAtWallMs, latencyNs, status: statusName(code), error });
    }
  }

  private recordOk(ns: number): void {
    const n = this.okCount++;
    if (ns < this.fastest) this.fastest = ns;
    if (ns > this.slowest) this.slowest = ns;
    this.logHistogram[logBucket(ns)]!++;
    if (n < this.maxSamples) {
      if (n === this.ok.length) {
        const grown = new Float64Array(Math.min(this.maxSamples, n * 2));
        grown.set(this.ok);
        this.ok = grown;
      }
      this.ok[n] = ns;
    } else {
      // Reservoir sampling (Algorithm R): every latency stays with probability maxSamples / okCount.
      const j = Math.floor(Math.random() * (n + 1));
      if (j < this.maxSamples) this.ok[j] = ns;
    }
  }

  results(): Results {
    const statusCounts: Record<string, number> = {};
    this.codes.forEach((n, code) => {
      if (n > 0) statusCounts[statusName(code)] = n;
    });
    for (const [code, n] of this.otherCodes) statusCounts[statusName(code)] = n;
    return {
      count: this.count,
      sumNs: this.sumNs,
      statusCounts,
      errors: Object.fromEntries(this.errors),
      okLatencies: this.ok.slice(0, Math.min(this.okCount, this.maxSamples)),
      okCount: this.okCount,
      fastestNs: this.fastest,
      slowestNs: this.slowest,
      logHistogram: this.logHistogram.slice(),
      details: this.details.slice(),
      dropped: this.dropped,
    };
  }
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Merges the results of several processes (latencies concatenated, so percentiles stay exact). */
export function mergeResults(parts: readonly Results[]): Results {
  const out = emptyResults();
  const latencies = new Float64Array(parts.reduce((n, p) => n + p.okLatencies.length, 0));
  let at = 0;
  for (const p of parts) {
    out.count += p.count;
    out.sumNs += p.sumNs;
    addCounts(out.statusCounts, p.statusCounts);
    addCounts(out.errors, p.errors);
    latencies.set(p.okLatencies, at);
    at += p.okLatencies.length;
    out.okCount += p.okCount;
    out.fastestNs = Math.min(out.fastestNs, p.fastestNs);
    out.slowestNs = Math.max(out.slowestNs, p.slowestNs);
    for (let i = 0; i < out.logHistogram.length; i++) out.logHistogram[i]! += p.logHistogram[i] ?? 0;
    out.details.push(...p.details);
    out.dropped += p.dropped;
  }
  out.okLatencies = latencies;
  out.details.sort((a, b) => a.timestamp - b.timestamp);
  return out;
}
