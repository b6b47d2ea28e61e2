import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import * as protoLoader from '@grpc/proto-loader';
import { Ring } from '@engram/ring';
import { TestCluster } from './harness/cluster.js';
import { adminClient, codeOf, memoryClient, shardClient, type AsyncClient } from './harness/clients.js';

let cluster: TestCluster;
let client: AsyncClient;
let admin: AsyncClient;
let shards: AsyncClient[];
let ring: Ring;

beforeAll(async () => {
  cluster = await new TestCluster({ shards: 3 }).start();
  client = memoryClient(cluster.address);
  admin = adminClient(cluster.address);
  shards = cluster.shards.map((s) => shardClient(s.address));
  ring = new Ring(
    cluster.shards.map((s) => ({ id: s.id, address: s.address })),
    64,
  );
});

afterAll(async () => {
  for (const c of [client, admin, ...(shards ?? [])]) c?.close();
  await cluster?.stop();
});

describe('routing', () => {
  it('stores a memory on the shard that owns its subject and nowhere else', async () => {
    for (const subject of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      const { id } = await client.call('Remember', { memory: { subject, content: `a fact about ${subject}` } });
      const owner = ring.owner('default', subject).id;
      for (const [i, s] of cluster.shards.entries()) {
        const found = await codeOf(shards[i]!.call('Recall', { subject, id, skipReinforce: true }));
        expect({ shard: s.id, found }).toEqual({ shard: s.id, found: s.id === owner ? 0 : 5 });
      }
    }
  });

  it('spreads 1,000 subjects over all three shards as the ring says', async () => {
    const memories = Array.from({ length: 1000 }, (_, i) => ({ subject: `spread-${i}`, content: `observation ${i}` }));
    const res = await client.call('RememberBatch', { memories });
    expect(res.succeeded).toBe(1000);
    const expected = new Map<string, number>();
    for (const m of memories) expected.set(ring.owner('default', m.subject).id, (expected.get(ring.owner('default', m.subject).id) ?? 0) + 1);
    for (const [i, s] of cluster.shards.entries()) {
      let held = 0;
      for (const m of memories.filter((x) => ring.owner('default', x.subject).id === s.id).slice(0, 50)) {
        const q = await shards[i]!.call('Query', { subject: m.subject, skipReinforce: true });
        held += q.results.length;
      }
      expect(held).toBe(Math.min(50, expected.get(s.id)!));
      expect(expected.get(s.id)).toBeGreaterThan(200);
    }
    const status = await admin.call('ClusterStatus', {});
    const shardNodes = status.nodes.filter((n: { role: string }) => n.role === 'NODE_ROLE_MEMORY_SHARD');
    for (const n of shardNodes) expect(Number(n.subjects)).toBeGreaterThanOrEqual(expected.get(n.id)!);
  });

  it('reports every node, its health and ring share in ClusterStatus', async () => {
    const status = await admin.call('ClusterStatus', {});
    expect(status.nodes.map((n: { role: string }) => n.role).sort()).toEqual([
      'NODE_ROLE_GATEWAY',
      'NODE_ROLE_MEMORY_SHARD',
      'NODE_ROLE_MEMORY_SHARD',
      'NODE_ROLE_MEMORY_SHARD',
    ]);
    const shardNodes = status.nodes.filter((n: { role: string }) => n.role === 'NODE_ROLE_MEMORY_SHARD');
    expect(shardNodes.every((n: { health: string }) => n.health === 'NODE_HEALTH_SERVING')).toBe(true);
    const share = shardNodes.reduce((a: number, n: { ringShare: number }) => a + n.ringShare, 0);
    expect(share).toBeCloseTo(1, 6);
    expect(status.vnodes).toBe(64);
  });

  it('answers grpc.health.v1 and server reflection on the gateway and on shards', async () => {
    const healthPkg = loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as any;
    const reflectionPkg = loadPackageDefinition(
      protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
        includeDirs: [new URL('../node_modules/@grpc/reflection/build/proto', import.meta.url).pathname],
      }),
    ) as any;
    for (const [address, service] of [
      [cluster.address, 'engram.v1.MemoryService'],
      [cluster.shards[0]!.address, 'engram.shard.v1.ShardService'],
    ] as const) {
      const health = new healthPkg.grpc.health.v1.Health(address, credentials.createInsecure());
      const status = await new Promise<any>((resolve, reject) =>
        health.Check({ service }, { deadline: Date.now() + 5000 }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
      );
      expect(status.status).toBe('SERVING');
      health.close();
      const reflection = new reflectionPkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
      const names = await new Promise<string[]>((resolve, reject) => {
        const stream = reflection.ServerReflectionInfo({ deadline: Date.now() + 5000 });
        stream.on('data', (res: any) => {
          resolve(res.listServicesResponse.service.map((s: { name: string }) => s.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ listServices: '' });
      });
      expect(names).toContain(service);
      expect(names).toContain('grpc.health.v1.Health');
      reflection.close();
    }
  });
});
