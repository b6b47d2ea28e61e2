import { describe, expect, it } from 'vitest';
import { decodePredictionId, encodePredictionId } from './model.js';

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('prediction ids', () => {
  it('round-trip the item and the pattern ids', () => {
    for (const [item, patternIds] of [
      ['checkout', ['p_abc', 'p_def']],
      ['search', []],
      ['ünïcödé ✓ "quoted" \\ item', ['p_' + 'x'.repeat(22)]],
      ['', ['p_1']],
    ] as [string, string[]][]) {
      const id = encodePredictionId(item, patternIds);
      expect(decodePredictionId(id)).toEqual({ item, patternIds });
    }
  });

  it('is URL-safe text', () => {
    const id = encodePredictionId('a/b+c=d', ['p_-_', 'p__-']);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('is deterministic', () => {
    expect(encodePredictionId('x', ['p_1', 'p_2'])).toBe(encodePredictionId('x', ['p_1', 'p_2']));
    expect(encodePredictionId('x', ['p_1', 'p_2'])).not.toBe(encodePredictionId('x', ['p_2', 'p_1']));
  });

  it('gives undefined for garbage', () => {
    for (const garbage of ['', 'not an id!', '%%%', 'AAAA', Buffer.from('{"v":1').toString('base64url'), Buffer.from([0xff, 0xfe, 0x00]).toString('base64url')]) {
      expect(decodePredictionId(garbage)).toBeUndefined();
    }
  });

  it('gives undefined for JSON of the wrong shape', () => {
    for (const value of [
      null,
      5,
      'text',
      [],
      {},
      { v: 2, i: 'x', p: [] },
      { v: '1', i: 'x', p: [] },
      { i: 'x', p: [] },
      { v: 1, p: [] },
      { v: 1, i: 7, p: [] },
      { v: 1, i: null, p: [] },
      { v: 1, i: 'x' },
      { v: 1, i: 'x', p: 'p_1' },
      { v: 1, i: 'x', p: { 0: 'p_1' } },
      { v: 1, i: 'x', p: ['p_1', 2] },
      { v: 1, i: 'x', p: [null] },
    ]) {
      expect(decodePredictionId(encodeJson(value)), JSON.stringify(value)).toBeUndefined();
    }
  });

  it('ignores extra fields of a valid shape', () => {
    expect(decodePredictionId(encodeJson({ v: 1, i: 'x', p: ['p_1'], extra: true }))).toEqual({ item: 'x', patternIds: ['p_1'] });
  });
});
