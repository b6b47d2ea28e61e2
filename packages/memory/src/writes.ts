import { randomFillSync } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import { monotonicFactory } from 'ulid';
import {
  alreadyExists,
  EngramError,
  failedPrecondition,
  resourceExhausted,
  type ItemError,
  type RememberBatchResponse,
  type RememberBatchResult,
  LAYER_NAMES,
  toTimestamp,
  type MemoryInput__Output,
  type RememberResponse,
} from '@engram/protocol';
import { layerPriority, processMemory, retentionMs, validateMemoryInput, type ProcessedMemory, type ProcessingOptions } from '@engram/cognition';
import {
  accessCodec,
  accessKeyOf,
  EMPTY,
  expiryKey,
  hashEntryCodec,
  hashKey,
  memoryKey,
  recordCodec,
  tombstoneKey,
  type AccessStats,
  type BatchOp,
  type HlcTimestamp,
  type StoredMemory,
} from '@engram/storage';
import { stageMark } from '@engram/telemetry';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import { RecentHashes } from './recent-hashes.js';
import { withAccessStats } from './records.js';
import type { Hold } from './counters.js';

const deflate = promisify(deflateRaw);
const NO_PAYLOAD = Buffer.alloc(0);
/** Random bytes drawn per refill of the id generator's pool. */
const RANDOM_POOL_BYTES = 4096;

/**
 * A PRNG for ulid drawing bytes from the system CSPRNG a pool at a time. ulid asks for one random number per
 * character and its default source makes a getRandomValues call for each; this gives the same distribution
 * (a uniform byte / 256) at one call per RANDOM_POOL_BYTES characters.
 */
export function pooledRandom(poolBytes = RANDOM_POOL_BYTES): () => number {
  const pool = new Uint8Array(poolBytes);
  let next = poolBytes;
  return () => {
    if (next === poolBytes) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]! / 256;
  };
}

/** A validated, processed input ready to be written (everything that needs no lock). */
export interface PreparedMemory {
  processed: ProcessedMemory;
  payload: Buffer;
  payloadDeflated: boolean;
}

export interface Applied {
  response: RememberResponse;
  /** Resolves when the write is durable; already resolved when nothing had to be written. */
  commit: Promise<void>;
}

/** Appends access times, keeping the most recent `keep`. */
export function withAccesses(recent: readonly number[], times: readonly number[], keep: number): number[] {
  const all = [...recent, ...times].sort((a, b) => a - b);
  return all.slice(Math.max(0, all.length - keep));
}

function responseOf(r: StoredMemory, deduplicated: boolean): RememberResponse {
  return {
    id: r.id,
    layer: LAYER_NAMES[r.layer],
    deduplicated,
    version: { wallMs: r.versionWallMs, logical: r.versionLogical, node: r.versionNode },
    expiresAt: r.expiresAtMs === 0 ? null : toTimestamp(r.expiresAtMs),
    importance: r.importance,
    valence: r.valence,
    arousal: r.arousal,
  };
}

/**
 * The record of a new memory, as decoding its encoding would give it (so that it can be cached and answered from
 * without decoding what was just encoded): float fields rounded to 32 bits, every field present, and nothing
 * shared with the request, which its caller may reuse (the payload in a buffer of its own, not a view into the
 * request's; the lists and attributes copied).
 */
function newRecord(p: PreparedMemory, id: string, now: number, expiresAtMs: number, version: HlcTimestamp, indexSegment: number): StoredMemory {
  const { input, terms } = p.processed;
  return {
    id,
    subject: input.subject,
    layer: p.processed.layer,
    kind: input.kind,
    content: input.content,
    tags: [...input.tags],
    attributes: { ...input.attributes },
    payload: p.payload.length === 0 ? NO_PAYLOAD : Buffer.from(p.payload),
    payloadDeflated: p.payloadDeflated,
    embedding: input.embedding ? input.embedding.map(Math.fround) : [],
    occurredAtMs: input.occurredAtMs ?? now,
    ingestedAtMs: now,
    importance: Math.fround(p.processed.importance),
    valence: Math.fround(p.processed.valence),
    arousal: Math.fround(p.processed.arousal),
    accessCount: 0,
    recentAccessMs: [],
    versionWallMs: version.wallMs,
    versionLogical: version.logical,
    versionNode: version.node,
    expiresAtMs,
    expiryExplicit: input.expiresAtMs !== undefined || input.ttlMs !== undefined,
    evidenceIds: [...input.evidenceIds],
    keywords: p.processed.keywords,
    contentHash: p.processed.hash,
    // Made for this record by processMemory, and not used after.
    terms: terms.frequencies,
    length: terms.length,
    indexSegment,
  };
}

/**
 * The write path of Remember and RememberBatch: validation and processing outside any lock, then, under the
 * subject's lock, idempotency (client ids), tombstones and duplicate detection, and the queued write of the
 * record with its postings, hash entry and expiry entry.
 */
export class MemoryWriter {
  private readonly newId = monotonicFactory(pooledRandom());
  /** Hash entries written lately, so that most inserts skip reading theirs; absent when dedup is off. */
  private readonly recentHashes: RecentHashes | undefined;
  private readonly processing: ProcessingOptions;

  constructor(private readonly ctx: ShardContext) {
    const { emotionThreshold, maxKeywords } = ctx.config.processing;
    this.processing = { emotionThreshold, maxKeywords };
    const window = ctx.config.processing.dedupWindow;
    if (window > 0) {
      this.recentHashes = new RecentHashes(window, () => ctx.clock.now());
      void this.recentHashes.load(ctx.store);
    }
  }

  /** Validates and processes an input: at once, unless its payload is large enough to be deflated first. */
  prepare(input: MemoryInput__Output, path: string): PreparedMemory | Promise<PreparedMemory> {
    const { limits, storage } = this.ctx.config;
    const valid = validateMemoryInput(input, path, limits, this.ctx.clock.now());
    const processed = processMemory(valid, this.processing);
    if (valid.payload.length <= storage.payloadDeflateThreshold) return { processed, payload: valid.payload, payloadDeflated: false };
    return deflate(valid.payload).then((payload) => ({ processed, payload, payloadDeflated: true }));
  }

  /** Writes one prepared memory; the caller holds the subject's lock. */
  async applyLocked(tenant: string, p: PreparedMemory, path: string): Promise<Applied> {
    const ctx = this.ctx;
    const { input } = p.processed;
    const hold = ctx.counters.hold(tenant, input.subject);
    try {
      const now = ctx.clock.now();
      if (input.id !== undefined) {
        const existing = await ctx.records.get(memoryKey(tenant, input.subject, input.id));
        if (existing) {
          if (existing.contentHash !== p.processed.hash) throw alreadyExists(`${path}.id: ${input.id} already names a different memory`);
          hold.release();
          return { response: responseOf(existing, false), commit: Promise.resolve() };
        }
        if (ctx.store.peek(tombstoneKey(tenant, input.subject, input.id))) {
          throw failedPrecondition(`${path}.id: ${input.id} was forgotten; a forgotten memory cannot be written again`);
        }
      }
      const dedupKey = this.recentHashes ? hashKey(tenant, input.subject, p.processed.hash) : undefined;
      // A client-chosen id names this memory: it is stored under that id even when its content repeats.
      const entryId = input.id === undefined && dedupKey !== undefined ? this.recentEntryId(dedupKey, now) : undefined;
      const duplicate = entryId === undefined ? undefined : await this.liveMemory(tenant, input.subject, entryId, now);
      if (duplicate) return this.reinforceDuplicate(tenant, duplicate, dedupKey!, now, hold);
      return this.insert(tenant, p, input.id ?? this.newId(now), now, hold, dedupKey);
    } catch (err) {
      hold.release();
      throw err;
    }
  }

  /**
   * The common case of applyLocked without its promises: a memory without a client id whose content was not seen
   * within the dedup window is inserted at once. Undefined when the write needs a read first (a client id to check,
   * a possible duplicate), and then nothing was done. The caller holds the subject's lock or has found it free.
   */
  private insertNow(tenant: string, p: PreparedMemory): Applied | undefined {
    const { input } = p.processed;
    if (input.id !== undefined) return undefined;
    const ctx = this.ctx;
    const now = ctx.clock.now();
    const dedupKey = this.recentHashes ? hashKey(tenant, input.subject, p.processed.hash) : undefined;
    if (dedupKey !== undefined && this.recentEntryId(dedupKey, now) !== undefined) return undefined;
    const hold = ctx.counters.hold(tenant, input.subject);
    try {
      return this.insert(tenant, p, this.newId(now), now, hold, dedupKey);
    } catch (err) {
      hold.release();
      throw err;
    }
  }

  /** The memory id of a hash entry ingested within the dedup window, if there is one. */
  private recentEntryId(dedupKey: string, now: number): string | undefined {
    const window = this.ctx.config.processing.dedupWindow;
    if (!this.recentHashes!.mayHave(dedupKey, now - window)) return undefined;
    const bytes = this.ctx.store.peek(dedupKey);
    if (!bytes) return undefined;
    const entry = hashEntryCodec.decode(bytes);
    return now - entry.ingestedAtMs > window ? undefined : entry.id;
  }

  private async liveMemory(tenant: string, subject: string, id: string, now: number): Promise<StoredMemory | undefined> {
    const existing = await this.ctx.records.get(memoryKey(tenant, subject, id));
    return existing && (existing.expiresAtMs === 0 || existing.expiresAtMs > now) ? existing : undefined;
  }

  private reinforceDuplicate(tenant: string, existing: StoredMemory, dedupKey: string, now: number, hold: Hold): Applied {
    const ctx = this.ctx;
    const key = memoryKey(tenant, existing.subject, existing.id);
    // Like any reinforcement: the memory's AccessRecord is written, not its record (see ReinforcementBuffer).
    const stats = accessesAdded(existing, [now], retentionMs(existing.layer, ctx.config.retention), ctx.config.processing.accessHistory);
    const ops: BatchOp[] = [
      { type: 'put', key: accessKeyOf(key), value: accessCodec.encode(stats) },
      { type: 'put', key: dedupKey, value: hashEntryCodec.encode({ id: existing.id, ingestedAtMs: now }) },
      ...expiryMoves(tenant, existing, stats.expiresAtMs),
    ];
    const stored = withAccessStats(existing, stats);
    this.recentHashes!.note(dedupKey, now);
    const commit = queueWrite(ctx, tenant, existing.subject, { ops, priority: layerPriority(existing.layer), meta: { deltas: [], holds: [hold] } }, [
      [key, stored],
    ]);
    return { response: responseOf(stored, true), commit };
  }

  /** Writes a new memory; dedupKey names its hash entry (none when dedup is off). */
  private insert(tenant: string, p: PreparedMemory, id: string, now: number, hold: Hold, dedupKey: string | undefined): Applied {
    const ctx = this.ctx;
    const { input, terms } = p.processed;
    const retention = retentionMs(p.processed.layer, ctx.config.retention);
    const expiresAtMs =
      input.expiresAtMs ?? (input.ttlMs !== undefined ? now + input.ttlMs : Number.isFinite(retention) ? now + retention : 0);
    const key = memoryKey(tenant, input.subject, id);
    const segment = ctx.postings.openSegment;
    const stored = newRecord(p, id, now, expiresAtMs, ctx.hlc.now(), segment);
    const ops: BatchOp[] = [{ type: 'put', key, value: recordCodec.encode(stored) }];
    if (dedupKey !== undefined) {
      ops.push({ type: 'put', key: dedupKey, value: hashEntryCodec.encode({ id, ingestedAtMs: now }) });
      this.recentHashes!.note(dedupKey, now);
    }
    // The expiry entry is only scanned, and whatever rewrites it later writes the record too. The postings join the
    // posting index's open segment when the write commits (queueWrite), journalled with its batch.
    const indexOps: BatchOp[] | undefined = expiresAtMs === 0 ? undefined : [{ type: 'put', key: expiryKey(expiresAtMs, tenant, input.subject, id), value: EMPTY }];
    const commit = queueWrite(
      ctx,
      tenant,
      input.subject,
      {
        ops,
        indexOps,
        priority: layerPriority(p.processed.layer),
        meta: {
          deltas: [{ tenant, subject: input.subject, memories: 1, length: terms.length, layers: [[p.processed.layer, 1]], key: hold.key }],
          holds: [hold],
          postings: { segment, tenant, subject: input.subject, id, terms: stored.terms },
        },
      },
      [[key, stored]],
    );
    return { response: responseOf(stored, false), commit };
  }

  /**
   * RememberBatch: every item gets its own result. Items are grouped by subject; each subject's items are
   * written in request order under its lock, and all commits are awaited together (one group-commit batch for
   * most of them).
   */
  async rememberBatch(tenant: string, inputs: readonly MemoryInput__Output[], onBug: (err: unknown) => ItemError): Promise<RememberBatchResponse> {
    if (inputs.length > this.ctx.config.limits.batchItems) {
      throw resourceExhausted(`memories: a batch may hold at most ${this.ctx.config.limits.batchItems} items, got ${inputs.length}`);
    }
    const results: RememberBatchResult[] = new Array(inputs.length);
    const fail = (index: number, err: unknown) => {
      results[index] = { index, error: err instanceof EngramError ? { code: err.code, message: err.message } : onBug(err) };
    };
    const prepared: (PreparedMemory | undefined)[] = new Array(inputs.length);
    let deflating: Promise<void>[] | undefined;
    for (let index = 0; index < inputs.length; index++) {
      try {
        const p = this.prepare(inputs[index]!, `memories[${index}]`);
        if (p instanceof Promise) (deflating ??= []).push(p.then((v) => void (prepared[index] = v), (err: unknown) => fail(index, err)));
        else prepared[index] = p;
      } catch (err) {
        fail(index, err);
      }
    }
    if (deflating) await Promise.all(deflating);
    // Each subject's items in request order.
    const bySubject = new Map<string, number[]>();
    for (let index = 0; index < inputs.length; index++) {
      const p = prepared[index];
      if (p === undefined) continue;
      const key = subjectLockKey(tenant, p.processed.input.subject);
      const list = bySubject.get(key);
      if (list === undefined) bySubject.set(key, [index]);
      else list.push(index);
    }
    const commits: Promise<void>[] = [];
    const committing: number[] = [];
    const apply = (index: number, applied: Applied) => {
      results[index] = { index, ok: applied.response };
      commits.push(applied.commit);
      committing.push(index);
    };
    const sections: Promise<void>[] = [];
    for (const [key, indexes] of bySubject) {
      // A free subject takes the items that need no read at once; a held one, or the rest from the first item that
      // needs a read, waits for its lock.
      let next = 0;
      if (!this.ctx.subjects.isHeld(key)) {
        for (; next < indexes.length; next++) {
          const index = indexes[next]!;
          let applied: Applied | undefined;
          try {
            applied = this.insertNow(tenant, prepared[index]!);
          } catch (err) {
            fail(index, err);
            continue;
          }
          if (applied === undefined) break;
          apply(index, applied);
        }
      }
      if (next === indexes.length) continue;
      sections.push(
        this.ctx.subjects.run(key, async () => {
          // The records of the client ids, read at once: each item's check then answers from the cache without a
          // read of its own, so the subject's items queue in one turn and commit together instead of one by one.
          const idKeys: string[] = [];
          for (const index of indexes.slice(next)) {
            const input = prepared[index]!.processed.input;
            if (input.id !== undefined) idKeys.push(memoryKey(tenant, input.subject, input.id));
          }
          if (idKeys.length > 1) await this.ctx.records.getMany(idKeys);
          for (const index of indexes.slice(next)) {
            try {
              apply(index, await this.applyLocked(tenant, prepared[index]!, `memories[${index}]`));
            } catch (err) {
              fail(index, err);
            }
          }
        }),
      );
    }
    if (sections.length > 0) await Promise.all(sections);
    // Not kept alive while the commits are awaited.
    prepared.fill(undefined);
    bySubject.clear();
    stageMark('write.queued', inputs.length);
    const outcomes = await Promise.allSettled(commits);
    stageMark('write.committed', inputs.length);
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') fail(committing[i]!, o.reason);
    });
    const failed = results.filter((r) => r.error).length;
    return { results, succeeded: results.length - failed, failed };
  }

  /** Remember: prepare, write under the subject's lock (or at once when it is free), wait for the commit outside it. */
  async remember(tenant: string, input: MemoryInput__Output): Promise<RememberResponse> {
    const p = this.prepare(input, 'memory');
    const prepared = p instanceof Promise ? await p : p;
    const key = subjectLockKey(tenant, prepared.processed.input.subject);
    const applied =
      (this.ctx.subjects.isHeld(key) ? undefined : this.insertNow(tenant, prepared)) ??
      (await this.ctx.subjects.run(key, () => this.applyLocked(tenant, prepared, 'memory')));
    await applied.commit;
    return applied.response;
  }
}

/** Retention counts from the last use: a reinforced memory's expiry moves out (unless the client fixed it). */
export function extendedExpiry(r: StoredMemory, now: number, retention: number): number {
  if (r.expiryExplicit || r.expiresAtMs === 0 || !Number.isFinite(retention)) return r.expiresAtMs;
  return Math.max(r.expiresAtMs, now + retention);
}

/** A memory's accesses with more added: its AccessRecord after them, the expiry moved out as the layer's retention says. */
export function accessesAdded(r: StoredMemory, times: readonly number[], retention: number, keep: number): AccessStats {
  let last = -Infinity;
  for (const t of times) if (t > last) last = t;
  return {
    accessCount: r.accessCount + times.length,
    recentAccessMs: withAccesses(r.recentAccessMs, times, keep),
    expiresAtMs: extendedExpiry(r, last, retention),
  };
}

/** Ops that move a memory's expiry entry when its expiry changes. */
export function expiryMoves(tenant: string, r: StoredMemory, newExpiresAtMs: number): BatchOp[] {
  if (newExpiresAtMs === r.expiresAtMs) return [];
  const ops: BatchOp[] = [];
  if (r.expiresAtMs !== 0) ops.push({ type: 'del', key: expiryKey(r.expiresAtMs, tenant, r.subject, r.id) });
  if (newExpiresAtMs !== 0) ops.push({ type: 'put', key: expiryKey(newExpiresAtMs, tenant, r.subject, r.id), value: EMPTY });
  return ops;
}
