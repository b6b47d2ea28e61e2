import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { memoryClient, type AsyncClient } from './harness/clients.js';

const INVALID_ARGUMENT = 3;

/** Series of a Prometheus text exposition whose name and labels match. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('coalescing concurrent Remember and Recall calls into internal batches', () => {
  let cluster: TestCluster;
  let client: AsyncClient;

  beforeAll(async () => {
    // One internal call in flight per shard: everything concurrent beyond it is coalesced.
    cluster = await new TestCluster({ shards: 2, gatewayEnv: { ENGRAM_COALESCE_MAX_IN_FLIGHT: '1', ENGRAM_COALESCE_MAX_BATCH: '32' } }).start();
    client = memoryClient(cluster.address);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('gives every caller its own answer: ids, duplicates and field errors as for a single Remember', async () => {
    const calls = Array.from({ length: 300 }, (_, i) => {
      const memory: Record<string, unknown> = { subject: `co-${i % 7}`, id: `co-${i}`, content: `coalesced memory ${i}` };
      if (i % 50 === 13) memory.importance = 2; // invalid: 0..1
      return client.call('Remember', { memory }).then(
        (res) => ({ i, res, err: undefined }),
        (err) => ({ i, res: undefined, err }),
      );
    });
    const outcomes = await Promise.all(calls);
    for (const { i, res, err } of outcomes) {
      if (i % 50 === 13) {
        expect(err?.code, `call ${i}`).toBe(INVALID_ARGUMENT);
        expect(err.details).toMatch(/^memory\.importance: /);
      } else {
        expect(err, `call ${i}`).toBeUndefined();
        expect(res.id).toBe(`co-${i}`);
      }
    }
    // Each memory is stored under its own id with its own content.
    for (const i of [0, 1, 99, 250]) {
      expect((await client.call('Recall', { subject: `co-${i % 7}`, id: `co-${i}`, skipReinforce: true })).memory.content).toBe(`coalesced memory ${i}`);
    }
    // A repeat of recent content reinforces the earlier memory, inside a batch too.
    const [a, b] = await Promise.all([
      client.call('Remember', { memory: { subject: 'co-dup', content: 'said twice' } }),
      client.call('Remember', { memory: { subject: 'co-dup', content: 'said twice' } }),
    ]);
    expect([a.deduplicated, b.deduplicated].sort()).toEqual([false, true]);
    expect(a.id).toBe(b.id);

    // Concurrent recalls: each caller gets its own memory, or NOT_FOUND for an id that does not exist.
    const recalls = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.call('Recall', { subject: `co-${i % 7}`, id: i % 40 === 5 ? `missing-${i}` : `co-${i}` }).then(
          (res) => ({ i, content: res.memory.content as string, code: 0 }),
          (err) => ({ i, content: '', code: err.code as number }),
        ),
      ),
    );
    for (const r of recalls) {
      if (r.i % 40 === 5) expect(r.code, `recall ${r.i}`).toBe(5);
      else if (r.i % 50 === 13) expect(r.code, `recall ${r.i}`).toBe(5); // its Remember was refused
      else expect(r.content, `recall ${r.i}`).toBe(`coalesced memory ${r.i}`);
    }

    // And the gateway did coalesce: it called RememberBatch and RecallBatch on the shards for them.
    const metrics = await (await fetch(`http://${cluster.gateway.metricsAddress}/metrics`)).text();
    expect(sample(metrics, 'engram_rpc_client_duration_seconds_count', { rpc_method: 'RememberBatch' })).toBeGreaterThan(0);
    expect(sample(metrics, 'engram_rpc_client_duration_seconds_count', { rpc_method: 'RecallBatch' })).toBeGreaterThan(0);
    expect(sample(metrics, 'engram_rpc_server_duration_seconds_count', { rpc_method: 'Remember', grpc_code: 'OK' })).toBeGreaterThanOrEqual(294);
  });
});
