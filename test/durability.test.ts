import { afterEach, describe, expect, it } from 'vitest';
import { ClassicLevel } from 'classic-level';
import { Ring } from '@engram/ring';
import { postingBlockCodec, stringListCodec } from '@engram/storage';
import { TestCluster } from './harness/cluster.js';
import { adminClient, codeOf, memoryClient, shardClient, type AsyncClient } from './harness/clients.js';
import { waitFor } from './harness/processes.js';

const NOT_FOUND = 5;
const UNAVAILABLE = 14;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startCluster(options: ConstructorParameters<typeof TestCluster>[0] = {}) {
  const cluster = await new TestCluster(options).start();
  const client = memoryClient(cluster.address);
  cleanups.push(() => cluster.stop(), () => client.close());
  return { cluster, client };
}

function ringOf(cluster: TestCluster) {
  return new Ring(cluster.shards.map((s) => ({ id: s.id, address: s.address })), 64);
}

/** Every key of a stopped shard's store, decoded as text. */
/**
 * Every key of a stopped shard's store, with the ids its posting blocks and journal entries name appended to their
 * keys (`key ␀ id`), so that a check for an id covers the postings too.
 */
async function storeKeys(dir: string): Promise<string[]> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  const keys: string[] = [];
  for await (const [k, v] of db.iterator()) {
    keys.push(k);
    if (k.startsWith('b\x00')) postingBlockCodec.decode(v, (id) => keys.push(`${k}\x00${id}`));
    if (k.startsWith('j\x00')) for (const m of stringListCodec.decode(v)) keys.push(`${k}\x00${m}`);
  }
  await db.close();
  return keys;
}

describe('durability and failure', () => {
  it('loses nothing when a shard restarts', async () => {
    const { cluster, client } = await startCluster();
    const memories = Array.from({ length: 600 }, (_, i) => ({ subject: `durable-${i % 40}`, id: `m-${i}`, content: `entry ${i}` }));
    expect((await client.call('RememberBatch', { memories })).succeeded).toBe(600);
    for (let i = 0; i < 3; i++) {
      expect(await cluster.stopShard(i)).toBe(0);
      await cluster.restartShard(i);
    }
    await waitFor(async () => (await codeOf(client.call('Recall', { subject: 'durable-0', id: 'm-0' }))) === 0, 'recall after restart');
    for (const m of memories) {
      const { memory } = await client.call('Recall', { subject: m.subject, id: m.id, skipReinforce: true });
      expect(memory.content).toBe(m.content);
    }
  });

  it('acknowledges only what it keeps: in-flight writes survive a SIGTERM', async () => {
    const { cluster, client } = await startCluster({ shards: 1 });
    const writes = Array.from({ length: 300 }, (_, i) =>
      client.call('Remember', { memory: { subject: `inflight-${i % 7}`, id: `w-${i}`, content: `write ${i}` } }).then(
        () => i,
        () => -1,
      ),
    );
    await waitFor(async () => (await codeOf(client.call('Recall', { subject: 'inflight-0', id: 'w-0' }))) === 0, 'first write');
    const stopped = cluster.stopShard(0);
    const acknowledged = (await Promise.all(writes)).filter((i) => i >= 0);
    expect(await stopped).toBe(0);
    await cluster.restartShard(0);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const i of acknowledged) {
      await waitFor(async () => (await codeOf(client.call('Recall', { subject: `inflight-${i % 7}`, id: `w-${i}`, skipReinforce: true }))) === 0, `write ${i}`);
    }
  });

  it('finds every acknowledged memory by its words after a SIGKILL (postings rebuilt from the journal)', async () => {
    const { cluster, client } = await startCluster({ shards: 1 });
    const memories = Array.from({ length: 400 }, (_, i) => ({ subject: `crash-${i % 4}`, content: `gannet colony note ${i}` }));
    const res = await client.call('RememberBatch', { memories });
    expect(res.succeeded).toBe(400);
    const one = await client.call('Remember', { memory: { subject: 'crash-0', content: 'a lone gannet' } });
    await cluster.stopShard(0, 'SIGKILL');
    await cluster.restartShard(0);
    await waitFor(async () => (await codeOf(client.call('Recall', { subject: 'crash-0', id: one.id, skipReinforce: true }))) === 0, 'shard back');
    for (let s = 0; s < 4; s++) {
      const found = await client.call('Query', { subject: `crash-${s}`, text: 'gannet', limit: 200, skipReinforce: true });
      expect(found.results).toHaveLength(s === 0 ? 101 : 100);
    }
  });

  it('forgets for good: no record, posting, hash or expiry entry remains after a restart', async () => {
    const { cluster, client } = await startCluster({ shards: 1 });
    const a = await client.call('Remember', { memory: { subject: 'secret', content: 'the vault code is unicorn' } });
    const b = await client.call('Remember', { memory: { subject: 'secret', content: 'unicorn stickers bought' } });
    await client.call('Remember', { memory: { subject: 'other', content: 'unicorn parade' } });
    for (let i = 0; i < 20; i++) await client.call('Remember', { memory: { subject: 'wiped', content: `wiped note ${i} unicorn` } });
    await client.call('Forget', { subject: 'secret', id: a.id });
    expect((await client.call('ForgetSubject', { subject: 'wiped' })).deleted).toBe(20);
    expect(await cluster.stopShard(0)).toBe(0);
    const keys = await storeKeys(cluster.shardDir(0));
    const live = keys.filter((k) => !k.startsWith('z\x00') && !k.startsWith('y\x00'));
    expect(live.filter((k) => k.includes(a.id))).toEqual([]);
    expect(live.filter((k) => k.includes('\x00wiped'))).toEqual([]);
    expect(live.some((k) => k.includes(b.id))).toBe(true);
    await cluster.restartShard(0);
    await waitFor(async () => (await codeOf(client.call('Recall', { subject: 'secret', id: b.id }))) === 0, 'shard back');
    expect(await codeOf(client.call('Recall', { subject: 'secret', id: a.id }))).toBe(NOT_FOUND);
    const found = await client.call('Query', { text: 'unicorn', skipReinforce: true, limit: 50 });
    expect(found.results.map((r: { memory: { subject: string } }) => r.memory.subject).sort()).toEqual(['other', 'secret']);
  });

  it('answers UNAVAILABLE for the subjects of a stopped shard while the others keep working', async () => {
    const { cluster, client } = await startCluster();
    const ring = ringOf(cluster);
    const subjects = Array.from({ length: 60 }, (_, i) => `avail-${i}`);
    const ids = new Map<string, string>();
    for (const subject of subjects) ids.set(subject, (await client.call('Remember', { memory: { subject, content: `notes on ${subject}` } })).id);
    await cluster.stopShard(1, 'SIGKILL');
    const down = cluster.shards[1]!.id;
    for (const subject of subjects) {
      const code = await codeOf(client.call('Recall', { subject, id: ids.get(subject), skipReinforce: true }));
      expect({ subject, code }).toEqual({ subject, code: ring.owner('default', subject).id === down ? UNAVAILABLE : 0 });
    }
    expect(await codeOf(client.call('Query', { text: 'notes' }))).toBe(UNAVAILABLE);
    const partial = await client.call('Query', { text: 'notes', allowPartial: true, limit: 100, skipReinforce: true });
    expect(partial.unavailableShards).toEqual([down]);
    const admin = adminClient(cluster.address);
    cleanups.push(() => admin.close());
    const status = await admin.call('ClusterStatus', {});
    const health = Object.fromEntries(status.nodes.map((n: { id: string; health: string }) => [n.id, n.health]));
    expect(health).toMatchObject({ [down]: 'NODE_HEALTH_UNREACHABLE', [cluster.shards[0]!.id]: 'NODE_HEALTH_SERVING', [cluster.shards[2]!.id]: 'NODE_HEALTH_SERVING' });
    expect(partial.results.length).toBe(subjects.filter((s) => ring.owner('default', s).id !== down).length);
    await cluster.restartShard(1);
    for (const subject of subjects.filter((s) => ring.owner('default', s).id === down)) {
      await waitFor(async () => (await codeOf(client.call('Recall', { subject, id: ids.get(subject), skipReinforce: true }))) === 0, `recall ${subject}`);
    }
  });

  it('never hangs on a shard that stopped answering: UNAVAILABLE within the internal deadline', async () => {
    const { cluster, client } = await startCluster({ gatewayEnv: { ENGRAM_INTERNAL_TIMEOUT: '1s' } });
    const ring = ringOf(cluster);
    const frozen = cluster.shards[2]!;
    const subject = Array.from({ length: 100 }, (_, i) => `frozen-${i}`).find((s) => ring.owner('default', s).id === frozen.id)!;
    const other = Array.from({ length: 100 }, (_, i) => `thawed-${i}`).find((s) => ring.owner('default', s).id !== frozen.id)!;
    const { id } = await client.call('Remember', { memory: { subject, content: 'written before the freeze' } });
    frozen.proc.kill('SIGSTOP');
    try {
      const started = Date.now();
      expect(await codeOf(client.call('Recall', { subject, id }, 30_000))).toBe(UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await codeOf(client.call('Remember', { memory: { subject: other, content: 'still fine' } }))).toBe(0);
    } finally {
      frozen.proc.kill('SIGCONT');
    }
    await waitFor(async () => (await codeOf(client.call('Recall', { subject, id }))) === 0, 'recall after SIGCONT');
  });

  it('sheds load beyond its in-flight limit with RESOURCE_EXHAUSTED instead of queueing', async () => {
    const { cluster, client } = await startCluster({ shards: 1, gatewayEnv: { ENGRAM_MAX_IN_FLIGHT: '1', ENGRAM_INTERNAL_TIMEOUT: '3s' } });
    const { id } = await client.call('Remember', { memory: { subject: 'busy', content: 'before the freeze' } });
    const shard = cluster.shards[0]!;
    shard.proc.kill('SIGSTOP');
    try {
      // One call is admitted and waits on the frozen shard until the internal deadline; the rest are refused at once.
      const codes = await Promise.all(Array.from({ length: 6 }, () => codeOf(client.call('Recall', { subject: 'busy', id }, 30_000))));
      expect(codes.sort((a, b) => a - b)).toEqual([8, 8, 8, 8, 8, UNAVAILABLE]);
    } finally {
      shard.proc.kill('SIGCONT');
    }
    await waitFor(async () => (await codeOf(client.call('Recall', { subject: 'busy', id }))) === 0, 'served again');
  });

  it('expires memories by layer retention under an injected clock', async () => {
    const { cluster, client } = await startCluster({ shards: 1, shardEnv: { ENGRAM_TEST_CLOCK: 'manual' } });
    const shard: AsyncClient = shardClient(cluster.shards[0]!.address);
    cleanups.push(() => shard.close());
    const put = async (layer: string) => (await client.call('Remember', { memory: { subject: 'ret', content: `a ${layer} memory`, layer } })).id;
    const sensory = await put('LAYER_SENSORY');
    const emotion = await put('LAYER_EMOTION');
    const logic = await put('LAYER_LOGIC');
    const eternal = await put('LAYER_ETERNAL');
    const start = Date.now();
    const at = async (hours: number) => (await shard.call('SetClock', { nowMs: start + hours * 3600_000, sweep: true })).expired;
    expect(Number(await at(23))).toBe(0);
    expect(Number(await at(25))).toBe(1);
    expect(await codeOf(client.call('Recall', { subject: 'ret', id: sensory }))).toBe(NOT_FOUND);
    expect(Number(await at(73))).toBe(1);
    expect(await codeOf(client.call('Recall', { subject: 'ret', id: emotion }))).toBe(NOT_FOUND);
    expect(await codeOf(client.call('Recall', { subject: 'ret', id: logic, skipReinforce: true }))).toBe(0);
    expect(Number(await at(7 * 24 + 1))).toBe(1);
    expect(Number(await at(10 * 365 * 24))).toBe(0);
    expect(await codeOf(client.call('Recall', { subject: 'ret', id: eternal, skipReinforce: true }))).toBe(0);
    const stats = await shard.call('Stats', {});
    expect(Number(stats.memories)).toBe(1);
    expect(Number(stats.expiredTotal)).toBe(3);
  });
});
