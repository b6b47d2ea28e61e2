import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { memoryClient, adminClient, type AsyncClient } from './harness/clients.js';

let cluster: TestCluster;
let client: AsyncClient;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  client = memoryClient(cluster.address);
});
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

describe('smoke', () => {
  it('remembers, recalls and queries through the gateway', async () => {
    const r = await client.call('Remember', { memory: { subject: 'alice', content: 'Alice loves green tea' } });
    expect(r.id).toBeTruthy();
    const got = await client.call('Recall', { subject: 'alice', id: r.id });
    expect(got.memory.content).toBe('Alice loves green tea');
    const q = await client.call('Query', { subject: 'alice', text: 'tea' });
    expect(q.results).toHaveLength(1);
    const all = await client.call('Query', { text: 'tea' });
    expect(all.results).toHaveLength(1);
    const status = await adminClient(cluster.address).call('ClusterStatus', {});
    expect(status.nodes).toHaveLength(4);
  });
});
