import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { compareRank, emptyRanges, mergeRanges, type Ranges } from '@engram/cognition';
import type { InternalCall } from '@engram/cluster-client';
import {
  decodePageToken,
  encodePageToken,
  EngramError,
  queryFingerprint,
  type QueryRequest__Output,
  type QueryResponse,
  type ScatterQueryRequest,
  type ScatterQueryResponse__Output,
  type ScoredMemory__Output,
  type TermStats,
} from '@engram/protocol';
import type { Member } from '@engram/ring';
import { shardMethod } from './codecs.js';
import type { ShardRouter } from '@engram/cluster-client';

const scatterQuery = shardMethod<ScatterQueryRequest, ScatterQueryResponse__Output>('ScatterQuery');
const reinforce = shardMethod<{ refs: { subject: string; id: string }[]; atMs: number }, unknown>('Reinforce');

const DEFAULT_PAGE = 10;

interface Answer {
  member: Member;
  response: ScatterQueryResponse__Output;
}

function rangesOf(r: ScatterQueryResponse__Output['ranges']): Ranges {
  const empty = emptyRanges();
  if (!r) return empty;
  return {
    recency: r.recency ?? empty.recency,
    importance: r.importance ?? empty.importance,
    bm25: r.bm25 ?? empty.bm25,
    cosine: r.cosine ?? empty.cosine,
    activation: r.activation ?? empty.activation,
  };
}

/**
 * A tenant-wide query: every shard holds part of the tenant, so the gateway gathers global BM25 statistics
 * (text cues), then global min/max of each score component, then each shard's top k scored under those, and
 * merges. The result equals ranking all the tenant's memories in one place. With allow_partial, shards that are
 * down are named instead of failing the query.
 */
export class TenantQuery {
  constructor(private readonly router: ShardRouter) {}

  async run(req: QueryRequest__Output, call: InternalCall): Promise<QueryResponse> {
    const token = req.pageToken === '' ? undefined : decodePageToken(req.pageToken, req);
    const asOfMs = token?.asOfMs ?? Date.now();
    const limit = req.limit === 0 ? DEFAULT_PAGE : req.limit;
    const query = { ...req, pageToken: '' };
    const queryId = randomUUID();
    let members = this.router.members();
    const unavailable: string[] = [];

    const phase = async (extra: Partial<ScatterQueryRequest>): Promise<Answer[]> => {
      const settled = await Promise.allSettled(
        members.map((member) =>
          this.router
            .client(member)
            .unary(scatterQuery.path, { query, queryId, asOfMs, ...extra }, scatterQuery.serialize, scatterQuery.deserialize, call)
            .then((response) => ({ member, response })),
        ),
      );
      const answers: Answer[] = [];
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') answers.push(s.value);
        else if (req.allowPartial && s.reason instanceof EngramError && s.reason.code === status.UNAVAILABLE) unavailable.push(members[i]!.id);
        else throw s.reason;
      });
      members = answers.map((a) => a.member);
      return answers;
    };

    let globalTerms: TermStats | undefined;
    if (req.text.trim() !== '') {
      const terms = await phase({ phase: 'SCATTER_PHASE_TERMS' });
      globalTerms = { documents: 0, totalLength: 0, documentFrequency: {} };
      const df = globalTerms.documentFrequency as Record<string, number>;
      for (const { response } of terms) {
        globalTerms.documents = Number(globalTerms.documents) + Number(response.terms?.documents ?? 0);
        globalTerms.totalLength = Number(globalTerms.totalLength) + Number(response.terms?.totalLength ?? 0);
        for (const [term, n] of Object.entries(response.terms?.documentFrequency ?? {})) df[term] = (df[term] ?? 0) + Number(n);
      }
    }
    const ranges = (await phase({ phase: 'SCATTER_PHASE_RANGES', globalTerms })).reduce(
      (acc, { response }) => mergeRanges(acc, rangesOf(response.ranges)),
      emptyRanges(),
    );
    const tops = await phase({
      phase: 'SCATTER_PHASE_TOP',
      globalTerms,
      globalRanges: ranges,
      after: token?.after,
      limit,
    });
    const merged = tops.flatMap(({ response }) => response.results).sort((a, b) => compareRank(rankKey(a), rankKey(b)));
    const page = merged.slice(0, limit);
    const last = page[page.length - 1];
    if (!req.skipReinforce) this.reinforce(page, call);
    return {
      results: page,
      nextPageToken:
        merged.length > limit && last ? encodePageToken({ asOfMs, after: rankKey(last), fingerprint: queryFingerprint(req) }) : '',
      unavailableShards: unavailable,
    };
  }

  /** Reports the accesses of a page to the shards that own them; a read does not wait for it. */
  private reinforce(page: ScoredMemory__Output[], call: InternalCall): void {
    const byOwner = new Map<string, { client: ReturnType<ShardRouter['owner']>; refs: { subject: string; id: string }[] }>();
    for (const r of page) {
      const m = r.memory!;
      const client = this.router.owner(call.tenant, m.subject);
      const entry = byOwner.get(client.member.id);
      if (entry) entry.refs.push({ subject: m.subject, id: m.id });
      else byOwner.set(client.member.id, { client, refs: [{ subject: m.subject, id: m.id }] });
    }
    const atMs = Date.now();
    for (const { client, refs } of byOwner.values()) {
      client
        .unary(reinforce.path, { refs, atMs }, reinforce.serialize, reinforce.deserialize, { tenant: call.tenant, idempotent: false })
        .catch(() => undefined);
    }
  }
}

function rankKey(r: ScoredMemory__Output) {
  return { score: r.score, subject: r.memory?.subject ?? '', id: r.memory?.id ?? '' };
}
