import { describe, expect, it } from 'vitest';
import { EngramError, messageType } from '@engram/protocol';
import { recallMethod, rememberMethod, splitBatchResponse } from './coalescer.js';

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
    const [a, b, c] = splitBatchResponse(bytes, 3, rememberMethod('/single', '/batch').fieldName);
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

describe('recallMethod', () => {
  it('wraps each RecallRequest as an item of a RecallBatchRequest', () => {
    const recall = messageType('engram.v1.RecallRequest');
    const batch = messageType('engram.shard.v1.RecallBatchRequest');
    const method = recallMethod('/single', '/batch');
    const requests = [{ subject: 'a', id: 'x' }, { subject: 'b'.repeat(200), id: 'y', skipReinforce: true }];
    const bytes = Buffer.concat(requests.map((r) => method.item(Buffer.from(recall.encode(recall.fromObject(r)).finish()))));
    expect(batch.decode(bytes).toJSON()).toEqual({ requests });
  });

  it('coalesces only Remember requests that are exactly one memory', () => {
    const remember = rememberMethod('/single', '/batch');
    const request = messageType('engram.v1.RememberRequest');
    expect(remember.admits(Buffer.from(request.encode(request.fromObject({ memory: { subject: 's', content: 'c' } })).finish()))).toBe(true);
    expect(remember.admits(Buffer.alloc(0))).toBe(false);
    expect(remember.fieldName('memories[12].content: too long')).toBe('memory.content: too long');
  });
});
