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
import { layerPriority, processMemory, retentionMs, validateMemoryInput, type ProcessedMemory } from '@engram/cognition';
import {
  EMPTY,
  encodeCount,
  expiryKey,
  hashEntryCodec,
  hashKey,
  memoryKey,
  postingKey,
  recordCodec,
  tombstoneKey,
  type BatchOp,
  type StoredMemory,
} from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import type { Hold } from './counters.js';

const deflate = promisify(deflateRaw);

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
 * The write path of Remember and RememberBatch: validation and processing outside any lock, then, under the
 * subject's lock, idempotency (client ids), tombstones and duplicate detection, and the queued write of the
 * record with its postings, hash entry and expiry entry.
 */
export class MemoryWriter {
  private readonly newId = monotonicFactory();

  constructor(private readonly ctx: ShardContext) {}

  async prepare(input: MemoryInput__Output, path: string): Promise<PreparedMemory> {
    const { limits, processing, storage } = this.ctx.config;
    const valid = validateMemoryInput(input, path, limits, this.ctx.clock.now());
    const processed = processMemory(valid, { emotionThreshold: processing.emotionThreshold, maxKeywords: processing.maxKeywords });
    const deflated = valid.payload.length > storage.payloadDeflateThreshold;
    return { processed, payload: deflated ? await deflate(valid.payload) : valid.payload, payloadDeflated: deflated };
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
      // A client-chosen id names this memory: it is stored under that id even when its content repeats.
      const duplicate = input.id === undefined ? await this.recentDuplicate(tenant, p, now) : undefined;
      if (duplicate) return this.reinforceDuplicate(tenant, duplicate, p.processed.hash, now, hold);
      return this.insert(tenant, p, input.id ?? this.newId(now), now, hold);
    } catch (err) {
      hold.release();
      throw err;
    }
  }

  private async recentDuplicate(tenant: string, p: PreparedMemory, now: number): Promise<StoredMemory | undefined> {
    const window = this.ctx.config.processing.dedupWindow;
    if (window === 0) return undefined;
    const { input, hash } = p.processed;
    const bytes = this.ctx.store.peek(hashKey(tenant, input.subject, hash));
    if (!bytes) return undefined;
    const entry = hashEntryCodec.decode(bytes);
    if (now - entry.ingestedAtMs > window) return undefined;
    const existing = await this.ctx.records.get(memoryKey(tenant, input.subject, entry.id));
    return existing && (existing.expiresAtMs === 0 || existing.expiresAtMs > now) ? existing : undefined;
  }

  private reinforceDuplicate(tenant: string, existing: StoredMemory, hash: string, now: number, hold: Hold): Applied {
    const ctx = this.ctx;
    const key = memoryKey(tenant, existing.subject, existing.id);
    const expiresAtMs = extendedExpiry(existing, now, retentionMs(existing.layer, ctx.config.retention));
    const updated = {
      ...existing,
      accessCount: existing.accessCount + 1,
      recentAccessMs: withAccesses(existing.recentAccessMs, [now], ctx.config.processing.accessHistory),
      expiresAtMs,
    };
    const bytes = recordCodec.encode(updated);
    const ops: BatchOp[] = [
      { type: 'put', key, value: bytes },
      { type: 'put', key: hashKey(tenant, existing.subject, hash), value: hashEntryCodec.encode({ id: existing.id, ingestedAtMs: now }) },
      ...expiryMoves(tenant, existing, expiresAtMs),
    ];
    const stored = recordCodec.decode(bytes);
    const commit = queueWrite(ctx, tenant, existing.subject, { ops, priority: layerPriority(existing.layer), meta: { deltas: [], holds: [hold] } }, [
      [key, stored],
    ]);
    return { response: responseOf(stored, true), commit };
  }

  private insert(tenant: string, p: PreparedMemory, id: string, now: number, hold: Hold): Applied {
    const ctx = this.ctx;
    const { input, terms } = p.processed;
    const version = ctx.hlc.now();
    const retention = retentionMs(p.processed.layer, ctx.config.retention);
    const expiresAtMs =
      input.expiresAtMs ?? (input.ttlMs !== undefined ? now + input.ttlMs : Number.isFinite(retention) ? now + retention : 0);
    const key = memoryKey(tenant, input.subject, id);
    const bytes = recordCodec.encode({
      id,
      subject: input.subject,
      layer: p.processed.layer,
      kind: input.kind,
      content: input.content,
      tags: input.tags,
      attributes: input.attributes,
      payload: p.payload,
      payloadDeflated: p.payloadDeflated,
      embedding: input.embedding ?? [],
      occurredAtMs: input.occurredAtMs ?? now,
      ingestedAtMs: now,
      importance: p.processed.importance,
      valence: p.processed.valence,
      arousal: p.processed.arousal,
      accessCount: 0,
      recentAccessMs: [],
      versionWallMs: version.wallMs,
      versionLogical: version.logical,
      versionNode: version.node,
      expiresAtMs,
      expiryExplicit: input.expiresAtMs !== undefined || input.ttlMs !== undefined,
      evidenceIds: input.evidenceIds,
      keywords: p.processed.keywords,
      contentHash: p.processed.hash,
      terms: [...terms.counts].map(([term, count]) => ({ term, count })),
      length: terms.length,
    });
    const ops: BatchOp[] = [{ type: 'put', key, value: bytes }];
    for (const [term, count] of terms.counts) {
      ops.push({ type: 'put', key: postingKey(tenant, term, input.subject, id), value: encodeCount(count) });
    }
    if (ctx.config.processing.dedupWindow > 0) {
      ops.push({
        type: 'put',
        key: hashKey(tenant, input.subject, p.processed.hash),
        value: hashEntryCodec.encode({ id, ingestedAtMs: now }),
      });
    }
    if (expiresAtMs !== 0) ops.push({ type: 'put', key: expiryKey(expiresAtMs, tenant, input.subject, id), value: EMPTY });
    const stored = recordCodec.decode(bytes);
    const commit = queueWrite(
      ctx,
      tenant,
      input.subject,
      {
        ops,
        priority: layerPriority(p.processed.layer),
        meta: {
          deltas: [{ tenant, subject: input.subject, memories: 1, length: terms.length, layers: [[p.processed.layer, 1]] }],
          holds: [hold],
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
    const bySubject = new Map<string, { index: number; prepared: PreparedMemory }[]>();
    await Promise.all(
      inputs.map(async (input, index) => {
        try {
          const prepared = await this.prepare(input, `memories[${index}]`);
          const key = subjectLockKey(tenant, prepared.processed.input.subject);
          let list = bySubject.get(key);
          if (!list) bySubject.set(key, (list = []));
          list.push({ index, prepared });
        } catch (err) {
          fail(index, err);
        }
      }),
    );
    const commits: Promise<void>[] = [];
    await Promise.all(
      [...bySubject].map(([key, items]) =>
        this.ctx.subjects.run(key, async () => {
          items.sort((a, b) => a.index - b.index);
          for (const { index, prepared } of items) {
            try {
              const applied = await this.applyLocked(tenant, prepared, `memories[${index}]`);
              commits.push(applied.commit.then(() => void (results[index] = { index, ok: applied.response }), (err: unknown) => fail(index, err)));
            } catch (err) {
              fail(index, err);
            }
          }
        }),
      ),
    );
    await Promise.all(commits);
    const failed = results.filter((r) => r.error).length;
    return { results, succeeded: results.length - failed, failed };
  }

  /** Remember: prepare, write under the subject's lock, wait for the commit outside it. */
  async remember(tenant: string, input: MemoryInput__Output): Promise<RememberResponse> {
    const prepared = await this.prepare(input, 'memory');
    const subject = prepared.processed.input.subject;
    const applied = await this.ctx.subjects.run(subjectLockKey(tenant, subject), () => this.applyLocked(tenant, prepared, 'memory'));
    await applied.commit;
    return applied.response;
  }
}

/** Retention counts from the last use: a reinforced memory's expiry moves out (unless the client fixed it). */
export function extendedExpiry(r: StoredMemory, now: number, retention: number): number {
  if (r.expiryExplicit || r.expiresAtMs === 0 || !Number.isFinite(retention)) return r.expiresAtMs;
  return Math.max(r.expiresAtMs, now + retention);
}

/** Ops that move a memory's expiry entry when its expiry changes. */
export function expiryMoves(tenant: string, r: StoredMemory, newExpiresAtMs: number): BatchOp[] {
  if (newExpiresAtMs === r.expiresAtMs) return [];
  const ops: BatchOp[] = [];
  if (r.expiresAtMs !== 0) ops.push({ type: 'del', key: expiryKey(r.expiresAtMs, tenant, r.subject, r.id) });
  if (newExpiresAtMs !== 0) ops.push({ type: 'put', key: expiryKey(newExpiresAtMs, tenant, r.subject, r.id), value: EMPTY });
  return ops;
}
