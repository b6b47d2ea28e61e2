import { inflateRawSync } from 'node:zlib';
import { LAYER_NAMES, toTimestamp, type Memory } from '@engram/protocol';
import { baseLevelActivation } from '@engram/cognition';
import type { StoredMemory } from '@engram/storage';

/** A stored record as the public Memory message, with activation as of asOfMs. */
export function toWireMemory(r: StoredMemory, asOfMs: number, decay: number): Memory {
  const accesses = r.recentAccessMs.filter((t) => t < asOfMs);
  const last = accesses.length > 0 ? Math.max(...accesses) : undefined;
  return {
    id: r.id,
    subject: r.subject,
    layer: LAYER_NAMES[r.layer] ?? 'LAYER_UNSPECIFIED',
    kind: r.kind,
    content: r.content,
    tags: r.tags,
    attributes: r.attributes,
    payload: r.payloadDeflated ? inflateRawSync(r.payload) : r.payload,
    embedding: r.embedding,
    occurredAt: toTimestamp(r.occurredAtMs),
    ingestedAt: toTimestamp(r.ingestedAtMs),
    importance: r.importance,
    valence: r.valence,
    arousal: r.arousal,
    activation: activationOf(r, asOfMs, decay),
    accessCount: r.accessCount,
    lastAccessedAt: last === undefined ? null : toTimestamp(last),
    version: { wallMs: r.versionWallMs, logical: r.versionLogical, node: r.versionNode },
    expiresAt: r.expiresAtMs === 0 ? null : toTimestamp(r.expiresAtMs),
    evidenceIds: r.evidenceIds,
    keywords: r.keywords,
    contentHash: r.contentHash,
  };
}

/** ACT-R base-level activation of a record: creation plus every access is a presentation. */
export function activationOf(r: StoredMemory, asOfMs: number, decay: number): number {
  return baseLevelActivation(asOfMs, { createdMs: r.ingestedAtMs, recentMs: r.recentAccessMs, total: r.accessCount + 1 }, decay);
}
