import { callShard, type InternalCall, type ShardRouter } from '@engram/cluster-client';
import type { EngineConfig } from '@engram/config';
import { validateSubject } from '@engram/cognition';
import { normaliseContext } from '@engram/learning';
import {
  invalidArgument,
  notFound,
  type ApplyFeedbackRequest,
  type ApplyFeedbackResponse__Output,
  type DetectPatternsRequest__Output,
  type DetectPatternsResponse,
  type FeedbackRequest__Output,
  type FeedbackResponse,
  type ItemSource,
  type ListPatternsRequest__Output,
  type ListPatternsResponse,
  type ListPatternsResponse__Output,
  type Pattern,
  type PredictRequest__Output,
  type PredictResponse,
  type PutPatternsRequest,
  type PutPatternsResponse__Output,
  type WeightTarget,
} from '@engram/protocol';
import { DEFAULT_LAYERS, resolveMiningConfig, strategyName, type MiningConfig } from './config.js';
import { mine, type MiningOutcome } from './mining.js';
import { decodePredictionId, encodePredictionId, ModelCache, type SubjectModel } from './model.js';
import type { MiningPool } from './pool.js';
import { chronological, itemsOf, readLatest, readStream, toEpisodes, type EpisodeDatabase } from './stream.js';

const MAX_CONTEXT = 1000;
const MAX_ITEM_BYTES = 512;
const MAX_K = 100;
const LATEST_MEMORIES = 64;
const MAX_PREDICTION_PATTERNS = 64;

/**
 * The thought engine's operations on one subject: mining, listing, prediction and feedback. Stateless apart from
 * caches: the stream, the patterns and the weights live on the subject's shard.
 */
export class ThoughtEngine {
  readonly models: ModelCache;

  constructor(
    readonly config: EngineConfig,
    readonly router: ShardRouter,
    readonly pool: MiningPool,
  ) {
    this.models = new ModelCache(router);
  }

  subject(subject: string, field = 'subject'): string {
    return validateSubject(subject, field, this.config.limits.subjectBytes);
  }

  miningConfig(req: DetectPatternsRequest__Output['config'], prefix = 'config'): MiningConfig {
    return resolveMiningConfig(req, this.config.patterns, this.pool.threads, prefix);
  }

  /** Reads a subject's stream as episodes under a mining configuration. */
  async episodes(subject: string, cfg: MiningConfig, call: InternalCall): Promise<EpisodeDatabase> {
    const { entries, nowMs } = await readStream(this.router, subject, { layers: cfg.layers, occurred: cfg.occurred, maxMemories: this.config.patterns.maxMemories }, call);
    return toEpisodes(entries, cfg.itemSource, cfg.episodeGapMs, nowMs);
  }

  /** Cancels mining at the call's deadline or the engine's task timeout, whichever comes first. */
  signalFor(call: InternalCall): AbortSignal {
    const timeout = Math.min(this.config.patterns.taskTimeout, (call.deadlineMs ?? Infinity) - Date.now());
    return AbortSignal.timeout(Math.max(1, timeout));
  }

  /** Mines a database on the pool. */
  async mine(db: EpisodeDatabase, cfg: MiningConfig, call: InternalCall): Promise<MiningOutcome> {
    return mine(db, cfg, this.pool, { evidence: this.config.dream.evidence, nowMs: db.nowMs, signal: this.signalFor(call) });
  }

  async storePatterns(subject: string, cfg: MiningConfig, patterns: Pattern[], call: InternalCall): Promise<number> {
    const shard = this.router.owner(call.tenant, subject);
    const req: PutPatternsRequest = { subject, strategy: strategyName(cfg.strategy), itemSource: cfg.itemSource, patterns };
    const res = await callShard<PutPatternsRequest, PutPatternsResponse__Output>(shard, 'PutPatterns', req, { ...call, idempotent: true });
    this.models.invalidate(call.tenant, subject);
    return res.stored;
  }

  async detectPatterns(req: DetectPatternsRequest__Output, call: InternalCall): Promise<DetectPatternsResponse> {
    const subject = this.subject(req.subject);
    const cfg = this.miningConfig(req.config);
    const db = await this.episodes(subject, cfg, call);
    const outcome = await this.mine(db, cfg, call);
    const stored = req.dryRun ? 0 : await this.storePatterns(subject, cfg, outcome.patterns, call);
    return { patterns: outcome.patterns, stats: outcome.stats, stored };
  }

  async listPatterns(req: ListPatternsRequest__Output, call: InternalCall): Promise<ListPatternsResponse> {
    const subject = this.subject(req.subject);
    if (req.limit > 1000) throw invalidArgument('limit', 'must be at most 1000');
    const shard = this.router.owner(call.tenant, subject);
    return callShard<ListPatternsRequest__Output, ListPatternsResponse__Output>(shard, 'ListPatterns', { ...req, subject }, { ...call, idempotent: true });
  }

  /** The context of a prediction: the request's items, or the subject's latest episode. */
  private async context(subject: string, req: PredictRequest__Output, model: SubjectModel, call: InternalCall): Promise<{ names: string[][] }> {
    if (req.context.length > 0) return { names: req.context.map((item) => [item]) };
    const latest = chronological(await readLatest(this.router, subject, DEFAULT_LAYERS, LATEST_MEMORIES, call));
    const gap = this.config.patterns.episodeGap;
    let start = latest.length;
    while (start > 0 && (start === latest.length || latest[start]!.occurredAtMs - latest[start - 1]!.occurredAtMs <= gap)) start -= 1;
    const names = latest.slice(start).map((e) => itemsOf(e, model.itemSource)).filter((items) => items.length > 0);
    return { names };
  }

  async predict(req: PredictRequest__Output, call: InternalCall): Promise<PredictResponse> {
    const subject = this.subject(req.subject);
    const k = req.k === 0 ? 5 : req.k;
    if (k > MAX_K) throw invalidArgument('k', `must be at most ${MAX_K}`);
    if (req.context.length > MAX_CONTEXT) throw invalidArgument('context', `must have at most ${MAX_CONTEXT} items`);
    req.context.forEach((item, i) => {
      if (item === '' || Buffer.byteLength(item) > MAX_ITEM_BYTES) throw invalidArgument(`context[${i}]`, `must be 1-${MAX_ITEM_BYTES} bytes`);
    });
    const model = await this.models.model(subject, req.itemSource as ItemSource, call);
    if (!model) return { predictions: [], context: req.context, patterns: 0 };
    const { names } = await this.context(subject, req, model, call);
    // Items no pattern knows still take their place in the context (they matter for gaps).
    const unknown = model.names.length;
    const elements = names.map((items) => items.map((n) => model.ids.get(n) ?? unknown));
    const predictions = model.predictor.predict(normaliseContext(elements), k);
    return {
      predictions: predictions.map((p) => {
        const item = model.names[p.item]!;
        const patternIds = p.patterns.map((key) => model.idByKey.get(key)).filter((id): id is string => id !== undefined).slice(0, MAX_PREDICTION_PATTERNS);
        return { item, probability: p.probability, patternIds, predictionId: encodePredictionId(item, patternIds) };
      }),
      context: names.flat(),
      patterns: model.patterns,
    };
  }

  async feedback(req: FeedbackRequest__Output, call: InternalCall): Promise<FeedbackResponse> {
    const subject = this.subject(req.subject);
    if (!Number.isFinite(req.reward) || req.reward < -1 || req.reward > 1) throw invalidArgument('reward', 'must be from -1 to 1');
    let targets: WeightTarget[];
    switch (req.target) {
      case 'memoryId':
        targets = [{ kind: 'WEIGHT_KIND_MEMORY', id: req.memoryId! }];
        break;
      case 'patternId':
        targets = [{ kind: 'WEIGHT_KIND_PATTERN', id: req.patternId! }];
        break;
      case 'predictionId': {
        const p = decodePredictionId(req.predictionId!);
        if (!p || p.item === '' || Buffer.byteLength(p.item) > MAX_ITEM_BYTES || p.patternIds.length > MAX_PREDICTION_PATTERNS) {
          throw invalidArgument('prediction_id', 'must be a prediction_id returned by Predict');
        }
        targets = [{ kind: 'WEIGHT_KIND_ITEM', id: p.item }, ...p.patternIds.map((id) => ({ kind: 'WEIGHT_KIND_PATTERN' as const, id }))];
        break;
      }
      default:
        throw invalidArgument('target', 'must name a memory_id, pattern_id or prediction_id');
    }
    const shard = this.router.owner(call.tenant, subject);
    const req2: ApplyFeedbackRequest = { subject, targets, reward: req.reward, requireExisting: req.target !== 'predictionId' };
    const res = await callShard<ApplyFeedbackRequest, ApplyFeedbackResponse__Output>(shard, 'ApplyFeedback', req2, { ...call, idempotent: false });
    const first = res.weights[0];
    if (!first) throw notFound('nothing to update');
    return { weight: first.weight, learningRate: first.learningRate, updates: first.updates, weightsUpdated: res.weights.length };
  }
}
