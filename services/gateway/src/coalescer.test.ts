import { describe, expect, it } from 'vitest';
import { EngramError, messageType } from '@engram/protocol';
import type { InternalCall, NodeClient } from '@engram/cluster-client';
import { Coalescer, recallMethod, rememberMethod, splitBatchResponse } from './coalescer.js';

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

describe('Coalescer', () => {
  /** A stand-in shard client that records the internal calls and answers when told. */
  function fakeShard() {
    const calls: { path: string; request: Buffer; call: InternalCall; answer: (items: number) => void; fail: (err: Error) => void }[] = [];
    const shard = {
      member: { id: 'shard-0', address: '127.0.0.1:1' },
      raw: (path: string, request: Buffer, call: InternalCall) =>
        new Promise<Buffer>((resolve, reject) => {
          calls.push({
            path,
            request,
            call,
            answer: (items) =>
              resolve(
                path === '/single'
                  ? Buffer.from(messageType('engram.v1.RememberResponse').encode({ id: 'solo' }).finish())
                  : encode({ results: Array.from({ length: items }, (_, i) => ({ index: i, ok: { id: `m${i}` } })) }),
              ),
            fail: reject,
          });
        }),
    };
    return { shard: shard as unknown as NodeClient, calls };
  }
  const request = (content: string) => Buffer.from(messageType('engram.v1.RememberRequest').encode(messageType('engram.v1.RememberRequest').fromObject({ memory: { subject: 's', content } })).finish());
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const idOf = (b: Buffer) => decodeOk(b).id;

  it('sends a request alone in its turn as the single call, with its own call options', async () => {
    const { shard, calls } = fakeShard();
    const c = new Coalescer({ maxInFlight: 2, maxBatch: 10 }, rememberMethod('/single', '/batch'));
    const parent = { on: () => {} };
    const p = c.call(shard, request('a'), { tenant: 't', deadlineMs: 123, parent: parent as never });
    await turn();
    expect(calls.map((x) => x.path)).toEqual(['/single']);
    expect(calls[0]!.call.parent).toBe(parent);
    calls[0]!.answer(1);
    expect(idOf(await p)).toBe('solo');
  });

  it('sends the requests of one turn as one batch, in pieces of maxBatch, and at most maxInFlight at once', async () => {
    const { shard, calls } = fakeShard();
    const c = new Coalescer({ maxInFlight: 2, maxBatch: 3 }, rememberMethod('/single', '/batch'));
    const ps = Array.from({ length: 8 }, (_, i) => c.call(shard, request(`r${i}`), { tenant: 't', deadlineMs: 100 + i, idempotent: true }));
    await turn();
    // 3 + 3 go (two in flight); the other two wait for one to come back.
    expect(calls.map((x) => x.path)).toEqual(['/batch', '/batch']);
    expect(calls[0]!.call).toEqual({ tenant: 't', deadlineMs: 102, idempotent: true });
    calls[0]!.answer(3);
    await turn();
    expect(calls.length).toBe(3);
    calls[1]!.answer(3);
    calls[2]!.answer(2);
    const ids = (await Promise.all(ps)).map(idOf);
    expect(ids).toEqual(['m0', 'm1', 'm2', 'm0', 'm1', 'm2', 'm0', 'm1']);
    expect(c.batches).toBe(3);
    expect(c.coalesced).toBe(8);
  });

  it('fails every request of a batch whose call failed', async () => {
    const { shard, calls } = fakeShard();
    const c = new Coalescer({ maxInFlight: 1, maxBatch: 10 }, rememberMethod('/single', '/batch'));
    const ps = [c.call(shard, request('a'), { tenant: 't' }), c.call(shard, request('b'), { tenant: 't' })].map((p) => p.catch((e: Error) => e.message));
    await turn();
    calls[0]!.fail(new Error('shard down'));
    expect(await Promise.all(ps)).toEqual(['shard down', 'shard down']);
  });
});
