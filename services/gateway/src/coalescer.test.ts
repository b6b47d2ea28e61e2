import { describe, expect, it } from 'vitest';
import { EngramError, messageType } from '@engram/protocol';
import { splitBatchResponse } from './coalescer.js';

const encode = (value: object) => Buffer.from(messageType('engram.v1.RememberBatchResponse').encode(messageType('engram.v1.RememberBatchResponse').fromObject(value)).finish());
const decodeOk = (bytes: Buffer) => messageType('engram.v1.RememberResponse').decode(bytes).toJSON();

describe('splitBatchResponse', () => {
  it('gives each item its RememberResponse bytes or its error, by index', () => {
    const bytes = encode({
      results: [
        { index: 1, error: { code: 3, message: 'memories[1].content: must not be empty' } },
        { index: 0, ok: { id: 'a', layer: 'LAYER_SENSORY' } },
        { index: 2, ok: { id: 'c', deduplicated: true } },
      ],
      succeeded: 2,
      failed: 1,
    });
    const [a, b, c] = splitBatchResponse(bytes, 3);
    expect(decodeOk(a as Buffer)).toMatchObject({ id: 'a', layer: 'LAYER_SENSORY' });
    expect(b).toBeInstanceOf(EngramError);
    expect((b as EngramError).code).toBe(3);
    expect((b as EngramError).message).toBe('memory.content: must not be empty');
    expect(decodeOk(c as Buffer)).toMatchObject({ id: 'c', deduplicated: true });
  });

  it('reports a missing result as an internal error rather than hanging the caller', () => {
    const [a, b] = splitBatchResponse(encode({ results: [{ index: 0, ok: { id: 'a' } }] }), 2);
    expect(Buffer.isBuffer(a)).toBe(true);
    expect((b as EngramError).code).toBe(13);
  });
});
