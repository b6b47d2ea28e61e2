import { describe, expect, it } from 'vitest';
import { EngramError, type MemoryInput__Output } from '@engram/protocol';
import { validateEmbedding, validateId, validateMemoryInput, validateSubject, type Limits } from '@engram/cognition';
import { memoryInput, TEST_LIMITS } from './testing.js';

const INVALID_ARGUMENT = 3;
const NOW = 1_723_456_789_000;

const limits: Limits = TEST_LIMITS;

const input = (p: Partial<MemoryInput__Output> = {}) => memoryInput({ subject: 'alice', kind: 'note', content: 'likes tea', ...p });

const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

function validate(p: Partial<MemoryInput__Output>, path = 'memory', l: Limits = limits) {
  return validateMemoryInput(input(p), path, l, NOW);
}

/** The INVALID_ARGUMENT message the call threw. */
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

describe('validateMemoryInput: a valid input', () => {
  it('comes back in canonical form', () => {
    const v = validate({
      id: 'note-1',
      content: '  likes\r\ntea  ',
      layer: 'LAYER_LOGIC',
      tags: ['a', 'b', 'a'],
      attributes: { k: 'v' },
      payload: Buffer.from('abc'),
      embedding: [1, 0, 0.5],
      occurredAt: ts(NOW - 1000),
      ttl: { seconds: 60, nanos: 0 },
      evidenceIds: ['e1'],
      importance: 0.5,
      valence: -1,
      arousal: 1,
    });
    expect(v).toEqual({
      id: 'note-1',
      subject: 'alice',
      layer: 3,
      kind: 'note',
      content: 'likes\ntea',
      tags: ['a', 'b'],
      attributes: { k: 'v' },
      payload: Buffer.from('abc'),
      embedding: [1, 0, 0.5],
      occurredAtMs: NOW - 1000,
      importance: 0.5,
      valence: -1,
      arousal: 1,
      ttlMs: 60_000,
      expiresAtMs: undefined,
      evidenceIds: ['e1'],
    });
  });

  it('leaves unset optional fields undefined', () => {
    const v = validate({});
    expect(v.id).toBeUndefined();
    expect(v.layer).toBe(0);
    expect(v.embedding).toBeUndefined();
    expect(v.occurredAtMs).toBeUndefined();
    expect(v.importance).toBeUndefined();
    expect(v.valence).toBeUndefined();
    expect(v.arousal).toBeUndefined();
    expect(v.ttlMs).toBeUndefined();
    expect(v.expiresAtMs).toBeUndefined();
  });

  it('accepts values exactly at the limits', () => {
    expect(() =>
      validate({
        subject: 's'.repeat(16),
        kind: 'k'.repeat(8),
        content: 'c'.repeat(32),
        payload: Buffer.alloc(8),
        tags: ['t1', 't2', 'tttttt'],
        attributes: { a: '123456789', b: '' },
        embedding: [1, 2, 3, 4],
        evidenceIds: ['a', 'b'],
        occurredAt: ts(NOW + 60_000),
        importance: 0,
        valence: 1,
        arousal: 0,
      }),
    ).not.toThrow();
  });

  it('accepts a payload or an embedding instead of content', () => {
    expect(validate({ content: '', payload: Buffer.from('x') }).content).toBe('');
    expect(validate({ content: '', embedding: [0, 1] }).embedding).toEqual([0, 1]);
  });

  it('accepts an expiry in the future', () => {
    expect(validate({ expiresAt: ts(NOW + 1000) }).expiresAtMs).toBe(NOW + 1000);
  });

  it('accepts the layer as a name or number', () => {
    expect(validate({ layer: 'LAYER_ETERNAL' }).layer).toBe(5);
    expect(validate({ layer: 2 as unknown as MemoryInput__Output['layer'] }).layer).toBe(2);
  });
});

describe('validateMemoryInput: each bad field is named', () => {
  it.each<[string, Partial<MemoryInput__Output>, string]>([
    ['an id with a space', { id: 'has space' }, 'memory.id: '],
    ['an id that is too long', { id: 'x'.repeat(129) }, 'memory.id: '],
    ['an id with a slash', { id: 'a/b' }, 'memory.id: '],
    ['an empty subject', { subject: '' }, 'memory.subject: must not be empty'],
    ['a blank subject', { subject: ' \t ' }, 'memory.subject: must not be empty'],
    ['a subject with a newline', { subject: 'ali\nce' }, 'memory.subject: must not contain control characters'],
    ['a subject with NUL', { subject: 'ali\u0000ce' }, 'memory.subject: must not contain control characters'],
    ['a subject with DEL', { subject: 'ali\u007fce' }, 'memory.subject: must not contain control characters'],
    ['a subject over the byte limit', { subject: 's'.repeat(17) }, 'memory.subject: must be at most 16 bytes'],
    ['a subject over the byte limit in UTF-8', { subject: 'é'.repeat(9) }, 'memory.subject: must be at most 16 bytes'],
    ['an unknown layer name', { layer: 'LAYER_BOGUS' as MemoryInput__Output['layer'] }, 'memory.layer: unknown layer LAYER_BOGUS'],
    ['an unknown layer number', { layer: 9 as unknown as MemoryInput__Output['layer'] }, 'memory.layer: unknown layer 9'],
    ['a kind over the byte limit', { kind: 'k'.repeat(9) }, 'memory.kind: must be at most 8 bytes'],
    ['a kind with a control character', { kind: 'no\tte' }, 'memory.kind: must not contain control characters'],
    ['content over the byte limit', { content: 'c'.repeat(33) }, 'memory.content: must be at most 32 bytes'],
    ['content over the byte limit in UTF-8', { content: '€'.repeat(11) }, 'memory.content: must be at most 32 bytes'],
    ['empty content without payload or embedding', { content: '' }, 'memory.content: must not be empty'],
    ['blank content without payload or embedding', { content: ' \r\n ' }, 'memory.content: must not be empty'],
    ['a payload over the limit', { payload: Buffer.alloc(9) }, 'memory.payload: must be at most 8 bytes'],
    ['too many tags', { tags: ['a', 'b', 'c', 'd'] }, 'memory.tags: must have at most 3 tags'],
    ['an empty tag', { tags: [''] }, 'memory.tags[0]: must not be empty'],
    ['a tag over the byte limit', { tags: ['ok', 'toolong'] }, 'memory.tags[1]: must be at most 6 bytes'],
    ['a tag with a control character', { tags: ['a\nb'] }, 'memory.tags[0]: must not contain control characters'],
    ['too many attributes', { attributes: { a: '1', b: '2', c: '3' } }, 'memory.attributes: must have at most 2 entries'],
    ['an empty attribute key', { attributes: { '': 'v' } }, 'memory.attributes: keys must not be empty'],
    ['an attribute key with a control character', { attributes: { 'a\u0001': 'v' } }, 'memory.attributes["a\\u0001"]: key must not contain control characters'],
    ['an attribute over the byte limit', { attributes: { key: 'valuevalue' } }, 'memory.attributes["key"]: key and value must be at most 10 bytes'],
    ['a NaN embedding component', { embedding: [1, 2, Number.NaN] }, 'memory.embedding[2]: must be a finite number'],
    ['an infinite embedding component', { embedding: [Infinity, 1] }, 'memory.embedding[0]: must be a finite number'],
    ['a zero-vector embedding', { embedding: [0, 0, 0] }, 'memory.embedding: must not be the zero vector'],
    ['an embedding with too many dimensions', { embedding: [1, 2, 3, 4, 5] }, 'memory.embedding: must have at most 4 dimensions'],
    ['occurred_at with negative nanos', { occurredAt: { seconds: 1, nanos: -1 } }, 'memory.occurred_at: nanos must be from 0 to 999999999'],
    ['occurred_at with nanos of a whole second', { occurredAt: { seconds: 1, nanos: 1e9 } }, 'memory.occurred_at: nanos must be from 0 to 999999999'],
    ['occurred_at before 1970', { occurredAt: { seconds: -1, nanos: 0 } }, 'memory.occurred_at: must not be before 1970-01-01'],
    ['occurred_at after 9999', { occurredAt: { seconds: 253_402_300_800, nanos: 0 } }, 'memory.occurred_at: must not be after 9999-12-31'],
    ['occurred_at too far in the future', { occurredAt: ts(NOW + 60_001) }, 'memory.occurred_at: must not be more than 60s in the future'],
    ['a zero ttl', { ttl: { seconds: 0, nanos: 0 } }, 'memory.ttl: must be positive'],
    ['a negative ttl', { ttl: { seconds: -5, nanos: 0 } }, 'memory.ttl: must be positive'],
    ['both ttl and expires_at', { ttl: { seconds: 60, nanos: 0 }, expiresAt: ts(NOW + 60_000) }, 'memory.expires_at: give ttl or expires_at, not both'],
    ['expires_at now', { expiresAt: ts(NOW) }, 'memory.expires_at: must be in the future'],
    ['expires_at in the past', { expiresAt: ts(NOW - 1000) }, 'memory.expires_at: must be in the future'],
    ['expires_at with bad nanos', { expiresAt: { seconds: 1, nanos: -5 } }, 'memory.expires_at: nanos must be from 0 to 999999999'],
    ['too many evidence ids', { evidenceIds: ['a', 'b', 'c'] }, 'memory.evidence_ids: must have at most 2 ids'],
    ['a bad evidence id', { evidenceIds: ['ok', 'not ok'] }, 'memory.evidence_ids[1]: '],
    ['a NaN importance', { importance: Number.NaN }, 'memory.importance: must be a number from 0 to 1'],
    ['an importance above 1', { importance: 1.01 }, 'memory.importance: must be a number from 0 to 1'],
    ['a negative importance', { importance: -0.1 }, 'memory.importance: must be a number from 0 to 1'],
    ['a valence below -1', { valence: -1.5 }, 'memory.valence: must be a number from -1 to 1'],
    ['an infinite valence', { valence: Infinity }, 'memory.valence: must be a number from -1 to 1'],
    ['a NaN arousal', { arousal: Number.NaN }, 'memory.arousal: must be a number from 0 to 1'],
    ['a negative arousal', { arousal: -0.1 }, 'memory.arousal: must be a number from 0 to 1'],
  ])('rejects %s', (_name, change, expected) => {
    expect(reason(() => validate(change))).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('prefixes every field with the given path', () => {
    expect(reason(() => validate({ subject: '' }, 'memories[3]'))).toBe('memories[3].subject: must not be empty');
    expect(reason(() => validate({ embedding: [1, Number.NaN] }, 'memories[0]'))).toBe('memories[0].embedding[1]: must be a finite number');
  });

  it('requires the configured embedding dimension when one is set', () => {
    const fixed = { ...limits, embeddingDimensions: 3 };
    expect(reason(() => validate({ embedding: [1, 2] }, 'memory', fixed))).toBe('memory.embedding: must have 3 dimensions, has 2');
    expect(validate({ embedding: [1, 2, 3] }, 'memory', fixed).embedding).toEqual([1, 2, 3]);
  });

  it('measures content after normalisation', () => {
    expect(validate({ content: `   ${'c'.repeat(32)}   ` }).content).toBe('c'.repeat(32));
  });

  it('counts duplicate tags toward the limit before removing them', () => {
    expect(reason(() => validate({ tags: ['a', 'a', 'a', 'a'] }))).toBe('memory.tags: must have at most 3 tags');
  });

  // Bug: tags are de-duplicated before they are checked, so the index in the message is the position in the
  // de-duplicated list, not in the request ("tags[1]" here, while the empty tag is the request's tags[2]).
  it('names a bad tag by its index in the request, even after a duplicate', () => {
    expect(reason(() => validate({ tags: ['x', 'x', ''] }))).toBe('memory.tags[2]: must not be empty');
  });
});

describe('validateSubject, validateId, validateEmbedding', () => {
  it('validateSubject returns the subject unchanged and names the given field', () => {
    expect(validateSubject(' spaced ', 'subject', 16)).toBe(' spaced ');
    expect(reason(() => validateSubject('', 'query.subject', 16))).toBe('query.subject: must not be empty');
  });

  it('validateId accepts the documented alphabet and length', () => {
    for (const id of ['a', 'A-z_0.9:x', 'x'.repeat(128), '01J0000000000000000000000A']) expect(validateId(id, 'id')).toBe(id);
    for (const id of ['', 'x'.repeat(129), 'a b', 'ü', 'a/b', 'a\u0000']) expect(reason(() => validateId(id, 'id'))).toMatch(/^id: /);
  });

  it('validateEmbedding: empty means none; otherwise the stored-embedding rules', () => {
    expect(validateEmbedding([], 'embedding', limits)).toBeUndefined();
    expect(validateEmbedding([0, -1], 'embedding', limits)).toEqual([0, -1]);
    expect(reason(() => validateEmbedding([0, 0], 'embedding', limits))).toBe('embedding: must not be the zero vector');
    expect(reason(() => validateEmbedding([1, Number.NaN], 'embedding', limits))).toBe('embedding[1]: must be a finite number');
  });
});
