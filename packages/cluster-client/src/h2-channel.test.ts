import { EventEmitter } from 'node:events';
import http2, { type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUnaryMethod } from '@engram/protocol';
import { H2Channel, type CallFailure, type CancelSource } from './h2-channel.js';

const method = rawUnaryMethod;
const MAX = 64 * 1024;
const options = { maxMessageBytes: MAX, connectionWindowBytes: 16 * 2 ** 20, streamWindowBytes: 2 ** 20, minBackoffMs: 100, maxBackoffMs: 1000 };

/** The server side of each call: its metadata, and how a hanging one was cancelled. */
const seen: Metadata[] = [];
const hangs: Promise<void>[] = [];

async function startServer(port = 0): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(
    { Echo: method('/t.T/Echo'), Fail: method('/t.T/Fail'), Hang: method('/t.T/Hang'), Big: method('/t.T/Big') },
    {
      Echo: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        seen.push(call.metadata);
        cb(null, call.request);
      },
      Fail: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb({ code: status.NOT_FOUND, details: 'no such thing: 100% ü' } as ServiceError),
      Hang: (call: ServerUnaryCall<Buffer, Buffer>) => {
        hangs.push(new Promise((resolve) => call.on('cancelled', () => resolve())));
      },
      Big: (_call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, Buffer.alloc(MAX + 10)),
    },
  );
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port: bound };
}

function call(channel: H2Channel, path: string, body: string, o: { deadlineMs?: number; headers?: Record<string, string>; parent?: CancelSource } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    channel.unary(path, Buffer.from(body), o.headers ?? {}, o.deadlineMs ?? Date.now() + 10_000, o.parent, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as CallFailure);

describe('H2Channel', () => {
  let grpc: { server: Server; port: number };
  let channel: H2Channel;

  beforeAll(async () => {
    grpc = await startServer();
    channel = new H2Channel(`127.0.0.1:${grpc.port}`, options);
  });
  afterAll(() => {
    channel?.close();
    grpc?.server.forceShutdown();
  });

  it('calls a grpc-js server with bytes and metadata', async () => {
    expect((await call(channel, '/t.T/Echo', 'hello', { headers: { 'engram-tenant': 'acme' } })).toString()).toBe('hello');
    expect(seen.at(-1)!.get('engram-tenant')).toEqual(['acme']);
    // Many at once on the one connection.
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => call(channel, '/t.T/Echo', `m${i}`)));
    expect(many.map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });

  it('passes on the server’s status and message', async () => {
    expect(await failure(call(channel, '/t.T/Fail', 'x'))).toEqual({ code: status.NOT_FOUND, details: 'no such thing: 100% ü' });
    expect((await failure(call(channel, '/t.T/Missing', 'x'))).code).toBe(status.UNIMPLEMENTED);
  });

  it('ends a call at its deadline and resets the stream, which the server sees as a cancellation', async () => {
    const before = hangs.length;
    const err = await failure(call(channel, '/t.T/Hang', 'x', { deadlineMs: Date.now() + 100 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(hangs.length).toBe(before + 1);
    await hangs.at(-1);
    expect((await failure(call(channel, '/t.T/Echo', 'x', { deadlineMs: Date.now() - 1 }))).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('cancels a call when the call it serves is cancelled', async () => {
    const parent = new EventEmitter() as EventEmitter & { cancelled?: boolean };
    const before = hangs.length;
    const pending = failure(call(channel, '/t.T/Hang', 'x', { parent }));
    const until = Date.now() + 5000;
    while (hangs.length === before && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    parent.cancelled = true;
    parent.emit('cancelled');
    expect((await pending).code).toBe(status.CANCELLED);
    await hangs.at(-1);
    expect(parent.listenerCount('cancelled')).toBe(0);
    expect((await failure(call(channel, '/t.T/Echo', 'x', { parent }))).code).toBe(status.CANCELLED);
  });

  it('refuses an answer over the size limit', async () => {
    expect((await failure(call(channel, '/t.T/Big', 'x'))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await call(channel, '/t.T/Echo', 'still fine')).toString()).toBe('still fine');
  });

  it('is UNAVAILABLE while a node is down, fails fast meanwhile, and reconnects when it is back', async () => {
    const node = await startServer();
    const port = node.port;
    const ch = new H2Channel(`127.0.0.1:${port}`, options);
    try {
      expect((await call(ch, '/t.T/Echo', 'up')).toString()).toBe('up');
      node.server.forceShutdown();
      const down = await failure(call(ch, '/t.T/Echo', 'down'));
      expect(down.code).toBe(status.UNAVAILABLE);
      // Until the backoff passes, calls fail at once without a connection attempt.
      const fast = await failure(call(ch, '/t.T/Echo', 'down'));
      expect(fast.code).toBe(status.UNAVAILABLE);
      const again = await startServer(port);
      try {
        let answer = '';
        const until = Date.now() + 10_000;
        while (answer === '' && Date.now() < until) {
          answer = await call(ch, '/t.T/Echo', 'back').then(String, () => '');
          if (answer === '') await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(answer).toBe('back');
      } finally {
        again.server.forceShutdown();
      }
    } finally {
      ch.close();
    }
  });

  it('maps what a peer that is not a gRPC server says (HTTP errors, resets) and moves to a new connection after a GOAWAY', async () => {
    let mode = 'http503';
    const raw: Http2Server = http2.createServer();
    raw.on('stream', (stream) => {
      stream.on('data', () => {});
      stream.on('error', () => {});
      if (mode === 'http503') stream.respond({ ':status': 503 }, { endStream: true });
      else if (mode === 'reset') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      else {
        // Answers, then goes away gracefully (as a server shutting down does).
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x6f, 0x6b]));
        const session = stream.session!;
        stream.once('close', () => {
          session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
          session.close();
        });
      }
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const ch = new H2Channel(`127.0.0.1:${(raw.address() as AddressInfo).port}`, options);
    try {
      expect((await failure(call(ch, '/t.T/Echo', 'x'))).code).toBe(status.UNAVAILABLE);
      mode = 'reset';
      expect((await failure(call(ch, '/t.T/Echo', 'x'))).code).toBe(status.UNAVAILABLE);
      mode = 'goaway';
      expect((await call(ch, '/t.T/Echo', 'x')).toString()).toBe('ok');
      // The next call goes on a new connection.
      expect((await call(ch, '/t.T/Echo', 'x')).toString()).toBe('ok');
      mode = 'http503';
      expect((await failure(call(ch, '/t.T/Echo', 'x'))).details).toContain('HTTP status 503');
    } finally {
      ch.close();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});
