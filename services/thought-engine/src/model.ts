import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { callShard, type InternalCall, type ShardRouter } from '@engram/cluster-client';
import { PatternPredictor } from '@engram/learning';
import { patternKey, type Item, type SequentialPattern } from '@engram/patterns';
import type {
  GetWeightsRequest,
  GetWeightsResponse__Output,
  ItemSource,
  ListPatternsRequest,
  ListPatternsResponse__Output,
  Pattern__Output,
} from '@engram/protocol';

/** A subject's prediction model: its sequential patterns over integer items, with the learned weights applied. */
export interface SubjectModel {
  predictor: PatternPredictor;
  itemSource: ItemSource | string;
  /** Item names by id, and ids by name. */
  names: string[];
  ids: Map<string, Item>;
  /** Pattern ids by patternKey (what the predictor reports) and back. */
  idByKey: Map<string, string>;
  keyById: Map<string, string>;
  patterns: number;
  maxGap: number | undefined;
}

const STORED_PATTERNS = 1000;
const SEQUENTIAL = new Set(['INDEXING_STRATEGY_PREFIXSPAN', 'INDEXING_STRATEGY_NGRAM']);

/**
 * Builds and caches subjects' models. The gateway sends a subject to the same engine (consistent hash), so the
 * model built for one Predict serves the next ones; it is rebuilt when the stored patterns change, and the
 * learned weights are read fresh on every call (feedback may come through another engine).
 */
export class ModelCache {
  private readonly models = new LRUCache<string, { signature: string; model: SubjectModel }>({ max: 10_000 });

  constructor(private readonly router: ShardRouter) {}

  /** The model of a subject's patterns of one item source (or the source most of them use), or undefined. */
  async model(subject: string, source: ItemSource | string | undefined, call: InternalCall): Promise<SubjectModel | undefined> {
    const shard = this.router.owner(call.tenant, subject);
    const read = { ...call, idempotent: true };
    const [listed, weights] = await Promise.all([
      callShard<ListPatternsRequest, ListPatternsResponse__Output>(shard, 'ListPatterns', { subject, limit: STORED_PATTERNS }, read),
      callShard<GetWeightsRequest, GetWeightsResponse__Output>(shard, 'GetWeights', { subject }, read),
    ]);
    const sequential = listed.patterns.filter((p) => SEQUENTIAL.has(String(p.strategy)));
    const itemSource = source && source !== 'ITEM_SOURCE_UNSPECIFIED' ? source : mostUsedSource(sequential);
    if (itemSource === undefined) return undefined;
    const chosen = sequential.filter((p) => p.itemSource === itemSource);
    if (chosen.length === 0) return undefined;

    const signature = createHash('sha256')
      .update(chosen.map((p) => `${p.id}:${p.support}`).sort().join(','))
      .digest('base64url');
    const cacheKey = `${call.tenant}\x00${subject}\x00${String(itemSource)}`;
    let model = this.models.get(cacheKey);
    if (!model || model.signature !== signature) {
      model = { signature, model: build(chosen, itemSource) };
      this.models.set(cacheKey, model);
    }
    const m = model.model;
    for (const w of weights.weights) {
      if (w.kind === 'WEIGHT_KIND_PATTERN') {
        const key = m.keyById.get(w.id);
        if (key !== undefined) m.predictor.setPatternWeight(key, w.weight);
      } else if (w.kind === 'WEIGHT_KIND_ITEM') {
        const item = m.ids.get(w.id);
        if (item !== undefined) m.predictor.setItemWeight(item, w.weight);
      }
    }
    return m;
  }

  /** Drops a subject's cached models (after its patterns were replaced here). */
  invalidate(tenant: string, subject: string): void {
    for (const key of this.models.keys()) if (key.startsWith(`${tenant}\x00${subject}\x00`)) this.models.delete(key);
  }
}

function mostUsedSource(patterns: readonly Pattern__Output[]): ItemSource | string | undefined {
  const counts = new Map<string, number>();
  for (const p of patterns) counts.set(String(p.itemSource), (counts.get(String(p.itemSource)) ?? 0) + 1);
  let best: string | undefined;
  for (const [source, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) if (best === undefined || n > counts.get(best)!) best = source;
  return best;
}

function build(patterns: readonly Pattern__Output[], itemSource: ItemSource | string): SubjectModel {
  const names = [...new Set(patterns.flatMap((p) => p.elements.flatMap((e) => e.items)))].sort();
  const ids = new Map(names.map((n, i) => [n, i] as const));
  const idByKey = new Map<string, string>();
  const keyById = new Map<string, string>();
  const sequential: SequentialPattern[] = patterns.map((p) => {
    const elements = p.elements.map((e) => e.items.map((n) => ids.get(n)!).sort((a, b) => a - b));
    const key = patternKey({ elements });
    idByKey.set(key, p.id);
    keyById.set(p.id, key);
    return { elements, support: p.support };
  });
  // Patterns mined with different gaps may be mixed: match with the widest, so none of them is missed.
  let maxGap: number | undefined = 0;
  for (const p of patterns) {
    if (p._maxGap !== 'maxGap') maxGap = undefined;
    else if (maxGap !== undefined) maxGap = Math.max(maxGap, p.maxGap!);
  }
  // Shrinkage (in episodes) toward shorter contexts: the predictor's default suits corpora of thousands of
  // sequences; a subject with a few dozen episodes would lean on item frequency alone. Scale it to the subject.
  const episodes = Math.max(...patterns.map((p) => (p.relativeSupport > 0 ? p.support / p.relativeSupport : 0)), 0);
  const shrinkage = Math.min(30, Math.max(1, episodes / 100));
  const predictor = PatternPredictor.build(sequential, maxGap === undefined ? { shrinkage } : { maxGap, shrinkage });
  return { predictor, itemSource, names, ids, idByKey, keyById, patterns: patterns.length, maxGap };
}

/** A prediction's id: what Feedback needs to credit it (its item and the patterns behind it). */
export function encodePredictionId(item: string, patternIds: readonly string[]): string {
  return Buffer.from(JSON.stringify({ v: 1, i: item, p: patternIds })).toString('base64url');
}

export function decodePredictionId(id: string): { item: string; patternIds: string[] } | undefined {
  try {
    const v = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as { v?: unknown; i?: unknown; p?: unknown };
    if (v.v !== 1 || typeof v.i !== 'string' || !Array.isArray(v.p) || !v.p.every((x) => typeof x === 'string')) return undefined;
    return { item: v.i, patternIds: v.p as string[] };
  } catch {
    return undefined;
  }
}
