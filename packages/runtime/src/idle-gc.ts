import { Session } from 'node:inspector';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '@engram/telemetry';

export interface IdleCollectorOptions {
  /** How long a node must have been without calls in flight before it collects (ms). */
  idleMs: number;
  /** Calls in flight now. */
  inFlight: () => number;
  /** Calls started so far (a node that served nothing since the last collection has nothing new to give back). */
  started: () => number;
  logger: Logger;
  /** The collection to run, calling back when it is over (default: V8's memory-reducing collection). */
  collect?: (done: () => void) => void;
}

/** V8's full collection, exposed at run time (the function --expose-gc gives), or undefined if V8 refuses. */
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides when a node has gone quiet after serving calls: the collector's rule, apart from its timer. Quiet means no
 * call in flight and at most a trickle of calls started (health checks, a status poll: at most one per 200 ms) for
 * idleMs; a collection is due once per quiet period, and only after enough calls since the last one that there is
 * something to give back.
 */
export class IdleWatch {
  private quietSince: number;
  private windowStart: number;
  private collectedAt: number;
  private readonly trickle: number;

  constructor(
    private readonly idleMs: number,
    nowMs: number,
    started: number,
    /** Calls since the last collection below which there is nothing worth collecting. */
    private readonly minCalls = 100,
  ) {
    this.quietSince = nowMs;
    this.windowStart = started;
    this.collectedAt = started;
    this.trickle = Math.max(2, Math.floor(idleMs / 200));
  }

  /** Whether to collect now, given the calls in flight and started so far. */
  due(nowMs: number, inFlight: number, started: number): boolean {
    if (inFlight > 0 || started - this.windowStart > this.trickle) {
      // Busy: quiet from now at the earliest.
      this.quietSince = nowMs;
      this.windowStart = started;
      return false;
    }
    if (nowMs - this.quietSince < this.idleMs) return false;
    // A quiet period has passed: the next one starts now.
    this.quietSince = nowMs;
    this.windowStart = started;
    if (started - this.collectedAt < this.minCalls) return false;
    this.collectedAt = started;
    return true;
  }
}

/**
 * V8's memory-reducing collection, the one DevTools runs (HeapProfiler.collectGarbage through an in-process inspector
 * session): full collections with compaction of fragmented pages until nothing more is freed, then the emptied pages
 * go back to the system. A plain gc() frees the garbage but leaves the heap's reserved size as it was when live
 * objects are spread over many pages (a shard's record cache): at a million memories it gave back 1-7 MiB where this
 * one gives back ~80. Where no session can be connected, the plain full collection (fallback) runs instead.
 *
 * The session is disconnected on a later turn: disconnecting it inside the collection's callback, which the session
 * runs while it is still dispatching the message, deadlocks Node 20.
 */
function reducingCollection(fallback: () => void): (done: () => void) => void {
  return (done) => {
    const session = new Session();
    try {
      session.connect();
    } catch {
      fallback();
      done();
      return;
    }
    session.post('HeapProfiler.collectGarbage', () => {
      setImmediate(() => {
        session.disconnect();
        done();
      });
    });
  };
}

/**
 * Gives memory back once a node goes quiet. Between collections V8 keeps garbage up to a growth factor of what
 * survived the last one; after a burst (an import, a run of queries) that is 100+ MiB of resident memory held until
 * the next burst. When no call has been in flight for idleMs and calls were served since the last time, this runs
 * V8's memory-reducing collection (reducingCollection; a plain full collection where no inspector session connects), as V8's
 * own memory reducer does in a browser tab. It costs
 * nothing under load; a call that arrives during a collection waits for it (tens to a few hundred ms on a large
 * heap). Returns a stop function.
 */
export function startIdleCollector(o: IdleCollectorOptions): () => void {
  if (o.idleMs <= 0) return () => {};
  let full: (() => void) | null | undefined;
  const collect =
    o.collect ??
    reducingCollection(() => {
      if (full === undefined) {
        full = exposeGc() ?? null;
        if (full === null) o.logger.warn('cannot run idle collections (no inspector session, and V8 did not expose gc)');
      }
      full?.();
    });
  const watch = new IdleWatch(o.idleMs, performance.now(), o.started());
  let collecting = false;
  const timer = setInterval(
    () => {
      const now = performance.now();
      if (collecting || !watch.due(now, o.inFlight(), o.started())) return;
      collecting = true;
      const before = process.memoryUsage.rss();
      collect(() => {
        collecting = false;
        const after = process.memoryUsage();
        o.logger.debug(
          { ms: Math.round(performance.now() - now), rssMiB: Math.round(before / 2 ** 20), rssAfterMiB: Math.round(after.rss / 2 ** 20), heapUsedMiB: Math.round(after.heapUsed / 2 ** 20) },
          'idle collection',
        );
      });
    },
    Math.max(10, Math.min(1000, o.idleMs / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
