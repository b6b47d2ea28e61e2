import { join } from 'node:path';
import type { ShardConfig } from '@engram/config';
import { FORGET_PRIORITY, validateId, validateSubject } from '@engram/cognition';
import {
  isEngramError,
  type EngramError,
  failedPrecondition,
  LAYER_NAMES,
  notFound,
  type ForgetResponse,
  type ForgetSubjectResponse,
  type ItemError,
  type MemoryInput__Output,
  type QueryRequest__Output,
  type QueryResponse,
  type RecallResponse,
  type RememberBatchResponse,
  type RememberResponse,
  type ScatterQueryRequest__Output,
  type ScatterQueryResponse,
  type StatsResponse,
  type LoadFigures,
} from '@engram/protocol';
import type { Gauges } from '@engram/telemetry';
import { HybridLogicalClock, levelOptions, ManualClock, memoryKey, recordCodec, Store, type BatchContributor, type BatchStats, type Clock, type StoredMemory } from '@engram/storage';
import type { Logger } from '@engram/telemetry';
import { WriteAdmission } from './admission.js';
import { CompactionScheduler } from './compaction.js';
import type { ShardContext } from './context.js';
import { CounterBook, type WriteMeta } from './counters.js';
import { forgetMemory, forgetSubject } from './deletes.js';
import { FreedRanges } from './freed-ranges.js';
import { KeyedLock } from './keyed-lock.js';
import { PostingIndex, type NewPostings } from './postings.js';
import { QueryEngine } from './queries.js';
import { isLive, RecordReader, recordWithAccesses } from './records.js';
import { ReinforcementBuffer } from './reinforcement.js';
import { RetentionSweeper } from './sweeper.js';
import { ThoughtStore } from './thoughts.js';
import { toWireMemory } from './to-wire.js';
import { MemoryWriter, withAccesses } from './writes.js';

export interface EngineOptions {
  config: ShardConfig;
  nodeId: string;
  clock: Clock;
  logger: Logger;
  /** Called after every group-commit batch. */
  onBatch?: (stats: BatchStats) => void;
  /** Where this node's metrics are scraped, and its load figures, for Stats. */
  metricsAddress?: string;
  load?: () => LoadFigures;
}

/**
 * A memory shard's engine: one LevelDB store with its cache, counters and background work (access write-back,
 * retention sweeps, compaction). Tenancy is explicit: every call names its tenant.
 */
/** One Recall of a batch. */
export interface RecallItem {
  subject: string;
  id: string;
  reinforce: boolean;
}

export class MemoryEngine {
  private readonly startedAt = Date.now();
  /** Patterns, weights, dream state and consolidation, for thought engines. */
  readonly thoughts: ThoughtStore;

  private diskBytes = 0;
  private readonly admission: WriteAdmission;
  private diskBytesAt = 0;

  private constructor(
    private readonly ctx: ShardContext,
    private readonly options: EngineOptions,
    private readonly writer: MemoryWriter,
    private readonly queries: QueryEngine,
    private readonly reinforcement: ReinforcementBuffer,
    private readonly sweeper: RetentionSweeper,
    private readonly compaction: CompactionScheduler,
  ) {
    this.thoughts = new ThoughtStore(ctx, () => reinforcement.flush());
    this.admission = new WriteAdmission({ maxInFlight: ctx.config.batching.maxInFlight, maxWaitMs: ctx.config.batching.maxQueueWait });
  }

  static async open(options: EngineOptions): Promise<MemoryEngine> {
    const { config } = options;
    const counters = new CounterBook();
    const postings = new PostingIndex(
      { segmentPostings: config.storage.postingSegmentPostings, segmentMaxAgeMs: config.storage.postingSegmentMaxAge, flushPriority: FORGET_PRIORITY },
      () => options.clock.now(),
      options.logger,
    );
    // Counters, and the journal entry of the batch's new postings, follow commit order.
    const contributor: BatchContributor<WriteMeta> = {
      contribute(metas) {
        const ops = counters.contribute(metas);
        let fresh: NewPostings[] | undefined;
        for (const m of metas) if (m.postings !== undefined) (fresh ??= []).push(m.postings);
        return fresh === undefined ? ops : ops.concat(postings.journalOps(fresh));
      },
      settled: (metas, ok) => counters.settled(metas, ok),
    };
    const location = config.storage.dataDir || join('data', options.nodeId);
    const store = await Store.open<WriteMeta>(
      location,
      levelOptions(config.storage),
      {
        maxWrites: config.batching.maxWrites,
        maxBytes: config.batching.maxBytes,
        maxDelayMs: config.batching.maxDelay,
        maxPending: config.batching.maxPending,
        sync: config.storage.sync,
      },
      contributor,
      options.onBatch,
    );
    await counters.attach(store);
    await postings.attach(store as Store<unknown>, async (keys) => (await store.getMany(keys)).map((v) => (v ? recordCodec.decode(v) : undefined)));
    const ctx: ShardContext = {
      config,
      nodeId: options.nodeId,
      clock: options.clock,
      hlc: new HybridLogicalClock(options.nodeId, options.clock),
      store,
      records: new RecordReader(store, config.cache.maxBytes),
      counters,
      subjects: new KeyedLock(),
      lastCommit: new Map(),
      freed: new FreedRanges(),
      postings,
      logger: options.logger,
    };
    const reinforcement = new ReinforcementBuffer(ctx);
    const engine = new MemoryEngine(
      ctx,
      options,
      new MemoryWriter(ctx),
      new QueryEngine(ctx, reinforcement),
      reinforcement,
      new RetentionSweeper(ctx, () => reinforcement.flush()),
      new CompactionScheduler(ctx),
    );
    reinforcement.start();
    postings.start();
    engine.sweeper.start();
    engine.compaction.start();
    options.logger.info({ location, memories: engine.totals().memories }, 'store open');
    return engine;
  }

  remember(tenant: string, input: MemoryInput__Output): Promise<RememberResponse> {
    return this.admission.run(1, () => this.writer.remember(tenant, input));
  }

  rememberBatch(tenant: string, inputs: readonly MemoryInput__Output[], onBug: (err: unknown) => ItemError): Promise<RememberBatchResponse> {
    const { batchItems } = this.ctx.config.limits;
    // Too large a batch is refused before it waits for anything.
    if (inputs.length > batchItems) return this.writer.rememberBatch(tenant, inputs, onBug);
    return this.admission.run(inputs.length, () => this.writer.rememberBatch(tenant, inputs, onBug));
  }

  /** The write path's admission: memories being written, waiting, and writes refused as busy. */
  admissionStats(): { inFlight: number; waiting: number; refused: number } {
    return this.admission.stats();
  }

  async recall(tenant: string, subject: string, id: string, reinforce: boolean): Promise<RecallResponse> {
    validateSubject(subject, 'subject', this.ctx.config.limits.subjectBytes);
    validateId(id, 'id');
    const now = this.ctx.clock.now();
    const record = await this.ctx.records.get(memoryKey(tenant, subject, id));
    return this.recalled(tenant, subject, id, record, reinforce, now);
  }

  /**
   * Recalls of a batch, each answered (or refused) as Recall would: the records not cached are read with one
   * getMany instead of a LevelDB read each. An item's EngramError is its answer; anything else is a bug and thrown.
   */
  async recallMany(tenant: string, requests: readonly RecallItem[]): Promise<(RecallResponse | EngramError)[]> {
    const out: (RecallResponse | EngramError)[] = new Array(requests.length);
    const keys: string[] = [];
    const at: number[] = [];
    const subjectBytes = this.ctx.config.limits.subjectBytes;
    requests.forEach((r, i) => {
      try {
        validateSubject(r.subject, 'subject', subjectBytes);
        validateId(r.id, 'id');
      } catch (err) {
        if (!isEngramError(err)) throw err;
        out[i] = err;
        return;
      }
      keys.push(memoryKey(tenant, r.subject, r.id));
      at.push(i);
    });
    const now = this.ctx.clock.now();
    const records = keys.length > 0 ? await this.ctx.records.getMany(keys) : [];
    at.forEach((i, j) => {
      const r = requests[i]!;
      try {
        out[i] = this.recalled(tenant, r.subject, r.id, records[j], r.reinforce, now);
      } catch (err) {
        if (!isEngramError(err)) throw err;
        out[i] = err;
      }
    });
    return out;
  }

  /** The answer to a Recall of the record read (or NOT_FOUND), counting the access when asked to. */
  private recalled(tenant: string, subject: string, id: string, record: StoredMemory | undefined, reinforce: boolean, now: number): RecallResponse {
    if (!record || !isLive(record, now)) throw notFound(`memory ${id} of subject ${JSON.stringify(subject)} not found`);
    if (reinforce) this.reinforcement.add(tenant, subject, id, now);
    // The answer includes the accesses not yet written back, this one too.
    const pending = this.reinforcement.pendingFor(tenant, subject, id);
    const current =
      pending.length === 0
        ? record
        : recordWithAccesses(record, record.accessCount + pending.length, withAccesses(record.recentAccessMs, pending, this.ctx.config.processing.accessHistory), record.expiresAtMs);
    return { memory: toWireMemory(current, now + 1, this.ctx.config.ranking.activationDecay) };
  }

  query(tenant: string, req: QueryRequest__Output): Promise<QueryResponse> {
    return this.queries.query(tenant, req);
  }

  scatter(tenant: string, req: ScatterQueryRequest__Output): Promise<ScatterQueryResponse> {
    return this.queries.scatter(tenant, req);
  }

  /** Counts accesses the gateway reports for results of tenant-wide queries. */
  reinforce(tenant: string, refs: readonly { subject: string; id: string }[], atMs: number): number {
    const limits = this.ctx.config.limits;
    refs.forEach((r, i) => {
      validateSubject(r.subject, `refs[${i}].subject`, limits.subjectBytes);
      validateId(r.id, `refs[${i}].id`);
    });
    const at = atMs > 0 ? atMs : this.ctx.clock.now();
    for (const r of refs) this.reinforcement.add(tenant, r.subject, r.id, at);
    return refs.length;
  }

  async forget(tenant: string, subject: string, id: string): Promise<ForgetResponse> {
    validateSubject(subject, 'subject', this.ctx.config.limits.subjectBytes);
    validateId(id, 'id');
    return { existed: await forgetMemory(this.ctx, tenant, subject, id) };
  }

  async forgetSubject(tenant: string, subject: string): Promise<ForgetSubjectResponse> {
    validateSubject(subject, 'subject', this.ctx.config.limits.subjectBytes);
    return { deleted: await forgetSubject(this.ctx, tenant, subject) };
  }

  private totals() {
    let memories = 0;
    let subjects = 0;
    const layers = new Map<number, number>();
    for (const t of this.ctx.counters.allTenants().values()) {
      memories += t.memories;
      subjects += t.subjects;
      for (const [layer, n] of t.layers) layers.set(layer, (layers.get(layer) ?? 0) + n);
    }
    return { memories, subjects, layers, tenants: this.ctx.counters.allTenants().size };
  }

  async stats(): Promise<StatsResponse> {
    const totals = this.totals();
    return {
      nodeId: this.ctx.nodeId,
      memories: totals.memories,
      subjects: totals.subjects,
      layers: [...totals.layers]
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => a - b)
        .map(([layer, n]) => ({ layer: LAYER_NAMES[layer] ?? String(layer), memories: n })),
      diskBytes: await this.ctx.store.diskBytes(),
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      cacheBytes: this.ctx.records.cache.stats().bytes,
      pendingWrites: this.ctx.store.writer.pending,
      expiredTotal: this.sweeper.expiredTotal,
      compactionsTotal: this.compaction.compactions,
      tenants: totals.tenants,
      load: this.options.load?.() ?? null,
      metricsAddress: this.options.metricsAddress ?? '',
    };
  }

  /** Test hook: moves a manual clock, optionally sweeping at the new time. */
  async setClock(nowMs: number, sweep: boolean): Promise<{ nowMs: number; expired: number }> {
    if (!(this.ctx.clock instanceof ManualClock)) throw failedPrecondition('the shard clock is not manual (ENGRAM_TEST_CLOCK=manual)');
    this.ctx.clock.set(nowMs);
    const expired = sweep ? await this.sweeper.run() : 0;
    return { nowMs, expired };
  }

  /** Runs a retention sweep and a compaction now (tests, admin). */
  async maintain(): Promise<number> {
    const expired = await this.sweeper.run();
    await this.compaction.run();
    return expired;
  }

  /** Stops background work, writes back accesses, flushes pending batches and closes the store. */
  /** What the shard's metrics read when scraped. */
  gauges(): Partial<Gauges> {
    return {
      memoriesByLayer: () => [...this.totals().layers].filter(([layer]) => layer > 0).map(([layer, n]) => [LAYER_NAMES[layer] ?? String(layer), n] as [string, number]),
      subjects: () => this.totals().subjects,
      pendingWrites: () => this.ctx.store.writer.pending,
      writeAdmission: () => this.admission.stats(),
      diskBytes: () => {
        // Reading the directory is I/O: refresh in the background at most every few seconds.
        if (Date.now() - this.diskBytesAt > 5000) {
          this.diskBytesAt = Date.now();
          void this.ctx.store.diskBytes().then((n) => (this.diskBytes = n), () => undefined);
        }
        return this.diskBytes;
      },
      compactions: () => this.compaction.compactions,
      postings: () => ({ buffered: this.ctx.postings.bufferedPostings, flushes: this.ctx.postings.flushes }),
      expired: () => this.sweeper.expiredTotal,
      cache: () => this.ctx.records.cache.stats(),
    };
  }

  async close(): Promise<void> {
    await this.reinforcement.close();
    await this.sweeper.close();
    await this.compaction.close();
    await this.ctx.postings.close();
    await this.ctx.store.close();
    this.ctx.logger.info('store closed');
  }
}
