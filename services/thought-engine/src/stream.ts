import { callShard, type InternalCall, type ShardRouter } from '@engram/cluster-client';
import type { Item, Sequence } from '@engram/patterns';
import { resourceExhausted, type ItemSource, type Layer, type ReadStreamRequest, type ReadStreamResponse__Output, type StreamEntry__Output, type TimeRange } from '@engram/protocol';

/** A subject's stream as a sequence database: episodes of elements, each element one memory's items. */
export interface EpisodeDatabase {
  /** Items as integers: index = id. Sorted, so ids are deterministic for the same stream. */
  dictionary: string[];
  sequences: Sequence[];
  /** The memory id of every element: evidence[s][e] for sequences[s][e]. */
  evidence: string[][];
  memories: number;
  /** Ingest time of the newest memory read, and the shard's clock at the read. */
  lastIngestedMs: number;
  nowMs: number;
  entries: StreamEntry__Output[];
}

export interface StreamSelection {
  layers: readonly (Layer | string)[];
  occurred: TimeRange | null;
  maxMemories: number;
}

const PAGE = 5000;

/** Reads a subject's memories from its shard, page by page, refusing a stream over the limit. */
export async function readStream(router: ShardRouter, subject: string, sel: StreamSelection, call: InternalCall): Promise<{ entries: StreamEntry__Output[]; nowMs: number }> {
  const shard = router.owner(call.tenant, subject);
  const entries: StreamEntry__Output[] = [];
  let afterId = '';
  let nowMs = 0;
  for (;;) {
    const req: ReadStreamRequest = { subject, layers: [...sel.layers] as Layer[], occurred: sel.occurred, afterId, limit: PAGE };
    const page = await callShard<ReadStreamRequest, ReadStreamResponse__Output>(shard, 'ReadStream', req, { ...call, idempotent: true });
    nowMs = page.nowMs;
    entries.push(...page.entries);
    if (entries.length > sel.maxMemories) {
      throw resourceExhausted(`the subject's stream holds more than ${sel.maxMemories} memories; narrow it with config.occurred or config.layers`);
    }
    if (page.nextAfterId === '') return { entries, nowMs };
    afterId = page.nextAfterId;
  }
}

/** The newest memories of a subject (newest first), for a prediction context. */
export async function readLatest(router: ShardRouter, subject: string, layers: readonly (Layer | string)[], limit: number, call: InternalCall): Promise<StreamEntry__Output[]> {
  const shard = router.owner(call.tenant, subject);
  const req: ReadStreamRequest = { subject, layers: [...layers] as Layer[], limit, newestFirst: true };
  const page = await callShard<ReadStreamRequest, ReadStreamResponse__Output>(shard, 'ReadStream', req, { ...call, idempotent: true });
  return page.entries;
}

/** The items a memory contributes, by item source. */
export function itemsOf(e: StreamEntry__Output, source: ItemSource | string): string[] {
  switch (source) {
    case 'ITEM_SOURCE_TAGS':
      return e.tags;
    case 'ITEM_SOURCE_TERMS':
      return e.terms;
    default:
      return e.kind === '' ? [] : [e.kind];
  }
}

/** Memories in event-time order (ties by id, so the order is deterministic). */
export function chronological(entries: readonly StreamEntry__Output[]): StreamEntry__Output[] {
  return [...entries].sort((a, b) => a.occurredAtMs - b.occurredAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Splits a stream into episodes (a pause longer than episodeGapMs starts a new one) and maps items to integers.
 * A memory without items (no kind, no tags, no terms) adds no element, but its time still counts for gaps.
 */
export function toEpisodes(entries: readonly StreamEntry__Output[], source: ItemSource | string, episodeGapMs: number, nowMs: number): EpisodeDatabase {
  const ordered = chronological(entries);
  const names = new Set<string>();
  for (const e of ordered) for (const item of itemsOf(e, source)) names.add(item);
  const dictionary = [...names].sort();
  const ids = new Map(dictionary.map((name, i) => [name, i] as const));
  const sequences: Item[][][] = [];
  const evidence: string[][] = [];
  let current: Item[][] = [];
  let currentEvidence: string[] = [];
  let lastAt = -Infinity;
  let lastIngestedMs = 0;
  const close = () => {
    if (current.length > 0) {
      sequences.push(current);
      evidence.push(currentEvidence);
    }
    current = [];
    currentEvidence = [];
  };
  for (const e of ordered) {
    if (e.occurredAtMs - lastAt > episodeGapMs) close();
    lastAt = e.occurredAtMs;
    lastIngestedMs = Math.max(lastIngestedMs, e.ingestedAtMs);
    const items = [...new Set(itemsOf(e, source).map((name) => ids.get(name)!))].sort((a, b) => a - b);
    if (items.length === 0) continue;
    current.push(items);
    currentEvidence.push(e.id);
  }
  close();
  return { dictionary, sequences, evidence, memories: ordered.length, lastIngestedMs, nowMs, entries: ordered };
}
