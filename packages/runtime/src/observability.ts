import type { Server } from 'node:http';
import type { ConfigOf, metricsGroup } from '@engram/config';
import { initNodeMetrics, serveMetrics, telemetry, type NodeMetrics } from '@engram/telemetry';

export type MetricsSettings = ConfigOf<{ metrics: ReturnType<typeof metricsGroup> }>['metrics'];

export interface NodeObservability {
  metrics: NodeMetrics;
  /** host:port of the Prometheus endpoint. */
  metricsAddress: string;
  close(): Promise<void>;
}

/**
 * A node's metrics, once its settings are known: the instruments (MetricsCollector settings) and the Prometheus
 * endpoint. startTelemetry must have run first (each service's main imports its telemetry module before anything).
 */
export async function startObservability(settings: MetricsSettings): Promise<NodeObservability> {
  const metrics = initNodeMetrics({
    system: settings.system,
    custom: settings.custom,
    sampleIntervalMs: settings.sampleInterval,
    bufferSize: settings.bufferSize,
  });
  const { port, server } = await serveMetrics(settings.listen);
  const host = settings.listen.slice(0, settings.listen.lastIndexOf(':'));
  return {
    metrics,
    metricsAddress: `${host}:${port}`,
    close: async () => {
      metrics.stopSampling();
      await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
      await telemetry()?.shutdown();
    },
  };
}
