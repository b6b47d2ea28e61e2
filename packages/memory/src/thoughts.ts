import { baseLevelActivation, Layer, MAINTENANCE_PRIORITY, validateId, validateSubject } from '@engram/cognition';
import { applyFeedback, effectiveLearningRate, initialWeight, promotionScore, shouldPromote, type WeightState } from '@engram/learning';
import {
  fromTimestamp,
  invalidArgument,
  MAX_PROMOTED_IDS,
  layerNumber,
  LAYER_NAMES,
  notFound,
  type ApplyFeedbackRequest__Output,
  type ApplyFeedbackResponse,
  type ConsolidateRequest__Output,
  type ConsolidateResponse,
  type DreamState,
  type GetDreamStateResponse,
  type GetWeightsRequest__Output,
  type GetWeightsResponse,
  type ListPatternsRequest__Output,
  type ListPatternsResponse,
  type ListSubjectsRequest__Output,
  type ListSubjectsResponse,
  type Pattern__Output,
  type PutPatternsRequest__Output,
  type PutPatternsResponse,
  type ReadStreamRequest__Output,
  type ReadStreamResponse,
  type StreamEntry,
  type WeightKind__Output,
  type WeightRecord__Output as WeightRecord,
  type WeightValue,
} from '@engram/protocol';
import {
  accessKey,
  dreamStateCodec,
  dreamStateKey,
  memoryKey,
  parseWeightKey,
  patternCodec,
  patternKey,
  prefixEnd,
  prefixRange,
  recordCodec,
  subjectMemoryPrefix,
  subjectOfCountersKey,
  subjectPatternPrefix,
  subjectWeightPrefix,
  tenantSubjectCountersPrefix,
  weightCodec,
  weightKey,
  type BatchOp,
  type StoredMemory,
} from '@engram/storage';
import { queueWrite, subjectLockKey, type ShardContext } from './context.js';
import type { CounterDelta } from './counters.js';
import { deletionOps, removal } from './deletes.js';
import { isLive, patchRecord, recordPages, scanRecords } from './records.js';
import { expiryMoves } from './writes.js';

const STREAM_PAGE = 5000;
const STREAM_PAGE_MAX = 20_000;
const PATTERNS_PAGE = 100;
const PATTERNS_PAGE_MAX = 1000;
const SUBJECTS_PAGE = 1000;
const SUBJECTS_PAGE_MAX = 10_000;
const MAX_TARGETS = 1000;
/** Weight kinds by wire name: the number is part of the key. */
const WEIGHT_KINDS: Record<string, number> = { WEIGHT_KIND_MEMORY: 1, WEIGHT_KIND_PATTERN: 2, WEIGHT_KIND_ITEM: 3 };
const WEIGHT_KIND_NAMES = ['WEIGHT_KIND_UNSPECIFIED', 'WEIGHT_KIND_MEMORY', 'WEIGHT_KIND_PATTERN', 'WEIGHT_KIND_ITEM'] as const;
/** A pattern id as the engine makes them; kept short and free of key separators. */
const PATTERN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ITEM_MAX_BYTES = 512;

/** Layers a dream promotes from when the request names none: every layer below ETERNAL. */
const DEFAULT_PROMOTE_FROM = [Layer.SENSORY, Layer.EMOTION, Layer.LOGIC, Layer.DREAM];
/** Memories consolidation reads and writes at a time, and pages it queues at most (see consolidate). */
const CONSOLIDATE_PAGE = 256;
const CONSOLIDATE_IN_FLIGHT = 4;

const stateOf = (r: WeightRecord | undefined): WeightState =>
  r ? { weight: r.weight, sumSquaredGradients: r.sumSquaredGradients, updates: r.updates, lastUpdatedMs: r.lastUpdatedMs } : initialWeight();

function weightKindOf(kind: WeightKind__Output | string, field: string): number {
  const n = WEIGHT_KINDS[kind];
  if (n === undefined) throw invalidArgument(field, 'must be MEMORY, PATTERN or ITEM');
  return n;
}

function checkTarget(kind: number, id: string, field: string): void {
  if (kind === 1) validateId(id, field);
  else if (kind === 2) {
    if (!PATTERN_ID.test(id)) throw invalidArgument(field, 'must be a pattern id');
  } else if (id === '' || id.includes('\x00') || Buffer.byteLength(id) > ITEM_MAX_BYTES) {
    throw invalidArgument(field, `must be an item of 1-${ITEM_MAX_BYTES} bytes without NUL`);
  }
}

const clampLimit = (limit: number, def: number, max: number) => (limit === 0 ? def : Math.min(limit, max));

/**
 * What thought engines read and write on a subject's shard: the stream of memories, mined patterns, learned
 * weights, dream state, and the consolidation step that must be atomic here (promotion and expiry). Engines are
 * stateless; everything a subject learns lives beside its memories, so forgetting the subject forgets it too.
 */
export class ThoughtStore {
  /** flushAccesses writes back the accesses reads collected, so activation sees every one of them. */
  constructor(
    private readonly ctx: ShardContext,
    private readonly flushAccesses: () => Promise<void>,
  ) {}

  private subject(subject: string): string {
    return validateSubject(subject, 'subject', this.ctx.config.limits.subjectBytes);
  }

  /** Waits for the subject's queued writes, so a scan sees them. */
  private async settled(tenant: string, subject: string): Promise<void> {
    await this.ctx.lastCommit.get(subjectLockKey(tenant, subject))?.catch(() => undefined);
  }

  async readStream(tenant: string, req: ReadStreamRequest__Output): Promise<ReadStreamResponse> {
    const subject = this.subject(req.subject);
    if (req.afterId !== '') validateId(req.afterId, 'after_id');
    const limit = clampLimit(req.limit, STREAM_PAGE, STREAM_PAGE_MAX);
    const layers = new Set(req.layers.map((l, i) => {
      const n = layerNumber(l);
      if (n === undefined || n === 0) throw invalidArgument(`layers[${i}]`, 'must be a layer');
      return n;
    }));
    const from = fromTimestamp(req.occurred?.start) ?? -Infinity;
    const to = fromTimestamp(req.occurred?.end) ?? Infinity;
    await this.settled(tenant, subject);
    const now = this.ctx.clock.now();
    const prefix = subjectMemoryPrefix(tenant, subject);
    const entries: StreamEntry[] = [];
    let last = '';
    let more = false;
    const range = req.newestFirst
      ? { gte: prefix, lt: req.afterId === '' ? prefixEnd(prefix) : memoryKey(tenant, subject, req.afterId), reverse: true }
      : { gt: req.afterId === '' ? prefix : memoryKey(tenant, subject, req.afterId), lt: prefixEnd(prefix) };
    await scanRecords(this.ctx.store, range, (_key, r) => {
      if (entries.length >= limit) {
        more = true;
        return false;
      }
      last = r.id;
      if (!isLive(r, now)) return true;
      if (layers.size > 0 && !layers.has(r.layer)) return true;
      if (r.occurredAtMs < from || r.occurredAtMs >= to) return true;
      entries.push({
        id: r.id,
        occurredAtMs: r.occurredAtMs,
        ingestedAtMs: r.ingestedAtMs,
        kind: r.kind,
        tags: r.tags,
        terms: r.terms.map((t) => t.term),
        layer: LAYER_NAMES[r.layer],
        importance: r.importance,
      });
      return true;
    });
    return { entries, nextAfterId: more ? last : '', nowMs: now };
  }

  async putPatterns(tenant: string, req: PutPatternsRequest__Output): Promise<PutPatternsResponse> {
    const subject = this.subject(req.subject);
    req.patterns.forEach((p, i) => {
      if (!PATTERN_ID.test(p.id)) throw invalidArgument(`patterns[${i}].id`, 'must be a pattern id');
    });
    const lockKey = subjectLockKey(tenant, subject);
    const { commit, replaced } = await this.ctx.subjects.run(lockKey, async () => {
      await this.settled(tenant, subject);
      const ops: BatchOp[] = [];
      let replaced = 0;
      await this.ctx.store.scan(prefixRange(subjectPatternPrefix(tenant, subject)), (key, value) => {
        const p = patternCodec.decode(value);
        if (p.strategy === req.strategy && p.itemSource === req.itemSource) {
          ops.push({ type: 'del', key });
          replaced += 1;
        }
      });
      // Stored under the request's strategy and source, whatever the patterns say, so the next call replaces them.
      for (const p of req.patterns) {
        ops.push({ type: 'put', key: patternKey(tenant, subject, p.id), value: patternCodec.encode({ ...p, strategy: req.strategy, itemSource: req.itemSource }) });
      }
      return { commit: queueWrite(this.ctx, tenant, subject, { ops, priority: MAINTENANCE_PRIORITY + 1, meta: { deltas: [], holds: [] } }, []), replaced };
    });
    await commit;
    return { stored: req.patterns.length, replaced };
  }

  async listPatterns(tenant: string, req: ListPatternsRequest__Output): Promise<ListPatternsResponse> {
    const subject = this.subject(req.subject);
    const limit = clampLimit(req.limit, PATTERNS_PAGE, PATTERNS_PAGE_MAX);
    await this.settled(tenant, subject);
    const patterns: Pattern__Output[] = [];
    await this.ctx.store.scan(prefixRange(subjectPatternPrefix(tenant, subject)), (_key, value) => {
      const p = patternCodec.decode(value);
      if (req.strategy === 'INDEXING_STRATEGY_UNSPECIFIED' || p.strategy === req.strategy) patterns.push(p);
    });
    const weights = new Map<string, number>();
    await this.ctx.store.scan(prefixRange(subjectWeightPrefix(tenant, subject, 2)), (key, value) => {
      weights.set(parseWeightKey(key).target, weightCodec.decode(value).weight);
    });
    for (const p of patterns) p.weight = weights.get(p.id) ?? 1;
    patterns.sort((a, b) => b.support - a.support || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { patterns: patterns.slice(0, limit) };
  }

  async applyFeedback(tenant: string, req: ApplyFeedbackRequest__Output): Promise<ApplyFeedbackResponse> {
    const subject = this.subject(req.subject);
    if (!Number.isFinite(req.reward) || req.reward < -1 || req.reward > 1) throw invalidArgument('reward', 'must be from -1 to 1');
    if (req.targets.length === 0) throw invalidArgument('targets', 'must not be empty');
    if (req.targets.length > MAX_TARGETS) throw invalidArgument('targets', `must have at most ${MAX_TARGETS} entries`);
    const targets = req.targets.map((t, i) => {
      const kind = weightKindOf(t.kind, `targets[${i}].kind`);
      checkTarget(kind, t.id, `targets[${i}].id`);
      return { kind, id: t.id };
    });
    const lockKey = subjectLockKey(tenant, subject);
    const { commit, values } = await this.ctx.subjects.run(lockKey, async () => {
      const now = this.ctx.clock.now();
      if (req.requireExisting) {
        for (const t of targets) {
          if (t.kind === 1) {
            const r = await this.ctx.records.get(memoryKey(tenant, subject, t.id));
            if (!r || !isLive(r, now)) throw notFound(`memory ${t.id} of subject ${JSON.stringify(subject)} not found`);
          } else if (t.kind === 2 && this.ctx.store.peek(patternKey(tenant, subject, t.id)) === undefined) {
            throw notFound(`pattern ${t.id} of subject ${JSON.stringify(subject)} not found`);
          }
        }
      }
      const ops: BatchOp[] = [];
      const values: WeightValue[] = [];
      const seen = new Map<string, WeightState>();
      for (const t of targets) {
        const key = weightKey(tenant, subject, t.kind, t.id);
        const bytes = seen.has(key) ? undefined : this.ctx.store.peek(key);
        const before = seen.get(key) ?? stateOf(bytes ? weightCodec.decode(bytes) : undefined);
        const after = applyFeedback(before, req.reward, now, { learningRate: this.ctx.config.learning.learningRate });
        seen.set(key, after);
        ops.push({ type: 'put', key, value: weightCodec.encode(after) });
        values.push({ kind: WEIGHT_KIND_NAMES[t.kind], id: t.id, weight: after.weight, learningRate: effectiveLearningRate(before, { learningRate: this.ctx.config.learning.learningRate }), updates: after.updates });
      }
      return { commit: queueWrite(this.ctx, tenant, subject, { ops, priority: MAINTENANCE_PRIORITY + 2, meta: { deltas: [], holds: [] } }, []), values };
    });
    await commit;
    return { weights: values };
  }

  async getWeights(tenant: string, req: GetWeightsRequest__Output): Promise<GetWeightsResponse> {
    const subject = this.subject(req.subject);
    const kind = req.kind === 'WEIGHT_KIND_UNSPECIFIED' ? undefined : weightKindOf(req.kind, 'kind');
    await this.settled(tenant, subject);
    const weights: WeightValue[] = [];
    await this.ctx.store.scan(prefixRange(subjectWeightPrefix(tenant, subject, kind)), (key, value) => {
      const { kind: k, target } = parseWeightKey(key);
      const w = weightCodec.decode(value);
      weights.push({ kind: WEIGHT_KIND_NAMES[k] ?? 'WEIGHT_KIND_UNSPECIFIED', id: target, weight: w.weight, learningRate: effectiveLearningRate(stateOf(w), { learningRate: this.ctx.config.learning.learningRate }), updates: w.updates });
    });
    return { weights };
  }

  /**
   * Promotion and expiry of one subject, under its lock: a live memory of the promoted layers whose promotion
   * score (ACT-R activation, importance, feedback weight) reaches the threshold moves to ETERNAL; a memory whose
   * retention has run out is deleted now rather than at the next sweep.
   */
  async consolidate(tenant: string, req: ConsolidateRequest__Output): Promise<ConsolidateResponse> {
    const subject = this.subject(req.subject);
    if (!Number.isFinite(req.promoteThreshold)) throw invalidArgument('promote_threshold', 'must be a number');
    const from = new Set(
      req.promoteFrom.length === 0
        ? DEFAULT_PROMOTE_FROM
        : req.promoteFrom.map((l, i) => {
            const n = layerNumber(l);
            if (n === undefined || n === 0 || n === Layer.ETERNAL) throw invalidArgument(`promote_from[${i}]`, 'must be a layer below ETERNAL');
            return n;
          }),
    );
    const ctx = this.ctx;
    const lockKey = subjectLockKey(tenant, subject);
    await this.flushAccesses();
    const outcome = await ctx.subjects.run(lockKey, async () => {
      await this.settled(tenant, subject);
      const now = ctx.clock.now();
      const promotedIds: string[] = [];
      let promoted = 0;
      const commits: Promise<void>[] = [];
      let expired = 0;
      // A page at a time, at most CONSOLIDATE_IN_FLIGHT pages' writes queued: a large subject is never in memory whole.
      for await (const records of recordPages(ctx.store, subjectMemoryPrefix(tenant, subject), CONSOLIDATE_PAGE)) {
        const ops: BatchOp[] = [];
        const deltas: CounterDelta[] = [];
        const published: [string, StoredMemory | undefined][] = [];
        const deleted: StoredMemory[] = [];
        for (const r of records) {
          const key = memoryKey(tenant, subject, r.id);
          if (!isLive(r, now)) {
            expired += 1;
            deleted.push(r);
            deltas.push(removal(tenant, r));
            published.push([key, undefined]);
            continue;
          }
          if (!from.has(r.layer)) continue;
          const activation = baseLevelActivation(now, { createdMs: r.ingestedAtMs, recentMs: r.recentAccessMs, total: r.accessCount + 1 }, ctx.config.ranking.activationDecay);
          const wb = ctx.store.peek(weightKey(tenant, subject, 1, r.id));
          const feedbackWeight = wb ? weightCodec.decode(wb).weight : 1;
          if (!shouldPromote(promotionScore({ activation, importance: r.importance, feedbackWeight }), req.promoteThreshold)) continue;
          promoted += 1;
          // The answer names the first MAX_PROMOTED_IDS; a subject of a million memories would not fit a message.
          if (promotedIds.length < MAX_PROMOTED_IDS) promotedIds.push(r.id);
          const expiresAtMs = r.expiryExplicit ? r.expiresAtMs : 0;
          const version = ctx.hlc.now();
          // The record is rewritten with its accesses folded in, so its AccessRecord goes.
          const updated = patchRecord(r, { layer: Layer.ETERNAL, expiresAtMs, versionWallMs: version.wallMs, versionLogical: version.logical, versionNode: version.node });
          ops.push({ type: 'put', key, value: recordCodec.encode(updated) }, { type: 'del', key: accessKey(tenant, subject, r.id) }, ...expiryMoves(tenant, r, expiresAtMs));
          deltas.push({ tenant, subject, memories: 0, length: 0, layers: [[r.layer, -1], [Layer.ETERNAL, 1]] });
          published.push([key, updated]);
        }
        if (!req.dryRun && (ops.length > 0 || deleted.length > 0)) {
          ops.push(...(await deletionOps(ctx, tenant, deleted)));
          const hold = ctx.counters.hold(tenant, subject);
          try {
            commits.push(queueWrite(ctx, tenant, subject, { ops, priority: MAINTENANCE_PRIORITY + 1, meta: { deltas, holds: [hold] } }, published));
          } catch (err) {
            hold.release();
            throw err;
          }
          if (commits.length >= CONSOLIDATE_IN_FLIGHT) await commits.shift();
        }
      }
      return { commit: Promise.all(commits), expired, promoted, promotedIds };
    });
    await outcome.commit;
    return { promoted: outcome.promoted, expired: outcome.expired, promotedIds: outcome.promotedIds };
  }

  async getDreamState(tenant: string, subjectIn: string): Promise<GetDreamStateResponse> {
    const subject = this.subject(subjectIn);
    await this.settled(tenant, subject);
    const bytes = await this.ctx.store.get(dreamStateKey(tenant, subject));
    return { state: bytes ? dreamStateCodec.decode(bytes) : null };
  }

  async putDreamState(tenant: string, subjectIn: string, state: DreamState | null): Promise<Record<string, never>> {
    const subject = this.subject(subjectIn);
    if (!state) throw invalidArgument('state', 'must be set');
    const lockKey = subjectLockKey(tenant, subject);
    const commit = await this.ctx.subjects.run(lockKey, async () =>
      queueWrite(this.ctx, tenant, subject, { ops: [{ type: 'put', key: dreamStateKey(tenant, subject), value: dreamStateCodec.encode(state) }], priority: MAINTENANCE_PRIORITY + 1, meta: { deltas: [], holds: [] } }, []),
    );
    await commit;
    return {};
  }

  /** Subjects of a tenant that hold memories, in byte order. */
  async listSubjects(tenant: string, req: ListSubjectsRequest__Output): Promise<ListSubjectsResponse> {
    const limit = clampLimit(req.limit, SUBJECTS_PAGE, SUBJECTS_PAGE_MAX);
    const prefix = tenantSubjectCountersPrefix(tenant);
    const subjects: string[] = [];
    let more = false;
    await this.ctx.store.scan({ gt: req.after === '' ? prefix : prefix + req.after, lt: prefixEnd(prefix) }, (key) => {
      if (subjects.length >= limit) {
        more = true;
        return false;
      }
      subjects.push(subjectOfCountersKey(key, tenant));
      return true;
    });
    return { subjects, nextAfter: more ? subjects[subjects.length - 1]! : '' };
  }
}
