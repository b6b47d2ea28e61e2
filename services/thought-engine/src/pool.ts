import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { SpanStatusCode } from '@opentelemetry/api';
import { deadlineExceeded, EngramError, resourceExhausted, SATURATED_MESSAGE, statusName, unavailable } from '@engram/protocol';
import { nodeMetrics, tracer } from '@engram/telemetry';
import type { MiningResult, MiningTask } from './tasks.js';

export interface PoolOptions {
  /** ConcurrencyLevel: the most threads. */
  concurrency: number;
  /** CPULimit: share of the machine's cores the pool may use. */
  cpuLimit: number;
  /** MemoryLimit: heap bytes of each worker. */
  memoryLimitBytes: number;
  /** Tasks that may wait for a thread. */
  maxQueue: number;
}

export interface TaskOutcome extends MiningResult {
  queueMs: number;
}

/** Threads the pool runs: ConcurrencyLevel, bounded by CPULimit's share of the cores, at least one. */
export function poolThreads(o: Pick<PoolOptions, 'concurrency' | 'cpuLimit'>, cores = availableParallelism()): number {
  return Math.max(1, Math.min(o.concurrency, Math.floor(cores * o.cpuLimit)));
}

// The compiled worker, from src/ (tests) and dist/ alike.
const WORKER = fileURLToPath(new URL('../dist/worker.js', import.meta.url));

/**
 * The engine's piscina pool. Every failure of the pool becomes a status: a full queue and a worker that outgrew
 * its heap are RESOURCE_EXHAUSTED (the worker is replaced and the engine keeps serving), an aborted task is
 * DEADLINE_EXCEEDED.
 */
export class MiningPool {
  private readonly piscina: Piscina<MiningTask, MiningResult>;
  readonly threads: number;
  /** Tasks submitted and not finished: running and waiting. */
  private running = 0;

  constructor(readonly options: PoolOptions) {
    this.threads = poolThreads(options);
    this.piscina = new Piscina({
      filename: WORKER,
      minThreads: this.threads,
      maxThreads: this.threads,
      maxQueue: options.maxQueue,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(16, Math.floor(options.memoryLimitBytes / (1024 * 1024))) },
    });
  }

  /** Runs one task; signal aborts it (the thread running it is terminated and replaced). */
  async run(task: MiningTask, signal?: AbortSignal): Promise<TaskOutcome> {
    // Our own bound: piscina does not apply maxQueue to tasks that carry an abort signal.
    if (this.running >= this.threads + this.options.maxQueue) throw resourceExhausted(`${SATURATED_MESSAGE}; retry later`);
    const queuedAt = performance.now();
    this.running += 1;
    // A span per task, child of the request that mined: queue wait and run time as attributes.
    const span = tracer().startSpan('mining.task', { attributes: { 'engram.task.kind': task.kind, 'engram.task.partition': task.partition.length } });
    try {
      const result = await this.piscina.run(task, signal ? { signal } : {});
      const queueMs = Math.max(0, performance.now() - queuedAt - result.runMs);
      span.setAttributes({ 'engram.task.queue_ms': queueMs, 'engram.task.run_ms': result.runMs, 'engram.task.patterns': result.patterns.length });
      nodeMetrics().workerTask(task.kind, queueMs / 1000, result.runMs / 1000, 'OK');
      return { ...result, queueMs };
    } catch (err) {
      const e = poolError(err, signal);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      // A failed task's wait and run cannot be told apart: all of it counts as run time.
      nodeMetrics().workerTask(task.kind, 0, (performance.now() - queuedAt) / 1000, e instanceof EngramError ? statusName(e.code) : 'UNKNOWN');
      throw e;
    } finally {
      span.end();
      this.running -= 1;
    }
  }

  /** Figures for status and metrics. */
  stats() {
    const waiting = Math.max(0, this.running - this.threads);
    return {
      threads: this.threads,
      queued: waiting,
      running: this.running - waiting,
      completed: this.piscina.completed,
      utilization: this.piscina.utilization,
    };
  }


  close(): Promise<void> {
    return this.piscina.close({ force: true });
  }
}

function poolError(err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof EngramError) return err;
  const e = err as { message?: string; code?: string; name?: string };
  if (e.message === 'Task queue is at limit' || e.message === 'No task queue available and all Workers are busy') {
    return resourceExhausted(`${SATURATED_MESSAGE}; retry later`);
  }
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return resourceExhausted('pattern mining ran out of its memory limit; raise min support, lower max pattern length or narrow the stream');
  }
  if (signal?.aborted || e.name === 'AbortError') return deadlineExceeded('pattern mining was cancelled at its deadline');
  if (e.message === 'Terminating worker thread') return unavailable('the thought engine is shutting down');
  return err instanceof Error ? err : new Error(String(err));
}
