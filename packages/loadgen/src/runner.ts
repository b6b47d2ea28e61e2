import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadOutcome, type Progress } from './load.js';
import { mergeResults } from './recorder.js';
import type { EndReason } from './report.js';
import { prepareRequests, tlsOptions } from './requests.js';
import { parseTarget, workerCount, workerSpec, type RunSpec } from './spec.js';
import { LOG_BUCKETS } from './log-histogram.js';

/** What the generator itself used: all its processes together. */
export interface GeneratorUsage {
  processes: number;
  /** Sum of the processes' peak resident set sizes. */
  peakRssBytes: number;
  cpuSeconds: number;
  /** CPU cores used on average over the run. */
  cpuCores: number;
}

export interface RunOutcome extends LoadOutcome {
  generator: GeneratorUsage;
  /** Distinct request bodies encoded ahead of the run, per process (0: encoded per call). */
  distinctBodies: number;
}

export interface RunHooks {
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

/** Messages between the runner and its worker processes. */
export type ToWorker = { type: 'start'; spec: RunSpec; index: number; count: number; progressIntervalMs: number } | { type: 'go' } | { type: 'abort' };
export type FromWorker =
  | { type: 'ready'; distinctBodies: number }
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; outcome: LoadOutcome; cpuSeconds: number; peakRssBytes: number }
  | { type: 'error'; message: string };

/** Runs this process's share of the load (the whole of it with one worker) and measures what it used. */
export async function runHere(spec: RunSpec, index: number, count: number, hooks: RunHooks & { onReady?: (distinctBodies: number) => Promise<void> }): Promise<RunOutcome> {
  const prepared = prepareRequests(spec, { index, count });
  await hooks.onReady?.(prepared.distinctBodies);
  const { host, port } = parseTarget(spec.target);
  const cpu0 = process.cpuUsage();
  const outcome = await runLoad({
    host,
    port,
    tls: tlsOptions(spec),
    connections: spec.connections,
    concurrency: spec.concurrency,
    rps: spec.rps,
    total: spec.total,
    durationMs: spec.durationMs,
    durationStop: spec.durationStop,
    timeoutMs: spec.timeoutMs,
    connectTimeoutMs: spec.connectTimeoutMs,
    requests: prepared.source,
    skipFirst: spec.skipFirst,
    maxDetails: spec.maxDetails,
    onProgress: hooks.onProgress,
    progressIntervalMs: hooks.progressIntervalMs,
    signal: hooks.signal,
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    ...outcome,
    distinctBodies: prepared.distinctBodies,
    generator: {
      processes: 1,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuSeconds,
      cpuCores: outcome.totalNs > 0 ? cpuSeconds / (outcome.totalNs / 1e9) : 0,
    },
  };
}

function workerMain(): string {
  const here = new URL('./worker-main.js', import.meta.url);
  // Under vitest this module is the TypeScript source: use the built worker.
  return fileURLToPath(existsSync(here) ? here : new URL('../dist/worker-main.js', import.meta.url));
}

/**
 * Runs a load test: in this process, or split over `spec.workers` processes (each with its share of
 * connections, slots, rate and calls) whose results merge exactly. Workers prepare their requests, then all
 * start together.
 */
export async function runSpec(spec: RunSpec, hooks: RunHooks = {}): Promise<RunOutcome> {
  const n = workerCount(spec);
  if (n === 1) return runHere(spec, 0, 1, hooks);

  const interval = hooks.progressIntervalMs ?? 250;
  const children: ChildProcess[] = [];
  const latest = new Map<number, Progress>();
  const started = performance.now();
  let ready = 0;
  let distinctBodies = 0;
  let progressTimer: NodeJS.Timeout | undefined;
  const parentCpu0 = process.cpuUsage();
  const send = (message: ToWorker): void => {
    for (const c of children) if (c.connected) c.send(message);
  };
  const onAbort = (): void => send({ type: 'abort' });
  hooks.signal?.addEventListener('abort', onAbort);
  try {
    const outcomes = await Promise.all(
      Array.from({ length: n }, (_, index) => {
        const child = fork(workerMain(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        return new Promise<{ outcome: LoadOutcome; cpuSeconds: number; peakRssBytes: number }>((resolve, reject) => {
          let finished = false;
          child.on('message', (message: FromWorker) => {
            switch (message.type) {
              case 'ready':
                distinctBodies = message.distinctBodies;
                if (++ready === n) {
                  send({ type: 'go' });
                  if (hooks.onProgress) progressTimer = setInterval(() => hooks.onProgress!(mergeProgress([...latest.values()], performance.now() - started)), interval);
                }
                break;
              case 'progress':
                latest.set(index, message.progress);
                break;
              case 'done':
                finished = true;
                resolve(message);
                child.disconnect();
                break;
              case 'error':
                finished = true;
                reject(new Error(message.message));
                break;
            }
          });
          child.on('exit', (code) => {
            if (!finished) reject(new Error(`load worker ${index} exited with code ${code} before reporting`));
          });
          child.send({ type: 'start', spec: workerSpec(spec, index, n), index, count: n, progressIntervalMs: interval } satisfies ToWorker);
        });
      }),
    );
    const totalNs = Math.max(...outcomes.map((o) => o.outcome.totalNs));
    const parentCpu = process.cpuUsage(parentCpu0);
    const cpuSeconds = outcomes.reduce((s, o) => s + o.cpuSeconds, 0) + (parentCpu.user + parentCpu.system) / 1e6;
    const reasons = outcomes.map((o) => o.outcome.endReason);
    const endReason: EndReason = reasons.includes('cancel') ? 'cancel' : reasons.includes('timeout') ? 'timeout' : 'normal';
    return {
      results: mergeResults(outcomes.map((o) => o.outcome.results)),
      totalNs,
      endReason,
      distinctBodies,
      generator: {
        processes: n + 1,
        peakRssBytes: outcomes.reduce((s, o) => s + o.peakRssBytes, 0) + process.resourceUsage().maxRSS * 1024,
        cpuSeconds,
        cpuCores: totalNs > 0 ? cpuSeconds / (totalNs / 1e9) : 0,
      },
    };
  } finally {
    clearInterval(progressTimer);
    hooks.signal?.removeEventListener('abort', onAbort);
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

function mergeProgress(parts: readonly Progress[], elapsedMs: number): Progress {
  const logHistogram = new Uint32Array(LOG_BUCKETS);
  const sum = { count: 0, errors: 0, inFlight: 0, dropped: 0 };
  for (const p of parts) {
    sum.count += p.count;
    sum.errors += p.errors;
    sum.inFlight += p.inFlight;
    sum.dropped += p.dropped;
    for (let i = 0; i < LOG_BUCKETS; i++) logHistogram[i]! += p.logHistogram[i] ?? 0;
  }
  return { elapsedMs, ...sum, logHistogram };
}
