import type { MemoryInput__Output, QueryRequest__Output } from '@engram/protocol';
import type { Limits } from './validate.js';

// Builders of decoded requests (every field present, as the gRPC layer hands them over), shared by the tests
// of this package and of the packages built on it. Not used by production code.

/** Small limits that make every bound easy to hit in a test. */
export const TEST_LIMITS: Limits = Object.freeze({
  subjectBytes: 16,
  kindBytes: 8,
  contentBytes: 32,
  payloadBytes: 8,
  tags: 3,
  tagBytes: 6,
  attributes: 2,
  attributeBytes: 10,
  embeddingDimensions: 0,
  maxEmbeddingDimensions: 4,
  evidenceIds: 2,
  batchItems: 10,
  queryLimit: 100,
  queryTerms: 64,
  queryCandidates: 1000,
  futureSkew: 60_000,
  messageBytes: 1 << 20,
});

/** A MemoryInput with every field at its default, then the given ones. */
export function memoryInput(p: Partial<MemoryInput__Output> = {}): MemoryInput__Output {
  return {
    id: '',
    subject: '',
    layer: 'LAYER_UNSPECIFIED',
    kind: '',
    content: '',
    tags: [],
    attributes: {},
    payload: Buffer.alloc(0),
    embedding: [],
    occurredAt: null,
    ttl: null,
    expiresAt: null,
    evidenceIds: [],
    ...p,
  };
}

/** A QueryRequest with every field at its default, then the given ones. */
export function queryRequest(p: Partial<QueryRequest__Output> = {}): QueryRequest__Output {
  return {
    subject: '',
    layers: [],
    kinds: [],
    tags: [],
    occurred: null,
    attributes: {},
    text: '',
    embedding: [],
    limit: 0,
    pageToken: '',
    weights: null,
    skipReinforce: false,
    allowPartial: false,
    ...p,
  };
}

/** A deterministic PRNG (mulberry32) for seeded property tests: numbers in [0, 1). */
export { mulberry32 as prng } from '@engram/protocol';
