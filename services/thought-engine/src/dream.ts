import { callShard, type InternalCall } from '@engram/cluster-client';
import { normaliseContext } from '@engram/learning';
import {
  invalidArgument,
  MAX_PROMOTED_IDS,
  type ApplyFeedbackRequest,
  type ApplyFeedbackResponse__Output,
  type ConsolidateRequest,
  type ConsolidateResponse__Output,
  type DreamReport,
  type DreamRequest__Output,
  type DreamState,
  type GetDreamStateRequest,
  type GetDreamStateResponse__Output,
  type ListSubjectsRequest,
  type ListSubjectsResponse__Output,
  type MemoryInput,
  type Pattern,
  type PutDreamStateRequest,
  type RememberBatchResponse__Output,
} from '@engram/protocol';
import type { MiningConfig } from './config.js';
import type { ThoughtEngine } from './engine.js';
import { miningFingerprint, mineStream, type FrequentBase, type Miner } from './incremental.js';
import { admit, describePatterns, minePartitioned } from './mining.js';
import { nodeMetrics } from '@engram/telemetry';
import type { SubjectModel } from './model.js';
import type { EpisodeDatabase } from './stream.js';

/** A dream of one subject, as the report counts it. */
export type SubjectDream = Omit<DreamReport, 'subjects' | 'durationMs' | 'failedSubjects'>;

export interface DreamSettings {
  cfg: MiningConfig;
  promoteThreshold: number;
  maxInsights: number;
  dryRun: boolean;
  /** Skip the subject (count it as skipped) unless this many memories are new since its last dream. */
  minNew: number;
}

const CONTEXT_WINDOW = 8;
/** Most frequent patterns a dream state keeps for the next dream's incremental mining. */
const MAX_KEPT_FREQUENT = 20_000;
const TOP_K = 5;
const INSIGHT_KIND = 'insight';

export function emptyDream(): SubjectDream {
  return {
    replayed: 0, newMemories: 0, patternsFound: 0, patternsNew: 0, patternsStrengthened: 0, weightsUpdated: 0,
    insightsWritten: 0, promoted: 0, expired: 0, skipped: 0, insightIds: [], promotedIds: [], minedIncrementally: 0, minedFully: 0,
  };
}

export function addDream(into: SubjectDream, d: SubjectDream): void {
  for (const k of ['replayed', 'newMemories', 'patternsFound', 'patternsNew', 'patternsStrengthened', 'weightsUpdated', 'insightsWritten', 'promoted', 'expired', 'skipped', 'minedIncrementally', 'minedFully'] as const) {
    into[k] = (into[k] ?? 0) + (d[k] ?? 0);
  }
  into.insightIds!.push(...d.insightIds!);
  // Like a shard's consolidation, a report names at most MAX_PROMOTED_IDS promoted memories (and counts them all).
  const room = MAX_PROMOTED_IDS - into.promotedIds!.length;
  if (room > 0) into.promotedIds!.push(...d.promotedIds!.slice(0, room));
}

/** A pattern as words: "login → purchase" for sequences, "{a, b}" for itemsets. */
function describe(p: Pattern): string {
  const elements = p.elements!.map((e) => (e.items!.length === 1 ? e.items![0]! : `{${e.items!.join(', ')}}`));
  return p.strategy === 'INDEXING_STRATEGY_FPGROWTH' ? `{${p.elements![0]!.items!.join(', ')}} together` : elements.join(' → ');
}

/**
 * Replay as learning: each new memory is predicted from the memories before it in its episode, with the model the
 * subject had before this dream. Patterns behind a prediction that came true are rewarded, patterns behind a
 * wrong top prediction are penalised (one update per pattern per dream: the sign of its net evidence).
 */
function replayRewards(db: EpisodeDatabase, model: SubjectModel, newIds: ReadonlySet<string>): Map<string, number> {
  const net = new Map<string, number>();
  const unknown = model.names.length;
  db.sequences.forEach((seq, s) => {
    for (let e = 1; e < seq.length; e++) {
      if (!newIds.has(db.evidence[s]![e]!)) continue;
      const context = seq.slice(Math.max(0, e - CONTEXT_WINDOW), e).map((el) => el.map((i) => model.ids.get(db.dictionary[i]!) ?? unknown));
      const actual = new Set(seq[e]!.map((i) => db.dictionary[i]!));
      const predictions = model.predictor.predict(normaliseContext(context), TOP_K);
      const hit = predictions.find((p) => actual.has(model.names[p.item]!));
      const credited = hit ? hit.patterns : (predictions[0]?.patterns ?? []);
      for (const key of credited) {
        const id = model.idByKey.get(key);
        if (id !== undefined) net.set(id, (net.get(id) ?? 0) + (hit ? 1 : -1));
      }
    }
  });
  return net;
}

/**
 * Consolidation of one subject: replay what is new since the last dream, mine the stream, learn from the replay,
 * write insights (pattern summaries with their evidence) to DREAM, promote to ETERNAL by activation, expire by
 * retention, and remember where this dream left off.
 */
export async function dreamSubject(engine: ThoughtEngine, subject: string, s: DreamSettings, call: InternalCall): Promise<SubjectDream> {
  const shard = engine.router.owner(call.tenant, subject);
  const read = { ...call, idempotent: true };
  const report = emptyDream();
  const { state } = await callShard<GetDreamStateRequest, GetDreamStateResponse__Output>(shard, 'GetDreamState', { subject }, read);
  const db = await engine.episodes(subject, s.cfg, call);
  const newIds = new Set(db.entries.filter((e) => !state || e.ingestedAtMs > state.lastIngestedMs).map((e) => e.id));
  report.replayed = db.memories;
  report.newMemories = newIds.size;

  if (newIds.size >= s.minNew && newIds.size > 0) {
    const before = await engine.models.model(subject, s.cfg.itemSource, call);
    const fingerprint = miningFingerprint(s.cfg);
    const base: FrequentBase | undefined =
      state && state.frequentComplete && state.miningFingerprint === fingerprint
        ? { fingerprint, episodes: state.episodes, memories: state.memories, frequent: new Map(Object.entries(state.frequent)) }
        : undefined;
    const signal = engine.signalFor(call);
    const miner: Miner = async (sequences, bounds) => {
      admit(sequences, s.cfg);
      return (await minePartitioned(sequences, s.cfg.strategy, bounds, engine.pool, { batchSize: s.cfg.batchSize, parallelism: s.cfg.parallelism, signal })).patterns;
    };
    const mined = await mineStream(db, newIds, s.cfg, base, miner);
    if (mined.incremental) report.minedIncrementally = 1;
    else report.minedFully = 1;
    const outcome = describePatterns(db, s.cfg, mined.patterns, { evidence: engine.config.dream.evidence, nowMs: db.nowMs });
    report.patternsFound = mined.patterns.length;
    const previous = new Map(Object.entries(state?.supports ?? {}));
    const fresh = outcome.patterns.filter((p) => !previous.has(p.id!));
    const strengthened = outcome.patterns.filter((p) => previous.has(p.id!) && Number(p.support) > previous.get(p.id!)!);
    report.patternsNew = fresh.length;
    report.patternsStrengthened = strengthened.length;

    // Learn from the replay before the new patterns replace the old ones.
    const rewards = before ? replayRewards(db, before, newIds) : new Map<string, number>();
    const positive = [...rewards].filter(([, n]) => n > 0).map(([id]) => id).sort();
    const negative = [...rewards].filter(([, n]) => n < 0).map(([id]) => id).sort();

    // Insights for what is new or grew, strongest first; multi-item patterns only (one item is no pattern).
    const insightful = [...fresh, ...strengthened]
      .filter((p) => p.elements!.reduce((n, e) => n + e.items!.length, 0) >= 2)
      .sort((a, b) => Number(b.support) * Number(b.confidence) - Number(a.support) * Number(a.confidence) || (a.id! < b.id! ? -1 : 1))
      .slice(0, s.maxInsights);
    const insights: MemoryInput[] = insightful.map((p) => ({
      // Deterministic: a retried dream rewrites the same insight instead of adding another.
      id: `insight.${p.id}.${p.support}`,
      subject,
      layer: 'LAYER_DREAM',
      kind: INSIGHT_KIND,
      content: `Pattern ${describe(p)}: in ${p.support} of ${db.sequences.length} episodes (confidence ${Number(p.confidence).toFixed(2)}).`,
      tags: ['insight', 'pattern'],
      attributes: { pattern_id: p.id!, strategy: String(p.strategy), support: String(p.support) },
      evidenceIds: p.evidenceIds!,
      importance: Math.min(1, Number(p.relativeSupport) * Number(p.confidence)),
    }));

    if (s.dryRun) {
      report.weightsUpdated = positive.length + negative.length;
      report.insightsWritten = insights.length;
    } else {
      await engine.storePatterns(subject, s.cfg, outcome.patterns, call);
      for (const [ids, reward] of [[positive, 1], [negative, -1]] as const) {
        if (ids.length === 0) continue;
        const req: ApplyFeedbackRequest = { subject, targets: ids.map((id) => ({ kind: 'WEIGHT_KIND_PATTERN', id })), reward, requireExisting: false };
        const res = await callShard<ApplyFeedbackRequest, ApplyFeedbackResponse__Output>(shard, 'ApplyFeedback', req, { ...call, idempotent: false });
        report.weightsUpdated! += res.weights.length;
      }
      if (insights.length > 0) {
        const res = await callShard<{ memories: MemoryInput[] }, RememberBatchResponse__Output>(shard, 'RememberBatch', { memories: insights }, { ...call, idempotent: true });
        for (const r of res.results) {
          if (r.ok) report.insightIds!.push(r.ok.id);
        }
        report.insightsWritten = report.insightIds!.length;
      }
    }
    const next: DreamState = {
      lastDreamMs: db.nowMs,
      lastIngestedMs: Math.max(state?.lastIngestedMs ?? 0, db.lastIngestedMs),
      memories: db.memories,
      supports: Object.fromEntries(outcome.patterns.map((p) => [p.id!, Number(p.support)])),
      insightPatterns: insightful.map((p) => p.id!),
      miningFingerprint: fingerprint,
      episodes: db.sequences.length,
      // Kept whole or not at all: a partial base could not prove a pattern infrequent.
      frequent: mined.frequent.size <= MAX_KEPT_FREQUENT ? Object.fromEntries(mined.frequent) : {},
      frequentComplete: mined.frequent.size <= MAX_KEPT_FREQUENT,
    };
    if (!s.dryRun) await callShard<PutDreamStateRequest, unknown>(shard, 'PutDreamState', { subject, state: next }, { ...call, idempotent: true });
  } else {
    report.skipped = 1;
  }

  // Promotion and expiry happen on every dream: activation decays and retention runs out with time alone.
  const consolidated = await callShard<ConsolidateRequest, ConsolidateResponse__Output>(
    shard,
    'Consolidate',
    { subject, promoteThreshold: s.promoteThreshold, dryRun: s.dryRun },
    { ...call, idempotent: true },
  );
  report.promoted = consolidated.promoted;
  report.expired = consolidated.expired;
  report.promotedIds = consolidated.promotedIds;
  return report;
}

/** Every subject of the tenant on every shard, in byte order per shard. */
export async function* tenantSubjects(engine: ThoughtEngine, call: InternalCall): AsyncGenerator<string> {
  for (const member of engine.router.members()) {
    const shard = engine.router.client(member);
    let after = '';
    for (;;) {
      const page = await callShard<ListSubjectsRequest, ListSubjectsResponse__Output>(shard, 'ListSubjects', { after, limit: 1000 }, { ...call, idempotent: true });
      for (const subject of page.subjects) yield subject;
      if (page.nextAfter === '') break;
      after = page.nextAfter;
    }
  }
}

/** The settings of a Dream request. */
export function dreamSettings(engine: ThoughtEngine, req: DreamRequest__Output): DreamSettings {
  const o = req.options;
  const maxInsights = o?.maxInsights || engine.config.dream.maxInsights;
  if (maxInsights > 1000) throw invalidArgument('options.max_insights', 'must be at most 1000');
  const promoteThreshold = o?._promoteThreshold === 'promoteThreshold' ? o.promoteThreshold! : engine.config.dream.promoteThreshold;
  if (!Number.isFinite(promoteThreshold)) throw invalidArgument('options.promote_threshold', 'must be a number');
  return {
    cfg: engine.miningConfig(o?.patterns ?? null, 'options.patterns'),
    promoteThreshold,
    maxInsights,
    dryRun: o?.dryRun ?? false,
    minNew: 1,
  };
}

/** A dream of one subject, counted in the dreams metric by trigger and outcome. */
export async function countedDream(engine: ThoughtEngine, subject: string, settings: DreamSettings, call: InternalCall, trigger: 'request' | 'schedule'): Promise<SubjectDream> {
  try {
    const d = await dreamSubject(engine, subject, settings, call);
    nodeMetrics().dream(trigger, d.skipped ? 'skipped' : 'dreamt');
    return d;
  } catch (err) {
    nodeMetrics().dream(trigger, 'failed');
    throw err;
  }
}

/** Dream, on demand: one subject, or every subject of the tenant (going on past a subject that fails). */
export async function dream(engine: ThoughtEngine, req: DreamRequest__Output, call: InternalCall, onError: (subject: string, err: unknown) => void): Promise<DreamReport> {
  const started = performance.now();
  const settings = dreamSettings(engine, req);
  const total = emptyDream();
  const failedSubjects: string[] = [];
  let subjects = 0;
  if (req.subject !== '') {
    addDream(total, await countedDream(engine, engine.subject(req.subject), settings, call, 'request'));
    subjects = 1;
  } else {
    for await (const subject of tenantSubjects(engine, call)) {
      if (call.deadlineMs !== undefined && Date.now() >= call.deadlineMs) break;
      subjects += 1;
      try {
        addDream(total, await countedDream(engine, subject, settings, call, 'request'));
      } catch (err) {
        failedSubjects.push(subject);
        onError(subject, err);
      }
    }
  }
  return { ...total, subjects, failedSubjects, durationMs: performance.now() - started };
}
