import {
  decodePageToken,
  fromTimestamp,
  invalidArgument,
  layerNumber,
  type PageToken,
  type QueryRequest__Output,
  type RankingWeights__Output,
} from '@engram/protocol';
import type { Weights } from './ranking.js';
import { queryTerms } from './text.js';
import { validateEmbedding, validateSubject, type Limits } from './validate.js';

export const DEFAULT_PAGE_SIZE = 10;

/** A query that passed validation, in the form the engine evaluates. */
export interface ValidQuery {
  /** Undefined for a tenant-wide query. */
  subject: string | undefined;
  layers: Set<number> | undefined;
  kinds: Set<string> | undefined;
  tags: string[];
  attributes: [string, string][];
  occurredStartMs: number | undefined;
  occurredEndMs: number | undefined;
  /** Distinct index terms of the text cue; undefined without one. */
  terms: string[] | undefined;
  embedding: number[] | undefined;
  limit: number;
  weights: Weights;
  reinforce: boolean;
  page: PageToken | undefined;
}

function weight(w: RankingWeights__Output | null, key: keyof Weights, fallback: number): number {
  const v = w?.[key];
  if (v === undefined || v === null) return fallback;
  if (!Number.isFinite(v) || v < 0) throw invalidArgument(`weights.${key}`, 'must be a non-negative number');
  return v;
}

/** Checks a QueryRequest; throws INVALID_ARGUMENT naming the first bad field. */
export function validateQuery(req: QueryRequest__Output, limits: Limits, defaults: Weights): ValidQuery {
  const subject = req.subject === '' ? undefined : validateSubject(req.subject, 'subject', limits.subjectBytes);
  const layers = req.layers.map((l, i) => {
    const n = layerNumber(l);
    if (n === undefined || n === 0) throw invalidArgument(`layers[${i}]`, `unknown layer ${String(l)}`);
    return n;
  });
  if (req.limit > limits.queryLimit) throw invalidArgument('limit', `must be at most ${limits.queryLimit}`);
  const start = fromTimestamp(req.occurred?.start);
  const end = fromTimestamp(req.occurred?.end);
  if (start !== undefined && end !== undefined && start >= end) throw invalidArgument('occurred', 'start must be before end');
  const text = req.text.trim();
  if (Buffer.byteLength(text) > limits.contentBytes) throw invalidArgument('text', `must be at most ${limits.contentBytes} bytes`);
  const terms = text === '' ? undefined : queryTerms(text);
  if (terms && terms.length > limits.queryTerms) throw invalidArgument('text', `must have at most ${limits.queryTerms} distinct search terms, has ${terms.length}`);
  return {
    subject,
    layers: layers.length > 0 ? new Set(layers) : undefined,
    kinds: req.kinds.length > 0 ? new Set(req.kinds) : undefined,
    tags: [...new Set(req.tags)],
    attributes: Object.entries(req.attributes),
    occurredStartMs: start,
    occurredEndMs: end,
    terms,
    embedding: validateEmbedding(req.embedding, 'embedding', limits),
    limit: req.limit === 0 ? DEFAULT_PAGE_SIZE : req.limit,
    weights: {
      recency: weight(req.weights, 'recency', defaults.recency),
      importance: weight(req.weights, 'importance', defaults.importance),
      relevance: weight(req.weights, 'relevance', defaults.relevance),
      activation: weight(req.weights, 'activation', defaults.activation),
    },
    reinforce: !req.skipReinforce,
    page: req.pageToken === '' ? undefined : decodePageToken(req.pageToken, req),
  };
}
