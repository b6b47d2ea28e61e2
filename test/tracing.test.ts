import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { memoryClient, thoughtClient, type AsyncClient } from './harness/clients.js';
import { OtlpCollector, type CollectedSpan } from './harness/otlp-collector.js';
import { waitFor } from './harness/processes.js';

const SERVER = 2;
const CLIENT = 3;

describe('tracing across the integration layer', () => {
  let collector: OtlpCollector;
  let cluster: TestCluster;
  let memory: AsyncClient;
  let thought: AsyncClient;

  beforeAll(async () => {
    collector = await new OtlpCollector().start();
    const env = collector.env();
    cluster = await new TestCluster({ shards: 2, engines: 1, shardEnv: env, engineEnv: env, gatewayEnv: env }).start();
    memory = memoryClient(cluster.address);
    thought = thoughtClient(cluster.address);
  });
  afterAll(async () => {
    memory?.close();
    thought?.close();
    await cluster?.stop();
    await collector?.stop();
  });

  /** The spans of the trace whose root is the gateway's server span of method, once they have all arrived. */
  async function traceOf(method: string, expectSpans: (spans: CollectedSpan[]) => boolean): Promise<CollectedSpan[]> {
    return waitFor(
      () => {
        const root = collector.spans.find((s) => s.name === method && s.service === 'engram-gateway' && s.parentSpanId === '');
        if (!root) return undefined;
        const spans = collector.spans.filter((s) => s.traceId === root.traceId);
        return expectSpans(spans) && spans;
      },
      `the spans of ${method}`,
      15_000,
    );
  }

  const parentOf = (spans: CollectedSpan[], s: CollectedSpan) => spans.find((p) => p.spanId === s.parentSpanId);

  it('makes one Remember one trace: gateway → shard → storage batch', async () => {
    await memory.call('Remember', { memory: { subject: 'traced', kind: 'note', content: 'follow me' } });
    const spans = await traceOf('engram.v1.MemoryService/Remember', (all) => all.some((s) => s.name === 'leveldb.batch'));
    const root = spans.find((s) => s.parentSpanId === '')!;
    expect(root).toMatchObject({ service: 'engram-gateway', kind: SERVER });
    const client = spans.find((s) => s.kind === CLIENT && s.service === 'engram-gateway')!;
    expect(client.name).toBe('engram.shard.v1.ShardService/Remember');
    expect(parentOf(spans, client)).toBe(root);
    const shard = spans.find((s) => s.service === 'engram-memory-shard' && s.kind === SERVER)!;
    expect(shard.name).toBe('engram.shard.v1.ShardService/Remember');
    expect(parentOf(spans, shard)).toBe(client);
    const batch = spans.find((s) => s.name === 'leveldb.batch')!;
    expect(parentOf(spans, batch)).toBe(shard);
    expect(batch.attributes['engram.batch.writes']).toBeGreaterThanOrEqual(1);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  });

  it('makes one DetectPatterns one trace across three services: gateway → engine → shard, with worker tasks', async () => {
    const memories = Array.from({ length: 12 }, (_, i) => ({ subject: 'traced-stream', kind: ['a', 'b', 'c'][i % 3]!, content: `step ${i}` }));
    await memory.call('RememberBatch', { memories });
    await thought.call('DetectPatterns', { subject: 'traced-stream', config: { absoluteSupport: 1 } });
    const spans = await traceOf('engram.v1.ThoughtService/DetectPatterns', (all) =>
      ['engram-gateway', 'engram-thought-engine', 'engram-memory-shard'].every((svc) => all.some((s) => s.service === svc && s.kind === SERVER)) &&
      all.some((s) => s.name === 'mining.task') &&
      all.some((s) => s.service === 'engram-memory-shard' && s.name.endsWith('/PutPatterns')),
    );
    const root = spans.find((s) => s.parentSpanId === '')!;
    expect(root.service).toBe('engram-gateway');
    const toEngine = spans.find((s) => s.service === 'engram-gateway' && s.kind === CLIENT)!;
    expect(toEngine.name).toBe('engram.v1.ThoughtService/DetectPatterns');
    expect(parentOf(spans, toEngine)).toBe(root);
    const engine = spans.find((s) => s.service === 'engram-thought-engine' && s.kind === SERVER)!;
    expect(parentOf(spans, engine)).toBe(toEngine);
    // The engine's calls to the shard are its children, and the shard's spans are theirs.
    for (const method of ['ReadStream', 'PutPatterns']) {
      const call = spans.find((s) => s.service === 'engram-thought-engine' && s.kind === CLIENT && s.name === `engram.shard.v1.ShardService/${method}`)!;
      expect(parentOf(spans, call)).toBe(engine);
      const served = spans.find((s) => s.service === 'engram-memory-shard' && s.kind === SERVER && s.name === `engram.shard.v1.ShardService/${method}`)!;
      expect(parentOf(spans, served)).toBe(call);
    }
    const task = spans.find((s) => s.name === 'mining.task')!;
    expect(parentOf(spans, task)).toBe(engine);
    expect(task.attributes['engram.task.queue_ms']).toBeGreaterThanOrEqual(0);
    expect(task.attributes['engram.task.run_ms']).toBeGreaterThanOrEqual(0);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  });
});
