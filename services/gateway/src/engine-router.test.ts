import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { NodePool, type InternalCall } from '@engram/cluster-client';
import { rawUnaryMethod, SATURATED_MESSAGE } from '@engram/protocol';
import { Ring, StaticMembership, type Member, type Membership } from '@engram/ring';
import { EngineRouter } from './engine-router.js';

const VNODES = 16;
const PATH = '/engram.test.FakeEngine/Call';
const SERVICE: ServiceDefinition = {
  Call: rawUnaryMethod(PATH),
};

const poolOptions = { timeoutMs: 10_000, retries: 2, breakerThreshold: 1000, halfOpenAfterMs: 1000, maxMessageBytes: 1 << 20 };
const call = (p: Partial<InternalCall> = {}): InternalCall => ({ tenant: 't', ...p });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const members = (n: number, port = 1): Member[] => Array.from({ length: n }, (_, i) => ({ id: `engine-${i}`, address: `127.0.0.1:${port}` }));
const ids = (list: readonly Member[]) => list.map((m) => m.id);

describe('EngineRouter.candidates', () => {
  const pools: NodePool[] = [];
  const router = (list: readonly Member[]) => {
    const pool = new NodePool(poolOptions);
    pools.push(pool);
    return new EngineRouter(new StaticMembership(list), VNODES, pool);
  };
  afterEach(() => {
    for (const p of pools.splice(0)) p.close();
  });

  it('is a permutation of every engine, the ring owner first when loads are equal', () => {
    const list = members(5);
    const r = router(list);
    const ring = new Ring(list, VNODES);
    const owners = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const subject = `subject-${i}`;
      const c = r.candidates('t', subject);
      expect(ids(c).sort()).toEqual(ids(list).sort());
      expect(c[0]!.id).toBe(ring.owner('t', subject).id);
      expect(ids(c)).toEqual(ids(ring.preferenceList('t', subject, list.length)));
      owners.add(c[0]!.id);
    }
    // Subjects spread over the engines.
    expect(owners.size).toBe(5);
  });

  it('is deterministic and separates tenants', () => {
    const r = router(members(4));
    expect(ids(r.candidates('t', 'alice'))).toEqual(ids(r.candidates('t', 'alice')));
    const ring = new Ring(members(4), VNODES);
    expect(r.candidates('other', 'alice')[0]!.id).toBe(ring.owner('other', 'alice').id);
  });

  it('has one engine for a single-engine membership', () => {
    const r = router(members(1));
    expect(ids(r.candidates('t', 's'))).toEqual(['engine-0']);
    expect(ids(r.members())).toEqual(['engine-0']);
  });

  it('is empty without engines, and forward() fails UNAVAILABLE', async () => {
    const r = router([]);
    expect(r.candidates('t', 's')).toEqual([]);
    expect(r.members()).toEqual([]);
    await expect(r.forward('t', 's', PATH, Buffer.from('x'), call())).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('follows membership changes', async () => {
    let listener: ((m: readonly Member[]) => void) | undefined;
    const membership: Membership = {
      members: () => members(3),
      onChange: (l) => {
        listener = l;
        return () => undefined;
      },
    };
    const pool = new NodePool(poolOptions);
    pools.push(pool);
    const r = new EngineRouter(membership, VNODES, pool);
    expect(r.candidates('t', 's')).toHaveLength(3);
    listener!([]);
    expect(r.candidates('t', 's')).toEqual([]);
    await expect(r.forward('t', 's', PATH, Buffer.from('x'), call())).rejects.toMatchObject({ code: status.UNAVAILABLE });
    listener!(members(2));
    expect(ids(r.candidates('t', 's')).sort()).toEqual(['engine-0', 'engine-1']);
  });

  it('gives up with DEADLINE_EXCEEDED when the deadline has passed before any engine was tried', async () => {
    const r = router(members(3));
    await expect(r.forward('t', 's', PATH, Buffer.from('x'), call({ deadlineMs: Date.now() - 1000 }))).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
  });
});

type Behaviour = (request: Buffer) => Promise<{ code: number; details: string } | Buffer>;

interface FakeEngine {
  id: string;
  server: Server;
  port: number;
  received: string[];
  behaviour: Behaviour;
}

/** A gRPC server with one raw unary method that answers as its engine's behaviour says. */
async function startEngine(id: string): Promise<FakeEngine> {
  const server = new Server();
  const engine: FakeEngine = { id, server, port: 0, received: [], behaviour: async () => Buffer.from(id) };
  server.addService(SERVICE, {
    Call: (c: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      engine.received.push(c.request.toString());
      engine.behaviour(c.request).then(
        (r) => (Buffer.isBuffer(r) ? callback(null, r) : callback({ code: r.code, details: r.details })),
        (err: unknown) => callback({ code: status.INTERNAL, details: String(err) }),
      );
    },
  });
  engine.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  return engine;
}

describe('EngineRouter.forward', () => {
  const engines: FakeEngine[] = [];
  let pool: NodePool;
  let router: EngineRouter;
  /** Engine by member id. */
  const byId = (id: string) => engines.find((e) => e.id === id)!;
  const echo = (id: string): Behaviour => async () => Buffer.from(id);

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) engines.push(await startEngine(`engine-${i}`));
  });
  afterAll(() => {
    for (const e of engines) e.server.forceShutdown();
  });
  beforeEach(() => {
    for (const e of engines) {
      e.received = [];
      e.behaviour = echo(e.id);
    }
    pool = new NodePool(poolOptions);
    router = new EngineRouter(new StaticMembership(engines.map((e) => ({ id: e.id, address: `127.0.0.1:${e.port}` }))), VNODES, pool);
  });
  afterEach(() => pool.close());

  const forward = (subject: string, body: string, c: InternalCall = call()) => router.forward('t', subject, PATH, Buffer.from(body), c);

  it('sends the bytes to the subject\'s owner and returns its answer', async () => {
    const order = ids(router.candidates('t', 'alice'));
    const reply = await forward('alice', 'hello');
    expect(reply.toString()).toBe(order[0]);
    expect(byId(order[0]!).received).toEqual(['hello']);
    expect(byId(order[1]!).received).toEqual([]);
    expect(byId(order[2]!).received).toEqual([]);
  });

  it('moves an engine with calls in flight to the end, and back when they finish', async () => {
    const order = ids(router.candidates('t', 'alice'));
    const owner = byId(order[0]!);
    const gate = deferred();
    owner.behaviour = async () => {
      await gate.promise;
      return Buffer.from(owner.id);
    };
    const held = forward('alice', 'first');
    // The held call counts at once: the owner carries more than its share of the (now 2) calls.
    expect(ids(router.candidates('t', 'alice'))).toEqual([order[1], order[2], order[0]]);
    const second = await forward('alice', 'second');
    expect(second.toString()).toBe(order[1]);
    expect(byId(order[1]!).received).toEqual(['second']);
    gate.resolve();
    expect((await held).toString()).toBe(order[0]);
    expect(owner.received).toEqual(['first']);
    expect(ids(router.candidates('t', 'alice'))).toEqual(order);
  });

  it('puts the owner first again when the load is even', async () => {
    const order = ids(router.candidates('t', 'alice'));
    const gate = deferred();
    for (const e of engines) {
      e.behaviour = async () => {
        await gate.promise;
        return Buffer.from(e.id);
      };
    }
    const first = forward('alice', '1'); // owner: 1 in flight
    const second = forward('alice', '2'); // next one takes it
    expect(ids(router.candidates('t', 'alice'))[0]).toBe(order[0]); // loads 1, 1, 0: all under the bound
    const third = forward('alice', '3');
    gate.resolve();
    expect((await Promise.all([first, second, third])).map((b) => b.toString())).toEqual([order[0], order[1], order[0]]);
  });

  it('moves on to the next engine when the owner is saturated', async () => {
    const order = ids(router.candidates('t', 'bob'));
    byId(order[0]!).behaviour = async () => ({ code: status.RESOURCE_EXHAUSTED, details: `${SATURATED_MESSAGE}; retry later` });
    const reply = await forward('bob', 'mine');
    expect(reply.toString()).toBe(order[1]);
    expect(byId(order[0]!).received).toEqual(['mine']);
    expect(byId(order[1]!).received).toEqual(['mine']);
    expect(byId(order[2]!).received).toEqual([]);
    expect(ids(router.candidates('t', 'bob'))).toEqual(order);
  });

  it('tries every engine once and fails with the last error when all are saturated', async () => {
    for (const e of engines) e.behaviour = async () => ({ code: status.RESOURCE_EXHAUSTED, details: `${SATURATED_MESSAGE}; retry later` });
    const err = await forward('bob', 'mine').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect((err as Error).message).toContain(SATURATED_MESSAGE);
    for (const e of engines) expect(e.received).toEqual(['mine']);
  });

  it('does not move on for another RESOURCE_EXHAUSTED', async () => {
    const order = ids(router.candidates('t', 'bob'));
    byId(order[0]!).behaviour = async () => ({ code: status.RESOURCE_EXHAUSTED, details: 'the subject\'s stream holds more than 10 memories' });
    await expect(forward('bob', 'mine')).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(byId(order[1]!).received).toEqual([]);
    expect(byId(order[2]!).received).toEqual([]);
  });

  it('does not move on for INVALID_ARGUMENT, even when idempotent', async () => {
    const order = ids(router.candidates('t', 'carol'));
    byId(order[0]!).behaviour = async () => ({ code: status.INVALID_ARGUMENT, details: 'config.max_gap: must be at most 1000' });
    for (const idempotent of [false, true]) {
      const err = await forward('carol', 'bad', call({ idempotent })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect((err as Error).message).toContain('config.max_gap');
    }
    expect(byId(order[0]!).received).toEqual(['bad', 'bad']);
    expect(byId(order[1]!).received).toEqual([]);
    expect(byId(order[2]!).received).toEqual([]);
  });

  it('moves on after UNAVAILABLE only when the call is idempotent', async () => {
    const order = ids(router.candidates('t', 'dave'));
    byId(order[0]!).behaviour = async () => ({ code: status.UNAVAILABLE, details: 'shutting down' });
    await expect(forward('dave', 'write', call({ idempotent: false }))).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(byId(order[1]!).received).toEqual([]);
    await expect(forward('dave', 'write', call())).rejects.toMatchObject({ code: status.UNAVAILABLE });
    expect(byId(order[1]!).received).toEqual([]);
    const reply = await forward('dave', 'read', call({ idempotent: true }));
    expect(reply.toString()).toBe(order[1]);
    expect(byId(order[0]!).received).toEqual(['write', 'write', 'read']);
    expect(byId(order[1]!).received).toEqual(['read']);
  });

  it('moves on from an engine that cannot be reached, even for a call that is not idempotent', async () => {
    const list = engines.map((e) => ({ id: e.id, address: `127.0.0.1:${e.port}` }));
    const order = ids(router.candidates('t', 'erin'));
    // The owner's address points where nothing listens: the call never left.
    const unreachable = list.map((m) => (m.id === order[0] ? { ...m, address: '127.0.0.1:1' } : m));
    const other = new NodePool(poolOptions);
    try {
      const r = new EngineRouter(new StaticMembership(unreachable), VNODES, other);
      const reply = await r.forward('t', 'erin', PATH, Buffer.from('x'), call({ idempotent: false }));
      expect(reply.toString()).toBe(order[1]);
    } finally {
      other.close();
    }
  });
});
