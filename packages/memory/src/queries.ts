import { LRUCache } from 'lru-cache';
import { validateQuery, type Ranges, type ValidQuery } from '@engram/cognition';
import {
  encodePageToken,
  invalidArgument,
  queryFingerprint,
  type ComponentRanges,
  type ComponentRanges__Output,
  type QueryRequest__Output,
  type QueryResponse,
  type ScatterQueryRequest__Output,
  type ScatterQueryResponse,
  type ValueRange__Output,
} from '@engram/protocol';
import { collectCandidates, type CandidateSet } from './candidates.js';
import type { ShardContext } from './context.js';
import { evaluate, rangesOf, topAfter, toScored, type Evaluation, type TermStatistics } from './ranker.js';
import type { ReinforcementBuffer } from './reinforcement.js';

interface ScatterState {
  set: CandidateSet;
  evaluated?: Evaluation;
}

const rangeOut = (r: ValueRange__Output | null) => r ?? { min: 0, max: 0, empty: true };

function rangesFromWire(r: ComponentRanges__Output | null): Ranges {
  return {
    recency: rangeOut(r?.recency ?? null),
    importance: rangeOut(r?.importance ?? null),
    bm25: rangeOut(r?.bm25 ?? null),
    cosine: rangeOut(r?.cosine ?? null),
    activation: rangeOut(r?.activation ?? null),
  };
}

const rangesToWire = (r: Ranges): ComponentRanges => ({ ...r });

/**
 * Query evaluation on a shard. A subject query is answered whole here. A tenant-wide query is one phase of the
 * gateway's scatter-gather (TERMS → RANGES → TOP), with the candidate set kept between phases by query id.
 */
export class QueryEngine {
  private readonly scatterStates = new LRUCache<string, ScatterState>({ max: 64, ttl: 30_000 });

  constructor(
    private readonly ctx: ShardContext,
    private readonly reinforcement: ReinforcementBuffer,
  ) {}

  private validate(req: QueryRequest__Output): ValidQuery {
    return validateQuery(req, this.ctx.config.limits, this.ctx.config.ranking);
  }

  async query(tenant: string, req: QueryRequest__Output): Promise<QueryResponse> {
    const q = this.validate(req);
    if (q.subject === undefined) throw invalidArgument('subject', 'must not be empty (tenant-wide queries go through a gateway)');
    const now = this.ctx.clock.now();
    const asOf = q.page?.asOfMs ?? now;
    const set = await collectCandidates(this.ctx, tenant, q, now, asOf);
    try {
      const counts = this.ctx.counters.subject(tenant, q.subject);
      const evaluated = evaluate(this.ctx, set, q, asOf, { documents: counts.memories, totalLength: counts.totalLength, df: set.df });
      const ranked = topAfter(evaluated, q, rangesOf(evaluated), q.page?.after, q.limit);
      const page = ranked.slice(0, q.limit);
      const last = page[page.length - 1];
      if (q.reinforce) for (const r of page) this.reinforcement.add(tenant, r.subject, r.id, now);
      return {
        results: page.map((r) => toScored(this.ctx, set, r, asOf)),
        nextPageToken:
          ranked.length > q.limit && last
            ? encodePageToken({ asOfMs: asOf, after: { score: last.score, subject: last.subject, id: last.id }, fingerprint: queryFingerprint(req) })
            : '',
        unavailableShards: [],
      };
    } finally {
      set.release();
    }
  }

  async scatter(tenant: string, req: ScatterQueryRequest__Output): Promise<ScatterQueryResponse> {
    if (!req.query) throw invalidArgument('query', 'must be set');
    const q = this.validate({ ...req.query, pageToken: '' });
    if (q.subject !== undefined) throw invalidArgument('query.subject', 'must be empty in a tenant-wide query');
    const now = this.ctx.clock.now();
    const asOf = req.asOfMs;
    let state = this.scatterStates.get(req.queryId);
    // A tenant-wide set holds no subject's columns (its records are its own): nothing to release.
    if (!state) {
      state = { set: await collectCandidates(this.ctx, tenant, q, now, asOf) };
      if (req.queryId !== '') this.scatterStates.set(req.queryId, state);
    }
    switch (req.phase) {
      case 'SCATTER_PHASE_TERMS': {
        const t = this.ctx.counters.tenant(tenant);
        return {
          terms: { documents: t.memories, totalLength: t.totalLength, documentFrequency: Object.fromEntries(state.set.df) },
          candidates: state.set.count,
        };
      }
      case 'SCATTER_PHASE_RANGES':
      case 'SCATTER_PHASE_TOP': {
        const g = req.globalTerms;
        const stats: TermStatistics = {
          documents: g?.documents ?? 0,
          totalLength: g?.totalLength ?? 0,
          df: new Map(Object.entries(g?.documentFrequency ?? {}).map(([k, v]) => [k, Number(v)])),
        };
        state.evaluated ??= evaluate(this.ctx, state.set, q, asOf, stats);
        if (req.phase === 'SCATTER_PHASE_RANGES') {
          return { ranges: rangesToWire(rangesOf(state.evaluated)), candidates: state.set.count };
        }
        const after = req.after ? { score: req.after.score, subject: req.after.subject, id: req.after.id } : undefined;
        const top = topAfter(state.evaluated, q, rangesFromWire(req.globalRanges), after, req.limit === 0 ? q.limit : req.limit);
        return { results: top.map((r) => toScored(this.ctx, state.set, r, asOf)), candidates: state.set.count };
      }
      default:
        throw invalidArgument('phase', `unknown phase ${String(req.phase)}`);
    }
  }
}
