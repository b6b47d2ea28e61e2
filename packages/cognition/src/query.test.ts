import { describe, expect, it } from 'vitest';
import { EngramError, encodePageToken, queryFingerprint, type QueryRequest__Output } from '@engram/protocol';
import { DEFAULT_PAGE_SIZE, queryTerms, validateQuery, type Limits, type Weights } from '@engram/cognition';
import { queryRequest, TEST_LIMITS } from './testing.js';

const INVALID_ARGUMENT = 3;

const limits: Limits = { ...TEST_LIMITS, contentBytes: 40 };

const defaults: Weights = { recency: 1, importance: 1, relevance: 1, activation: 0.5 };

const query = queryRequest;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngramError);
    expect((err as EngramError).code).toBe(INVALID_ARGUMENT);
    return (err as EngramError).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const validate = (p: Partial<QueryRequest__Output>) => validateQuery(query(p), limits, defaults);

describe('validateQuery defaults', () => {
  it('fills in defaults for an empty query', () => {
    expect(validate({})).toEqual({
      subject: undefined,
      layers: undefined,
      kinds: undefined,
      tags: [],
      attributes: [],
      occurredStartMs: undefined,
      occurredEndMs: undefined,
      terms: undefined,
      embedding: undefined,
      limit: DEFAULT_PAGE_SIZE,
      weights: defaults,
      reinforce: true,
      page: undefined,
    });
    expect(DEFAULT_PAGE_SIZE).toBe(10);
  });

  it('does not share the defaults object', () => {
    const v = validate({});
    v.weights.recency = 99;
    expect(defaults.recency).toBe(1);
  });
});

describe('validateQuery fields', () => {
  it('keeps a valid subject and rejects a bad one', () => {
    expect(validate({ subject: 'alice' }).subject).toBe('alice');
    expect(reason(() => validate({ subject: 'a\nb' }))).toBe('subject: must not contain control characters');
    expect(reason(() => validate({ subject: ' ' }))).toBe('subject: must not be empty');
    expect(reason(() => validate({ subject: 'x'.repeat(17) }))).toBe('subject: must be at most 16 bytes');
  });

  it('turns layers into a set of numbers', () => {
    expect(validate({ layers: ['LAYER_LOGIC', 'LAYER_DREAM', 'LAYER_LOGIC'] }).layers).toEqual(new Set([3, 4]));
  });

  it('rejects LAYER_UNSPECIFIED and unknown layers, naming the index', () => {
    expect(reason(() => validate({ layers: ['LAYER_LOGIC', 'LAYER_UNSPECIFIED'] }))).toBe('layers[1]: unknown layer LAYER_UNSPECIFIED');
    expect(reason(() => validate({ layers: ['LAYER_BOGUS' as QueryRequest__Output['layers'][number]] }))).toBe('layers[0]: unknown layer LAYER_BOGUS');
  });

  it('takes the limit up to the configured bound', () => {
    expect(validate({ limit: 1 }).limit).toBe(1);
    expect(validate({ limit: 100 }).limit).toBe(100);
    expect(reason(() => validate({ limit: 101 }))).toBe('limit: must be at most 100');
  });

  it('turns kinds into a set and de-duplicates tags', () => {
    const v = validate({ kinds: ['note', 'chat', 'note'], tags: ['a', 'b', 'a'], attributes: { k: 'v', j: 'w' } });
    expect(v.kinds).toEqual(new Set(['note', 'chat']));
    expect(v.tags).toEqual(['a', 'b']);
    expect(v.attributes).toEqual([
      ['k', 'v'],
      ['j', 'w'],
    ]);
  });

  it('reads the occurred range and requires start before end', () => {
    const v = validate({ occurred: { start: { seconds: 10, nanos: 0 }, end: { seconds: 20, nanos: 5_000_000 } } });
    expect([v.occurredStartMs, v.occurredEndMs]).toEqual([10_000, 20_005]);
    expect(validate({ occurred: { start: { seconds: 10, nanos: 0 }, end: null } }).occurredEndMs).toBeUndefined();
    expect(reason(() => validate({ occurred: { start: { seconds: 20, nanos: 0 }, end: { seconds: 20, nanos: 0 } } }))).toBe('occurred: start must be before end');
    expect(reason(() => validate({ occurred: { start: { seconds: 30, nanos: 0 }, end: { seconds: 20, nanos: 0 } } }))).toBe('occurred: start must be before end');
  });

  it('turns the text cue into its index terms', () => {
    expect(validate({ text: '  Running shoes for the runners ' }).terms).toEqual(queryTerms('Running shoes for the runners'));
    expect(validate({ text: '  Running shoes ' }).terms).toEqual(['run', 'shoe']);
    expect(validate({ text: '   ' }).terms).toBeUndefined();
    expect(validate({ text: 'the of' }).terms).toEqual([]);
  });

  it('bounds the text cue by the content limit', () => {
    expect(reason(() => validate({ text: 'x'.repeat(41) }))).toBe('text: must be at most 40 bytes');
  });

  it('validates the embedding cue like a stored embedding', () => {
    expect(validate({ embedding: [0.5, 0.5] }).embedding).toEqual([0.5, 0.5]);
    expect(reason(() => validate({ embedding: [0, 0] }))).toBe('embedding: must not be the zero vector');
    expect(reason(() => validate({ embedding: [1, Number.NaN] }))).toBe('embedding[1]: must be a finite number');
    expect(reason(() => validate({ embedding: [1, 2, 3, 4, 5] }))).toBe('embedding: must have at most 4 dimensions');
  });

  it('turns skip_reinforce into reinforce', () => {
    expect(validate({ skipReinforce: true }).reinforce).toBe(false);
  });
});

describe('validateQuery weights', () => {
  it('overrides only the weights given', () => {
    expect(validate({ weights: { importance: 3 } }).weights).toEqual({ ...defaults, importance: 3 });
    expect(validate({ weights: { recency: 0, activation: 0 } }).weights).toEqual({ recency: 0, importance: 1, relevance: 1, activation: 0 });
  });

  it.each([
    ['recency', -1],
    ['importance', Number.NaN],
    ['relevance', Infinity],
    ['activation', -0.001],
  ] as const)('rejects %s = %d', (key, value) => {
    expect(reason(() => validate({ weights: { [key]: value } }))).toBe(`weights.${key}: must be a non-negative number`);
  });
});

describe('validateQuery paging', () => {
  it('decodes a page token issued for the same query', () => {
    const q = query({ subject: 'alice', text: 'tea' });
    const token = { asOfMs: 1_723_456_789_012, after: { score: 0.75, subject: 'alice', id: '01X' }, fingerprint: queryFingerprint(q) };
    const next = { ...q, pageToken: encodePageToken(token), limit: 20 };
    expect(validateQuery(next, limits, defaults).page).toEqual(token);
  });

  it('rejects a page token issued for another query', () => {
    const other = query({ subject: 'bob' });
    const raw = encodePageToken({ asOfMs: 1, after: { score: 0, subject: 'bob', id: 'x' }, fingerprint: queryFingerprint(other) });
    expect(reason(() => validate({ subject: 'alice', pageToken: raw }))).toMatch(/^page_token: /);
  });

  it('rejects a garbage page token', () => {
    expect(reason(() => validate({ pageToken: 'garbage!' }))).toMatch(/^page_token: /);
  });
});

describe('validateQuery text limits', () => {
  it('refuses a text cue with more distinct terms than allowed, naming text', () => {
    const words = Array.from({ length: 70 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`).join(' ');
    expect(reason(() => validateQuery(query({ text: words }), { ...limits, contentBytes: 65536 }, defaults))).toMatch(/^text: must have at most 64 distinct search terms/);
  });
});
