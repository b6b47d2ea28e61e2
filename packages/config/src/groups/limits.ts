import { duration, int, size } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Input limits: anything over them is refused with INVALID_ARGUMENT or RESOURCE_EXHAUSTED, never truncated. */
export const limitsGroup = group({
  title: 'Limits',
  settings: {
    subjectBytes: setting('ENGRAM_LIMIT_SUBJECT_BYTES', '256', 'Longest subject, in UTF-8 bytes', int(1, 4096)),
    kindBytes: setting('ENGRAM_LIMIT_KIND_BYTES', '64', 'Longest kind', int(1, 1024)),
    contentBytes: setting('ENGRAM_LIMIT_CONTENT_BYTES', '64kb', 'Largest content', size(1, 64 * 2 ** 20)),
    payloadBytes: setting('ENGRAM_LIMIT_PAYLOAD_BYTES', '1mb', 'Largest payload', size(0, 64 * 2 ** 20)),
    tags: setting('ENGRAM_LIMIT_TAGS', '64', 'Most tags per memory', int(0, 10_000)),
    tagBytes: setting('ENGRAM_LIMIT_TAG_BYTES', '128', 'Longest tag', int(1, 4096)),
    attributes: setting('ENGRAM_LIMIT_ATTRIBUTES', '64', 'Most attributes per memory', int(0, 10_000)),
    attributeBytes: setting('ENGRAM_LIMIT_ATTRIBUTE_BYTES', '1kb', 'Longest attribute key plus value', size(2, 2 ** 20)),
    embeddingDimensions: setting(
      'ENGRAM_EMBEDDING_DIMENSIONS',
      '0',
      'Required embedding dimension (0 = any up to ENGRAM_LIMIT_EMBEDDING_DIMENSIONS; cosine compares equal dimensions only)',
      int(0, 65_536),
    ),
    maxEmbeddingDimensions: setting('ENGRAM_LIMIT_EMBEDDING_DIMENSIONS', '4096', 'Largest embedding', int(1, 65_536)),
    evidenceIds: setting('ENGRAM_LIMIT_EVIDENCE_IDS', '256', 'Most evidence ids per memory', int(0, 100_000)),
    batchItems: setting('ENGRAM_LIMIT_BATCH_ITEMS', '1000', 'Most items in one RememberBatch', int(1, 100_000)),
    queryLimit: setting('ENGRAM_LIMIT_QUERY_RESULTS', '1000', 'Largest page a Query may ask for', int(1, 100_000)),
    queryTerms: setting('ENGRAM_LIMIT_QUERY_TERMS', '64', 'Most distinct search terms in a query text cue', int(1, 10_000)),
    queryCandidates: setting(
      'ENGRAM_LIMIT_QUERY_CANDIDATES',
      '250000',
      'Most memories one shard scores for one query; a broader query gets RESOURCE_EXHAUSTED and should be narrowed',
      int(1, 100_000_000),
    ),
    futureSkew: setting(
      'ENGRAM_LIMIT_FUTURE_SKEW',
      '24h',
      'How far in the future occurred_at may lie (clock skew allowance)',
      duration(0, 365 * 86_400_000),
    ),
    messageBytes: setting('ENGRAM_LIMIT_MESSAGE_BYTES', '16mb', 'Largest gRPC message received', size(1024, 2 ** 30)),
  },
  check: (v) =>
    v.embeddingDimensions > v.maxEmbeddingDimensions
      ? 'ENGRAM_EMBEDDING_DIMENSIONS exceeds ENGRAM_LIMIT_EMBEDDING_DIMENSIONS'
      : undefined,
});
