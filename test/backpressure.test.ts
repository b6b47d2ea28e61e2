import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { memoryClient, type AsyncClient } from './harness/clients.js';

const RESOURCE_EXHAUSTED = 8;

const batch = (call: number, size: number) =>
  Array.from({ length: size }, (_, i) => ({ subject: 'bp-subject', content: `back-pressure memory ${call}-${i}` }));

describe('back-pressure on a busy shard', () => {
  let cluster: TestCluster;
  let client: AsyncClient;

  beforeAll(async () => {
    // One memory in the write path at a time, no waiting, and every commit held for a second: the first write in
    // keeps the shard busy long enough that concurrent ones find it full. The breaker would open after 2 failures.
    cluster = await new TestCluster({
      shards: 1,
      shardEnv: { ENGRAM_WRITE_MAX_IN_FLIGHT: '1', ENGRAM_WRITE_MAX_QUEUE_WAIT: '0ms', ENGRAM_BATCH_MAX_DELAY: '1s' },
      gatewayEnv: { ENGRAM_BREAKER_THRESHOLD: '2' },
    }).start();
    client = memoryClient(cluster.address);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('refuses whole batches with RESOURCE_EXHAUSTED "busy" (never OK with failed items), and stays reachable', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, call) =>
        client.call('RememberBatch', { memories: batch(call, 20) }).then(
          (res) => ({ res, err: undefined }),
          (err) => ({ res: undefined, err }),
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.res);
    const refused = outcomes.filter((o) => o.err);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const { res } of ok) expect(res).toMatchObject({ succeeded: 20, failed: 0 });
    for (const { err } of refused) {
      expect(err.code).toBe(RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/^shard busy: a batch of 20 could not start within 0 ms .*; retry with backoff$/);
    }

    // Exactly the accepted batches were written: a refused batch wrote nothing.
    const stored = await client.call('Query', { subject: 'bp-subject', limit: 1000 });
    expect(stored.results).toHaveLength(20 * ok.length);

    // Refusals are not failures of the node: with the breaker at 2, a dozen of them left it closed.
    const after = await client.call('Remember', { memory: { subject: 'bp-subject', content: 'written after the refusals' } });
    expect(after.id).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('refuses a single Remember the same way when the shard is full', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.call('Remember', { memory: { subject: `bp-single-${i}`, content: `single ${i}` } }).then(
          () => 0,
          (err) => err.code as number,
        ),
      ),
    );
    expect(outcomes.filter((c) => c === 0).length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((c) => c === 0 || c === RESOURCE_EXHAUSTED)).toBe(true);
  });
});
