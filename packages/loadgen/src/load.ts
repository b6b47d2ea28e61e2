import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { H2Connection, type CallSink } from './connection.js';
import type { RequestBytes } from './framing.js';
import { Recorder, type Results } from './recorder.js';
import type { EndReason } from './report.js';

/** The request of each call: the n-th call of the process, made by slot `slot`. */
export interface RequestSource {
  next(requestNumber: number, slot: number): RequestBytes;
}

/** A live snapshot, for the progress line. */
export interface Progress {
  elapsedMs: number;
  count: number;
  errors: number;
  inFlight: number;
  dropped: number;
  /** The coarse latency histogram of successful calls so far (live; copy it to keep it). */
  logHistogram: Uint32Array;
}

export interface LoadPlan {
  host: string;
  port: number;
  tls?: TlsOptions | undefined;
  /** HTTP/2 connections; slot i uses connection i mod connections. */
  connections: number;
  /** Calls in flight at most (ghz's concurrency, the seed's ConcurrentUsers). */
  concurrency: number;
  /** Calls started per second (open loop); 0: closed loop, each slot calls again as soon as it has an answer. */
  rps: number;
  /** Calls to make at most (Infinity: until the duration ends). */
  total: number;
  /** Run length, ms (0: until `total` calls). */
  durationMs: number;
  /** At the end of the duration, `ignore` stops at once and leaves calls in flight out of the report; `wait` waits for them. */
  durationStop: 'ignore' | 'wait';
  /** Per-call deadline, ms (0: none). */
  timeoutMs: number;
  connectTimeoutMs: number;
  requests: RequestSource;
  /** Results not recorded at the start (ghz's skipFirst). */
  skipFirst?: number;
  maxDetails?: number;
  maxSamples?: number;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

export interface LoadOutcome {
  results: Results;
  /** Wall time of the run, ns. */
  totalNs: number;
  endReason: EndReason;
}

/**
 * Runs one process's share of a load test: `concurrency` slots spread over `connections` HTTP/2
 * connections, in a closed loop (each slot calls again when answered) or an open loop at `rps` (a scheduler
 * starts the calls due, on a free slot; a call due while every slot is busy is dropped and counted).
 */
export function runLoad(plan: LoadPlan): Promise<LoadOutcome> {
  const connections = Array.from(
    { length: Math.max(1, plan.connections) },
    () => new H2Connection({ host: plan.host, port: plan.port, tls: plan.tls, connectTimeoutMs: plan.connectTimeoutMs }),
  );
  const recorder = new Recorder({ maxDetails: plan.maxDetails ?? 0, maxSamples: plan.maxSamples });
  const withDetails = (plan.maxDetails ?? 0) > 0;
  const openLoop = plan.rps > 0;
  const total = plan.total;
  let skip = plan.skipFirst ?? 0;
  let started = 0;
  let inFlight = 0;
  let stopping = false;
  let done = false;
  const t0 = performance.now();
  const timers: NodeJS.Timeout[] = [];
  let tickTimer: NodeJS.Timeout | undefined;

  return new Promise<LoadOutcome>((resolve) => {
    const finish = (endReason: EndReason): void => {
      if (done) return;
      done = true;
      const end = endReason === 'timeout' && plan.durationStop === 'ignore' ? Math.min(performance.now(), t0 + plan.durationMs) : performance.now();
      for (const t of timers) clearTimeout(t);
      clearTimeout(tickTimer);
      for (const c of connections) c.close();
      plan.signal?.removeEventListener('abort', onAbort);
      resolve({ results: recorder.results(), totalNs: (end - t0) * 1e6, endReason });
    };
    const endReason = (): EndReason => (plan.signal?.aborted ? 'cancel' : started >= total ? 'normal' : 'timeout');

    const launch = (slot: Slot): void => {
      const n = started++;
      inFlight++;
      slot.startedAt = performance.now();
      if (withDetails) slot.wallStart = Date.now();
      slot.connection.start(plan.requests.next(n, slot.index), slot);
    };

    class Slot implements CallSink {
      startedAt = 0;
      wallStart = 0;
      constructor(
        readonly index: number,
        readonly connection: H2Connection,
      ) {}

      onDone(code: number, message: string): void {
        const latencyNs = (performance.now() - this.startedAt) * 1e6;
        inFlight--;
        if (done) return;
        if (skip > 0) skip--;
        else recorder.record(code, message, latencyNs, this.wallStart);
        if (!stopping && started < total) {
          if (!openLoop) launch(this);
          else free.push(this);
        } else {
          if (openLoop) free.push(this);
          if (inFlight === 0) finish(endReason());
        }
      }
    }

    const slots = Array.from({ length: Math.max(1, plan.concurrency) }, (_, i) => new Slot(i, connections[i % connections.length]!));
    const free: Slot[] = openLoop ? slots.slice().reverse() : [];

    const onAbort = (): void => {
      stopping = true;
      finish('cancel');
    };
    if (plan.signal?.aborted) {
      queueMicrotask(onAbort);
      return;
    }
    plan.signal?.addEventListener('abort', onAbort);

    if (plan.durationMs > 0) {
      timers.push(
        setTimeout(() => {
          stopping = true;
          if (plan.durationStop === 'ignore' || inFlight === 0) finish('timeout');
        }, plan.durationMs),
      );
    }
    if (plan.timeoutMs > 0) {
      const sweep = setInterval(() => {
        const now = performance.now();
        for (const c of connections) c.expire(now, plan.timeoutMs);
      }, Math.max(10, Math.min(250, plan.timeoutMs / 4)));
      timers.push(sweep);
    }
    if (plan.onProgress) {
      const report = plan.onProgress;
      timers.push(
        setInterval(() => {
          report({
            elapsedMs: performance.now() - t0,
            count: recorder.count,
            errors: recorder.errorCount,
            inFlight,
            dropped: recorder.dropped,
            logHistogram: recorder.logHistogram,
          });
        }, plan.progressIntervalMs ?? 250),
      );
    }

    if (total <= 0) {
      queueMicrotask(() => finish('normal'));
      return;
    }
    if (!openLoop) {
      for (const slot of slots) {
        if (started >= total) break;
        launch(slot);
      }
      return;
    }

    // Open loop: call n is due at t0 + n / rps.
    const interval = 1000 / plan.rps;
    let scheduled = 0;
    const tick = (): void => {
      if (done || stopping) return;
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
      while (scheduled < due) {
        scheduled++;
        const slot = free.pop();
        if (slot) launch(slot);
        else {
          recorder.dropped++;
          started++;
        }
      }
      if (scheduled >= total) {
        stopping = true;
        if (inFlight === 0) finish(endReason());
        return;
      }
      const wait = t0 + scheduled * interval - performance.now();
      tickTimer = setTimeout(tick, Math.max(1, Math.min(1000, wait)));
    };
    tick();
  });
}
