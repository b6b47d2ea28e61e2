import { describe, expect, it } from 'vitest';
import {
  EngramError,
  decodePageToken,
  encodePageToken,
  queryFingerprint,
  type PageToken,
  type QueryRequest__Output,
} from '@engram/protocol';

const INVALID_ARGUMENT = 3;

function query(p: Partial<QueryRequest__Output> = {}): QueryRequest__Output {
  return {
    subject: 'alice',
    layers: ['LAYER_LOGIC'],
    kinds: ['note'],
    tags: ['work'],
    occurred: { start: { seconds: 1_700_000_000, nanos: 0 }, end: null },
    attributes: { project: 'engram' },
    text: 'coffee preferences',
    embedding: [0.5, -0.25, 1],
    limit: 10,
    pageToken: '',
    weights: { recency: 2, importance: 1 },
    skipReinforce: false,
    allowPartial: false,
    ...p,
  };
}

function tokenFor(q: QueryRequest__Output, p: Partial<PageToken> = {}): PageToken {
  return {
    asOfMs: 1_723_456_789_012,
    after: { score: 1.875, subject: 'alice', id: '01J0000000000000000000000A' },
    fingerprint: queryFingerprint(q),
    ...p,
  };
}

function rejection(fn: () => unknown): EngramError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngramError);
    return err as EngramError;
  }
  throw new Error('expected the call to throw');
}

describe('page tokens', () => {
  it('round-trip: a token decodes to what was encoded', () => {
    const q = query();
    const token = tokenFor(q);
    expect(decodePageToken(encodePageToken(token), q)).toEqual(token);
  });

  it('round-trip exactly: large times, fractional and negative scores, unicode subjects', () => {
    const q = query({ subject: '' });
    for (const after of [
      { score: -0.1234567890123, subject: 'Zoë 東京', id: 'a' },
      { score: 0, subject: '', id: '' },
      { score: 1e300, subject: 'x', id: 'y:z' },
    ]) {
      const token = tokenFor(q, { asOfMs: Number.MAX_SAFE_INTEGER, after });
      expect(decodePageToken(encodePageToken(token), q)).toEqual(token);
    }
  });

  it('is URL-safe base64 (no +, / or padding)', () => {
    for (let i = 0; i < 50; i++) {
      const raw = encodePageToken(tokenFor(query(), { asOfMs: i * 7919, after: { score: i / 3, subject: `s${i}`, id: `id-${i}` } }));
      expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('continues the same query even when its page size or delivery flags change', () => {
    const q = query();
    const raw = encodePageToken(tokenFor(q));
    const next = query({ pageToken: raw, limit: 50, skipReinforce: true, allowPartial: true });
    expect(decodePageToken(raw, next).after.id).toBe('01J0000000000000000000000A');
  });

  it.each<[string, Partial<QueryRequest__Output>]>([
    ['subject', { subject: 'bob' }],
    ['text', { text: 'tea preferences' }],
    ['layers', { layers: ['LAYER_DREAM'] }],
    ['kinds', { kinds: ['chat'] }],
    ['tags', { tags: ['home'] }],
    ['attributes', { attributes: { project: 'other' } }],
    ['embedding', { embedding: [0.5, -0.25, 0.9] }],
    ['weights', { weights: { recency: 3, importance: 1 } }],
    ['occurred', { occurred: null }],
  ])('rejects a token issued for a query with a different %s, naming page_token', (_field, change) => {
    const raw = encodePageToken(tokenFor(query()));
    const err = rejection(() => decodePageToken(raw, query(change)));
    expect(err.code).toBe(INVALID_ARGUMENT);
    expect(err.message).toMatch(/^page_token: /);
    expect(err.message).toContain('different query');
  });

  it.each([
    ['plain text', 'not a token'],
    ['a byte sequence that is not a protobuf message', Buffer.from([0xff, 0xff, 0xff]).toString('base64url')],
    ['a truncated token', encodePageToken(tokenFor(query())).slice(0, 10)],
    ['an empty-looking token', '***'],
  ])('rejects %s with INVALID_ARGUMENT naming page_token', (_name, raw) => {
    const err = rejection(() => decodePageToken(raw, query()));
    expect(err.code).toBe(INVALID_ARGUMENT);
    expect(err.message).toMatch(/^page_token: /);
  });

  it('rejects a token without a cursor', () => {
    const q = query();
    const raw = encodePageToken({ asOfMs: 5, fingerprint: queryFingerprint(q) } as PageToken);
    const err = rejection(() => decodePageToken(raw, q));
    expect(err.code).toBe(INVALID_ARGUMENT);
    expect(err.message).toMatch(/^page_token: /);
  });
});

describe('queryFingerprint', () => {
  it('is deterministic and short', () => {
    expect(queryFingerprint(query())).toBe(queryFingerprint(query()));
    expect(queryFingerprint(query())).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('ignores paging and delivery fields', () => {
    const base = queryFingerprint(query());
    expect(queryFingerprint(query({ pageToken: 'abc', limit: 99, skipReinforce: true, allowPartial: true }))).toBe(base);
  });

  it('differs when what the query asks differs', () => {
    const prints = new Set([
      queryFingerprint(query()),
      queryFingerprint(query({ subject: '' })),
      queryFingerprint(query({ text: '' })),
      queryFingerprint(query({ weights: null })),
      queryFingerprint(query({ embedding: [] })),
    ]);
    expect(prints.size).toBe(5);
  });

  it('treats filters as sets: their order does not change the fingerprint', () => {
    const a = query({ tags: ['x', 'y'], kinds: ['k1', 'k2'], attributes: { a: '1', b: '2' } });
    const b = query({ tags: ['y', 'x'], kinds: ['k2', 'k1'], attributes: { b: '2', a: '1' } });
    expect(queryFingerprint(a)).toBe(queryFingerprint(b));
  });
});
