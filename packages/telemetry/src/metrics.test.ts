import { describe, expect, it } from 'vitest';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { FixedHistogramProducer } from './fixed-histograms.js';
import { METRICS, NodeMetrics } from './metrics.js';

/** A reader that collects on demand, so a test can see what a scrape would. */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

async function scrape(setup: (m: NodeMetrics) => void, options = { system: true, custom: true, sampleIntervalMs: 1000, bufferSize: 8 }): Promise<string> {
  const histograms = new FixedHistogramProducer();
  const reader = new TestReader({ metricProducers: [histograms] });
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new NodeMetrics(provider.getMeter('engram'), options, histograms);
  setup(metrics);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  // As the node's exporter serialises (no scope labels).
  return new PrometheusSerializer('', false, undefined, true, true).serialize(resourceMetrics);
}

describe('NodeMetrics', () => {
  it('exports RPC latency by service, method and status code, and bytes by direction', async () => {
    const text = await scrape((m) => {
      m.rpcServer('engram.v1.MemoryService', 'Remember', 'OK', 0.003, 120, 80);
      m.rpcServer('engram.v1.MemoryService', 'Remember', 'INVALID_ARGUMENT', 0.001, 10, 0);
      m.rpcClient('shard-0', 'Remember', 'OK', 0.002);
    });
    expect(text).toContain(`${METRICS.rpcServerDuration}_count{rpc_service="engram.v1.MemoryService",rpc_method="Remember",grpc_code="OK"} 1`);
    expect(text).toContain(`${METRICS.rpcServerDuration}_count{rpc_service="engram.v1.MemoryService",rpc_method="Remember",grpc_code="INVALID_ARGUMENT"} 1`);
    expect(text).toContain(`${METRICS.rpcServerBytes}{rpc_service="engram.v1.MemoryService",rpc_method="Remember",direction="received"} 130`);
    expect(text).toContain(`${METRICS.rpcServerBytes}{rpc_service="engram.v1.MemoryService",rpc_method="Remember",direction="sent"} 80`);
    expect(text).toContain(`${METRICS.rpcClientDuration}_bucket{peer="shard-0",rpc_method="Remember",grpc_code="OK",le="0.0025"} 1`);
  });

  it('exports the RPC histograms as the SDK would: cumulative buckets (a value on a bound counts in it), sum and count', async () => {
    const values = [0.00005, 0.001, 0.001, 0.004, 0.2, 45];
    const text = await scrape((m) => {
      for (const v of values) m.rpcServer('svc', 'Get', 'OK', v, 0, 0);
      m.rpcServer('svc', 'Get', 'NOT_FOUND', 0.003, 0, 0);
      m.rpcServer('other', 'Get', 'OK', 0.003, 0, 0);
    });
    const line = (suffix: string, labels: string) => new RegExp(`^${METRICS.rpcServerDuration}_${suffix}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1];
    const ok = 'rpc_service="svc",rpc_method="Get",grpc_code="OK"';
    expect(line('bucket', `${ok},le="0.0001"`)).toBe('1');
    expect(line('bucket', `${ok},le="0.001"`)).toBe('3');
    expect(line('bucket', `${ok},le="0.005"`)).toBe('4');
    expect(line('bucket', `${ok},le="0.25"`)).toBe('5');
    expect(line('bucket', `${ok},le="30"`)).toBe('5');
    expect(line('bucket', `${ok},le="\\+Inf"`)).toBe('6');
    expect(line('count', ok)).toBe('6');
    expect(Number(line('sum', ok))).toBeCloseTo(values.reduce((a, b) => a + b, 0), 9);
    expect(line('count', 'rpc_service="svc",rpc_method="Get",grpc_code="NOT_FOUND"')).toBe('1');
    expect(line('count', 'rpc_service="other",rpc_method="Get",grpc_code="OK"')).toBe('1');
    // One HELP and TYPE line per metric, however many series.
    expect(text.match(new RegExp(`^# TYPE ${METRICS.rpcServerDuration} histogram$`, 'gm'))).toHaveLength(1);
  });

  it('reads gauges at scrape time, and leaves out what a node does not have', async () => {
    const text = await scrape((m) =>
      m.observe({
        memoriesByLayer: () => [['LAYER_SENSORY', 5], ['LAYER_ETERNAL', 2]],
        cache: () => ({ hits: 7, misses: 3, bytes: 1024 }),
        worker: () => ({ threads: 2, queued: 1, running: 2, utilization: 0.5 }),
      }),
    );
    expect(text).toContain(`${METRICS.memories}{layer="LAYER_SENSORY"} 5`);
    expect(text).toContain(`${METRICS.memories}{layer="LAYER_ETERNAL"} 2`);
    expect(text).toContain(`${METRICS.cacheRequests}{result="hit"} 7`);
    expect(text).toContain(`${METRICS.workerQueueDepth} 1`);
    expect(text).toMatch(new RegExp(`^${METRICS.residentMemory} \\d+`, 'm'));
    // The memory's parts: V8's heap reserved and used, what lives outside it, resident memory by kind (Linux).
    for (const name of [METRICS.heapUsed, METRICS.heapTotal, METRICS.externalMemory, METRICS.residentAnon, METRICS.residentFile]) {
      expect(text).toMatch(new RegExp(`^${name} [1-9]\\d*`, 'm'));
    }
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)![1]);
    expect(value(METRICS.heapTotal)).toBeGreaterThanOrEqual(value(METRICS.heapUsed));
    expect(text).not.toMatch(new RegExp(`^${METRICS.storagePendingWrites} `, 'm'));
  });

  it('follows the MetricsCollector switches', async () => {
    const text = await scrape(
      (m) => {
        m.storageBatch(3, 100, 0.01);
        m.rpcServer('s', 'm', 'OK', 0.001, 0, 0);
      },
      { system: false, custom: false, sampleIntervalMs: 1000, bufferSize: 8 },
    );
    expect(text).not.toContain(METRICS.cpu);
    expect(text).not.toContain(METRICS.storageBatchDuration);
    expect(text).toContain(METRICS.rpcServerDuration);
  });

  it('names every metric by the Prometheus conventions', () => {
    // Lower snake case under one prefix; base units in the name (seconds, bytes, ratio) where there is a unit.
    for (const name of Object.values(METRICS)) expect(name).toMatch(/^engram_[a-z0-9_]+$/);
    for (const name of [METRICS.rpcServerDuration, METRICS.storageBatchDuration, METRICS.workerWait, METRICS.miningDuration]) expect(name).toMatch(/_seconds$/);
    for (const name of [METRICS.storageDiskBytes, METRICS.cacheBytes, METRICS.residentMemory]) expect(name).toMatch(/_bytes$/);
    expect(new Set(Object.values(METRICS)).size).toBe(Object.values(METRICS).length);
  });

  it('reports load figures from the latencies it recorded', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const m = new NodeMetrics(provider.getMeter('engram'), { system: false, custom: true, sampleIntervalMs: 1000, bufferSize: 100 });
    for (let i = 1; i <= 100; i++) m.rpcServer('s', 'm', 'OK', i / 1000, 0, 0);
    m.observe({ inFlight: () => 3 });
    const load = m.load();
    expect(load.p99LatencyMs).toBeCloseTo(99, 6);
    expect(load.inFlight).toBe(3);
    expect(load.residentBytes).toBeGreaterThan(0);
    await provider.shutdown();
  });
});
