import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { Client, credentials, Metadata, status, type MethodDefinition, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUnaryMethod } from '@engram/protocol';
import { silentLogger } from '@engram/telemetry';
import { NodeServer } from './node-server.js';
import { deadlineOf } from './fast-unary.js';

const identity = (b: Buffer) => b;
const rawMethod = rawUnaryMethod;
/** A method whose messages are JSON, to check that a service's own codecs are used. */
const jsonMethod: MethodDefinition<unknown, unknown> = {
  path: '/test.Test/Json',
  requestStream: false,
  responseStream: false,
  requestSerialize: (v) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b) => JSON.parse(b.toString('utf8')) as unknown,
  responseSerialize: (v) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b) => JSON.parse(b.toString('utf8')) as unknown,
};
const MAX = 4096;

type Call = ServerUnaryCall<Buffer, Buffer>;

/** Calls the handlers saw, for the assertions. */
const seen: { metadata: Metadata; cancelled: string[]; deadline: number | Date }[] = [];
/** Calls that never answer, each resolved with how it was cancelled. */
const hanging: Promise<string>[] = [];

const service = {
  Echo: (call: Call, cb: sendUnaryData<Buffer>) => {
    seen.push({ metadata: call.metadata, cancelled: [], deadline: call.getDeadline() });
    cb(null, call.request);
  },
  Fail: (call: Call, cb: sendUnaryData<Buffer>) => {
    const trailer = new Metadata();
    trailer.set('x-why', 'because');
    cb({ code: status.FAILED_PRECONDITION, details: `nope: ${call.request.toString('utf8')} 100% ünïcode`, metadata: trailer } as ServiceError);
  },
  Hang: (call: Call) => {
    hanging.push(
      new Promise<string>((resolve) => {
        (call as unknown as NodeJS.EventEmitter).on('cancelled', (why: string) => resolve(`${why} ${String(call.cancelled)}`));
      }),
    );
  },
  Big: (_call: Call, cb: sendUnaryData<Buffer>) => cb(null, Buffer.alloc(MAX + 1, 1)),
  Throw: () => {
    throw new Error('a bug');
  },
  Json: (call: ServerUnaryCall<{ n: number }, unknown>, cb: sendUnaryData<unknown>) => cb(null, { twice: call.request.n * 2 }),
};
const definition = {
  Echo: rawMethod('/test.Test/Echo'),
  Fail: rawMethod('/test.Test/Fail'),
  Hang: rawMethod('/test.Test/Hang'),
  Big: rawMethod('/test.Test/Big'),
  Throw: rawMethod('/test.Test/Throw'),
  Json: jsonMethod,
};

function start(fastPath: boolean): Promise<NodeServer> {
  const server = new NodeServer({
    listen: '127.0.0.1:0',
    maxInFlight: 100,
    services: [{ name: 'test.Test', definition, implementation: service as never }],
    protoFiles: [],
    maxMessageBytes: MAX,
    logger: silentLogger(),
    fastPath,
  });
  return server.start().then(() => server);
}

function unary(client: Client, method: string, request: unknown, options: { deadline?: number; metadata?: Metadata } = {}): Promise<unknown> {
  const def = (definition as Record<string, MethodDefinition<unknown, unknown>>)[method]!;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, options.metadata ?? new Metadata(), options.deadline ? { deadline: options.deadline } : {}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** A gRPC request sent by hand on a raw HTTP/2 stream: its status and message. */
function rawCall(session: ClientHttp2Session, path: string, body: Buffer, extra: Record<string, string> = {}): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    let headers: IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (headers = { ...headers, ...t }));
    stream.on('data', () => {});
    stream.on('error', reject);
    stream.on('close', () => resolve({ status: Number(headers['grpc-status']), message: decodeURI(String(headers['grpc-message'] ?? '')) }));
    stream.end(body);
  });
}

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe('the fast unary path', () => {
  let fast: NodeServer;
  let slow: NodeServer;
  let client: Client;
  let slowClient: Client;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    [fast, slow] = await Promise.all([start(true), start(false)]);
    client = new Client(`127.0.0.1:${fast.port}`, credentials.createInsecure());
    slowClient = new Client(`127.0.0.1:${slow.port}`, credentials.createInsecure());
    session = connect(`http://127.0.0.1:${fast.port}`);
  });
  afterAll(async () => {
    client?.close();
    slowClient?.close();
    session?.close();
    await Promise.all([fast?.shutdown(1000), slow?.shutdown(1000)]);
  });

  it('answers a call with the handler’s bytes and shows it its metadata and deadline, not transport headers', async () => {
    const before = fast.fast.served;
    const metadata = new Metadata();
    metadata.set('engram-tenant', 'acme');
    metadata.set('x-blob-bin', Buffer.from([1, 2, 3]));
    const deadline = Date.now() + 60_000;
    const res = await unary(client, 'Echo', Buffer.from('hello'), { metadata, deadline });
    expect((res as Buffer).toString()).toBe('hello');
    expect(fast.fast.served).toBe(before + 1);
    const call = seen.at(-1)!;
    expect(call.metadata.get('engram-tenant')).toEqual(['acme']);
    expect(call.metadata.get('x-blob-bin')).toEqual([Buffer.from([1, 2, 3])]);
    expect(call.metadata.get('grpc-timeout')).toEqual([]);
    expect(call.metadata.get('content-type')).toEqual([]);
    expect(call.deadline).toBeInstanceOf(Date);
    expect(Math.abs((call.deadline as Date).getTime() - deadline)).toBeLessThan(5000);
  });

  it('uses the service’s own codecs', async () => {
    expect(await unary(client, 'Json', { n: 21 })).toEqual({ twice: 42 });
  });

  it('says a handler’s error as grpc-js would: code, message (any characters) and trailing metadata', async () => {
    for (const c of [client, slowClient]) {
      const err = (await unary(c, 'Fail', Buffer.from('why')).catch((e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toBe('nope: why 100% ünïcode');
      expect(err.metadata.get('x-why')).toEqual(['because']);
    }
  });

  it('ends a call at its deadline with DEADLINE_EXCEEDED and tells the handler it was cancelled', async () => {
    const err = (await unary(client, 'Hang', Buffer.from('x'), { deadline: Date.now() + 150 }).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(await hanging.at(-1)).toBe('deadline true');
  });

  it('tells the handler when the client cancels', async () => {
    const before = hanging.length;
    const def = definition.Hang;
    const call = client.makeUnaryRequest(def.path, identity, identity, Buffer.from('x'), () => {});
    const until = Date.now() + 5000;
    while (hanging.length === before && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    call.cancel();
    expect(await hanging.at(-1)).toBe('cancelled true');
  });

  it('refuses messages over the size limit both ways with RESOURCE_EXHAUSTED', async () => {
    const tooBig = (await unary(client, 'Echo', Buffer.alloc(MAX + 1)).catch((e: unknown) => e)) as ServiceError;
    expect(tooBig.code).toBe(status.RESOURCE_EXHAUSTED);
    const answer = (await unary(client, 'Big', Buffer.from('x')).catch((e: unknown) => e)) as ServiceError;
    expect(answer.code).toBe(status.RESOURCE_EXHAUSTED);
    // The connection is still good.
    expect(((await unary(client, 'Echo', Buffer.from('ok'))) as Buffer).toString()).toBe('ok');
  });

  it('fails the call of a handler that throws instead of calling back, and goes on serving', async () => {
    const inFlight = fast.inFlight.inFlight;
    const err = (await unary(client, 'Throw', Buffer.from('x')).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.UNKNOWN);
    expect(err.details).toContain('a bug');
    expect(((await unary(client, 'Echo', Buffer.from('after'))) as Buffer).toString()).toBe('after');
    // Its place among the calls in flight was given back.
    expect(fast.inFlight.inFlight).toBe(inFlight);
  });

  it('answers malformed framing with a status instead of calling the handler', async () => {
    const before = seen.length;
    expect(await rawCall(session, '/test.Test/Echo', Buffer.alloc(0))).toMatchObject({ status: status.UNIMPLEMENTED });
    expect(await rawCall(session, '/test.Test/Echo', Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]))).toMatchObject({ status: status.UNIMPLEMENTED });
    expect(await rawCall(session, '/test.Test/Echo', frame(Buffer.from('abc')).subarray(0, 6))).toMatchObject({ status: status.INTERNAL });
    const compressed = frame(Buffer.from('abc'));
    compressed[0] = 1;
    expect(await rawCall(session, '/test.Test/Echo', compressed)).toMatchObject({ status: status.INTERNAL });
    expect(seen.length).toBe(before);
    expect(await rawCall(session, '/test.Test/Echo', frame(Buffer.from('fine')))).toEqual({ status: status.OK, message: 'OK' });
  });

  it('leaves to grpc-js what it does not serve: compressed calls, odd timeouts, unknown methods, and everything when off', async () => {
    const before = fast.fast.served;
    const gzip = new Client(`127.0.0.1:${fast.port}`, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    try {
      expect(((await unary(gzip, 'Echo', Buffer.from('zipped'))) as Buffer).toString()).toBe('zipped');
    } finally {
      gzip.close();
    }
    expect(await rawCall(session, '/test.Test/Echo', frame(Buffer.from('t')), { 'grpc-timeout': 'soon' })).toMatchObject({ status: expect.any(Number) });
    expect(await rawCall(session, '/test.Test/Nope', frame(Buffer.from('t')))).toMatchObject({ status: status.UNIMPLEMENTED });
    expect(fast.fast.served).toBe(before);
    expect(((await unary(slowClient, 'Echo', Buffer.from('slow'))) as Buffer).toString()).toBe('slow');
    expect(slow.fast.served).toBe(0);
  });

  it('reads grpc-timeout in every unit', () => {
    expect(deadlineOf(undefined, 1000)).toBe(Infinity);
    expect(deadlineOf('2S', 1000)).toBe(3000);
    expect(deadlineOf('5m', 1000)).toBe(1005);
    expect(deadlineOf('1M', 0)).toBe(60_000);
    expect(deadlineOf('1H', 0)).toBe(3_600_000);
    expect(deadlineOf('3000u', 0)).toBe(3);
    expect(deadlineOf('4000000n', 0)).toBe(4);
    expect(deadlineOf('123456789S', 0)).toBeUndefined();
    expect(deadlineOf('5s', 0)).toBeUndefined();
  });
});
