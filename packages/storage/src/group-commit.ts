import type { ClassicLevel } from 'classic-level';
import { context, SpanKind, SpanStatusCode, trace, type Context, type Link } from '@opentelemetry/api';
import { nodeMetrics, stageMark, tracer } from '@engram/telemetry';
import { resourceExhausted, unavailable } from '@engram/protocol';
import { WriteBatch } from './write-batch.js';

export interface BatchOp {
  type: 'put' | 'del';
  key: string;
  value?: Uint8Array;
}

/** Where index entries are put when a batch is formed (a LevelDB chained batch). */
export interface BatchPuts {
  put(key: string, value: Uint8Array): unknown;
}

/**
 * Index entries described instead of listed: their keys are built when the batch is formed and handed to LevelDB at
 * once, so that a write waiting in the queue holds no key strings and op objects for them (a new memory's postings
 * are most of its keys).
 */
export interface IndexEntries {
  /** Their keys' lengths plus their values' bytes, as BatchOp counts them for the batch's size. */
  readonly bytes: number;
  /** Puts them into the batch; returns how many. */
  putInto(batch: BatchPuts): number;
}

/** One logical write: its ops are committed atomically, in the same LevelDB batch. */
export interface CommitRequest<M> {
  ops: BatchOp[];
  /**
   * Ops on index entries that are only ever scanned, never read by key (postings, expiry entries): committed
   * with ops, after them, but kept out of the overlay, whose upkeep would cost more than the rest of the write.
   * A later write of such a key must also write, in its ops, a key that this write has in ops (the memory's
   * record), so that it cannot overtake this write.
   */
  indexOps?: BatchOp[] | IndexEntries;
  /** Higher is committed first when writes queue up (0..7). */
  priority: number;
  /** Handed to the contributor when the write joins a batch. */
  meta?: M;
}

/** Adds derived ops (such as counters) to a batch at the moment it is formed, in commit order. */
export interface BatchContributor<M> {
  contribute(metas: readonly M[]): BatchOp[];
  settled?(metas: readonly M[], ok: boolean): void;
}

export interface GroupCommitOptions {
  /** Most writes per batch. */
  maxWrites: number;
  /** Most bytes per batch (a single larger write still goes alone). */
  maxBytes: number;
  /** How long an idle writer waits for more writes before committing. */
  maxDelayMs: number;
  /** Writes that may wait; beyond this write() fails RESOURCE_EXHAUSTED. */
  maxPending: number;
  /** fsync each batch before acknowledging. */
  sync: boolean;
}

export interface BatchStats {
  writes: number;
  ops: number;
  bytes: number;
  durationMs: number;
  ok: boolean;
}

interface Pending<M> {
  ops: BatchOp[];
  indexOps: BatchOp[] | IndexEntries | undefined;
  bytes: number;
  meta: M | undefined;
  seq: number;
  /** The trace context of the call that wrote it: the batch span's parent (first write) or links (others). */
  context: Context;
  onSettled: ((ok: boolean) => void) | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface OverlayEntry {
  value: Uint8Array | null;
  seq: number;
  priority: number;
}

const PRIORITIES = 8;

/** Adds ops to a batch; returns how many. */
function addOps(batch: WriteBatch, ops: readonly BatchOp[]): number {
  for (const op of ops) {
    if (op.type === 'put') batch.put(op.key, op.value!);
    else batch.del(op.key);
  }
  return ops.length;
}

/**
 * Group commit: concurrent writes are collected into one LevelDB batch, higher priorities first, and each write
 * is acknowledged only after its batch is written. Until then its ops (not its index ops) are visible to read()
 * (the overlay), so a read-modify-write that follows an unacknowledged write sees it. A write that touches a key
 * of a still-pending write never overtakes it: it takes that write's priority if lower.
 */
export class GroupCommitWriter<M = unknown> {
  private readonly queues: Pending<M>[][] = Array.from({ length: PRIORITIES }, () => []);
  /** Index of the first write still queued in each queue (the ones before it are taken). */
  private readonly heads: number[] = new Array<number>(PRIORITIES).fill(0);
  private readonly overlay = new Map<string, OverlayEntry>();
  private queued = 0;
  private seq = 0;
  private flushing = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  readonly totals = { batches: 0, writes: 0, failedBatches: 0 };

  constructor(
    private readonly db: ClassicLevel<string, Uint8Array>,
    private readonly options: GroupCommitOptions,
    private readonly contributor?: BatchContributor<M>,
    private readonly onBatch?: (stats: BatchStats) => void,
  ) {
    WriteBatch.checkEncodings(db);
  }

  /** Writes waiting for or in a batch. */
  get pending(): number {
    return this.queued;
  }

  /** The pending value of key: bytes, null for a pending delete, undefined when nothing is pending. */
  read(key: string): Uint8Array | null | undefined {
    return this.overlay.get(key)?.value;
  }

  /** How many keys have a pending value (see read). */
  get pendingKeys(): number {
    return this.overlay.size;
  }

  /**
   * The keys with a pending value that start with one of prefixes, each without that prefix, in no order: one walk
   * over every pending key.
   */
  pendingSuffixes(prefixes: readonly string[]): string[] {
    const out: string[] = [];
    for (const key of this.overlay.keys()) {
      for (const prefix of prefixes) {
        if (key.startsWith(prefix)) {
          out.push(key.slice(prefix.length));
          break;
        }
      }
    }
    return out;
  }

  /**
   * Resolves when the write's batch is durable (per the sync option); rejects if it could not be written.
   * onSettled, if given, is called once just before the promise settles (also when the write is refused): work
   * that must happen before any waiter resumes, without a promise of its own.
   */
  write(request: CommitRequest<M>, onSettled?: (ok: boolean) => void): Promise<void> {
    if (this.closed) return refused(unavailable('store is closing'), onSettled);
    if (this.queued >= this.options.maxPending) {
      return refused(resourceExhausted(`write queue full (${this.options.maxPending} pending writes)`), onSettled);
    }
    let priority = Math.min(PRIORITIES - 1, Math.max(0, Math.floor(request.priority)));
    const { ops, indexOps } = request;
    let bytes = 0;
    for (const op of ops) {
      bytes += op.key.length + (op.value?.length ?? 0);
      const earlier = this.overlay.get(op.key);
      if (earlier !== undefined && earlier.priority < priority) priority = earlier.priority;
    }
    if (Array.isArray(indexOps)) for (const op of indexOps) bytes += op.key.length + (op.value?.length ?? 0);
    else if (indexOps !== undefined) bytes += indexOps.bytes;
    const seq = ++this.seq;
    for (const op of ops) {
      this.overlay.set(op.key, { value: op.type === 'put' ? op.value! : null, seq, priority });
    }
    return new Promise<void>((resolve, reject) => {
      this.queues[priority]!.push({ ops, indexOps, bytes, meta: request.meta, seq, context: context.active(), onSettled, resolve, reject });
      this.queued += 1;
      this.schedule();
    });
  }

  /** Resolves when every write queued so far is settled. */
  drain(): Promise<void> {
    if (this.queued === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new writes and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.runNow();
    await this.drain();
  }

  private runNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    void this.flushLoop();
  };

  private schedule(): void {
    if (this.flushing) return;
    if (this.timer) {
      if (this.queued >= this.options.maxWrites) this.runNow();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.options.maxDelayMs > 0 && this.queued < this.options.maxWrites && !this.closed) {
      this.timer = setTimeout(this.run, this.options.maxDelayMs);
    } else {
      // setImmediate lets the writes of this turn of the event loop join the batch.
      setImmediate(this.run);
    }
  }

  private takeBatch(): Pending<M>[] {
    const batch: Pending<M>[] = [];
    let bytes = 0;
    for (let p = PRIORITIES - 1; p >= 0; p--) {
      const queue = this.queues[p]!;
      // Taken from the head by index: shift() per write is quadratic when thousands queue up (a flush of accesses).
      let head = this.heads[p]!;
      let full = false;
      while (head < queue.length && batch.length < this.options.maxWrites) {
        const next = queue[head]!;
        if (batch.length > 0 && bytes + next.bytes > this.options.maxBytes) {
          full = true;
          break;
        }
        batch.push(next);
        bytes += next.bytes;
        (queue as (Pending<M> | undefined)[])[head] = undefined; // not kept alive until the queue empties
        head += 1;
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else if (head >= 1024 && head * 2 >= queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      this.heads[p] = head;
      if (full || batch.length >= this.options.maxWrites) break;
    }
    return batch;
  }

  private async flushLoop(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let batch = this.takeBatch(); batch.length > 0; batch = this.takeBatch()) {
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
      if (this.queued === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async commit(batch: Pending<M>[]): Promise<void> {
    const started = performance.now();
    // One span per batch, in the trace of its first write and linked from the others (at most 32 links).
    const links: Link[] = [];
    for (const w of batch.slice(1, 33)) {
      const sc = trace.getSpanContext(w.context);
      if (sc) links.push({ context: sc });
    }
    const span = tracer().startSpan('leveldb.batch', { kind: SpanKind.INTERNAL, links, attributes: { 'engram.batch.writes': batch.length, 'engram.batch.sync': this.options.sync } }, batch[0]!.context);
    const metas: M[] = [];
    let bytes = 0;
    for (const w of batch) {
      if (w.meta !== undefined) metas.push(w.meta);
      bytes += w.bytes;
    }
    let opCount = 0;
    let ok = true;
    let failure: unknown;
    try {
      const extra = this.contributor?.contribute(metas) ?? [];
      const writeBatch = new WriteBatch(this.db);
      for (const w of batch) {
        opCount += addOps(writeBatch, w.ops);
        if (Array.isArray(w.indexOps)) opCount += addOps(writeBatch, w.indexOps);
        else if (w.indexOps !== undefined) opCount += w.indexOps.putInto(writeBatch);
      }
      opCount += addOps(writeBatch, extra);
      stageMark('commit.start', batch.length);
      await writeBatch.write(this.options.sync);
      stageMark('commit.end', batch.length);
    } catch (err) {
      ok = false;
      failure = err;
    }
    for (const w of batch) {
      for (const op of w.ops) {
        if (this.overlay.get(op.key)?.seq === w.seq) this.overlay.delete(op.key);
      }
    }
    this.queued -= batch.length;
    this.totals.batches += 1;
    this.totals.writes += batch.length;
    if (!ok) this.totals.failedBatches += 1;
    this.contributor?.settled?.(metas, ok);
    const durationMs = performance.now() - started;
    span.setAttributes({ 'engram.batch.ops': opCount, 'engram.batch.bytes': bytes });
    if (!ok) span.setStatus({ code: SpanStatusCode.ERROR, message: String(failure) });
    span.end();
    nodeMetrics().storageBatch(batch.length, bytes, durationMs / 1000);
    this.onBatch?.({ writes: batch.length, ops: opCount, bytes, durationMs, ok });
    for (const w of batch) settle(w, ok ? undefined : unavailable('storage write failed', failure));
  }
}

/** Settles a write: its onSettled first (a throw there fails the write), then its promise. */
function settle(w: Pending<unknown>, error: unknown): void {
  if (w.onSettled !== undefined) {
    try {
      w.onSettled(error === undefined);
    } catch (err) {
      error ??= err;
    }
  }
  if (error === undefined) w.resolve();
  else w.reject(error);
}

/** A write refused before it was queued: onSettled told at once, the refusal returned as a rejection. */
function refused(error: unknown, onSettled: ((ok: boolean) => void) | undefined): Promise<void> {
  try {
    onSettled?.(false);
  } catch {
    // The refusal is what the caller must see; a failing onSettled has nothing to add to it.
  }
  return Promise.reject(error);
}
