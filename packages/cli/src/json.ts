import {
  fromTimestamp,
  type DetectPatternsResponse__Output,
  type Memory__Output,
  type Pattern__Output,
  type QueryResponse__Output,
  type ScoredMemory__Output,
} from '@engram/protocol';
import type { Timestamp__Output } from '@engram/protocol/generated/google/protobuf/Timestamp.js';
import type { RememberResponse__Output } from '@engram/protocol/generated/engram/v1/RememberResponse.js';

// Machine output (--json): the response messages in camelCase with proto3 JSON conventions (enum names,
// timestamps as ISO 8601 strings, bytes as base64), one document per command.

export function timeJson(ts: Timestamp__Output | null | undefined): string | null {
  const ms = fromTimestamp(ts);
  return ms === undefined ? null : new Date(ms).toISOString();
}

export function memoryJson(m: Memory__Output) {
  return {
    id: m.id,
    subject: m.subject,
    layer: m.layer,
    kind: m.kind,
    content: m.content,
    tags: m.tags,
    attributes: m.attributes,
    payload: m.payload.length > 0 ? m.payload.toString('base64') : '',
    embedding: m.embedding,
    occurredAt: timeJson(m.occurredAt),
    ingestedAt: timeJson(m.ingestedAt),
    importance: m.importance,
    valence: m.valence,
    arousal: m.arousal,
    activation: m.activation,
    accessCount: m.accessCount,
    lastAccessedAt: timeJson(m.lastAccessedAt),
    version: m.version,
    expiresAt: timeJson(m.expiresAt),
    evidenceIds: m.evidenceIds,
    keywords: m.keywords,
    contentHash: m.contentHash,
  };
}

export function rememberJson(r: RememberResponse__Output) {
  return {
    id: r.id,
    layer: r.layer,
    deduplicated: r.deduplicated,
    version: r.version,
    expiresAt: timeJson(r.expiresAt),
    importance: r.importance,
    valence: r.valence,
    arousal: r.arousal,
  };
}

export function scoredJson(r: ScoredMemory__Output) {
  return { score: r.score, components: r.components, memory: r.memory ? memoryJson(r.memory) : null };
}

/** Query results of one or more pages: the last page's token (empty after the last page) and the shards that did not answer. */
export function queryJson(q: Pick<QueryResponse__Output, 'results' | 'nextPageToken' | 'unavailableShards'> & { pages: number }) {
  return { results: q.results.map(scoredJson), nextPageToken: q.nextPageToken, unavailableShards: q.unavailableShards, pages: q.pages };
}

/** A pattern; maxGap is null when it was mined with an unbounded gap. */
export function patternJson(p: Pattern__Output) {
  return {
    id: p.id,
    elements: p.elements.map((e) => ({ items: e.items })),
    support: p.support,
    relativeSupport: p.relativeSupport,
    confidence: p.confidence,
    strategy: p.strategy,
    itemSource: p.itemSource,
    weight: p.weight,
    evidenceIds: p.evidenceIds,
    detectedAt: timeJson(p.detectedAt),
    maxGap: p._maxGap === 'maxGap' && p.maxGap !== undefined ? p.maxGap : null,
  };
}

export function detectJson(r: DetectPatternsResponse__Output) {
  return { patterns: r.patterns.map(patternJson), stats: r.stats, stored: r.stored };
}

/** Writes one output document: JSON in --json mode, else the human text (computed only then). */
export function emit(json: boolean, document: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(document)}\n` : `${human()}\n`);
}
