import { createHash } from 'node:crypto';
import { invalidArgument } from './errors.js';
import { messageType } from './protos.js';
import type { QueryRequest__Output } from './generated/engram/v1/QueryRequest.js';

export interface PageCursor {
  score: number;
  subject: string;
  id: string;
}

export interface PageToken {
  /** The query's reference time: every page ranks as of it, so pages neither skip nor repeat results. */
  asOfMs: number;
  after: PageCursor;
  fingerprint: string;
}

/**
 * Identifies what a query asks (filters, cues, weights), not how it pages: a token only continues the query that
 * issued it.
 */
export function queryFingerprint(query: QueryRequest__Output): string {
  const type = messageType('engram.v1.QueryRequest');
  const sorted = <T>(values: readonly T[]) => [...values].map(String).sort();
  const shape = type.fromObject({
    ...query,
    // Filters are sets: their order does not change the query.
    layers: sorted(query.layers),
    kinds: sorted(query.kinds),
    tags: sorted(query.tags),
    attributes: Object.fromEntries(Object.entries(query.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    pageToken: '',
    limit: 0,
    skipReinforce: false,
    allowPartial: false,
  });
  return createHash('sha256').update(type.encode(shape).finish()).digest('base64url').slice(0, 16);
}

export function encodePageToken(token: PageToken): string {
  const type = messageType('engram.shard.v1.PageToken');
  return Buffer.from(type.encode(type.fromObject(token)).finish()).toString('base64url');
}

/** Decodes a client's page token and checks it belongs to this query; INVALID_ARGUMENT (page_token) otherwise. */
export function decodePageToken(raw: string, query: QueryRequest__Output): PageToken {
  const type = messageType('engram.shard.v1.PageToken');
  let token: PageToken;
  try {
    const decoded = type.toObject(type.decode(Buffer.from(raw, 'base64url')), { defaults: true, longs: Number }) as PageToken;
    token = decoded;
  } catch {
    throw invalidArgument('page_token', 'is not a token this service issued');
  }
  if (!token.after || token.fingerprint !== queryFingerprint(query)) {
    throw invalidArgument('page_token', 'belongs to a different query');
  }
  return token;
}
