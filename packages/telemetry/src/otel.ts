import { createServer, type Server } from 'node:http';
import { context, metrics, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { processHistograms } from './fixed-histograms.js';

/** What a service's telemetry is, once started. */
export interface Telemetry {
  service: string;
  /** Whether spans are recorded (an exporter is configured through OTEL_* and tracing is not switched off). */
  tracing: boolean;
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;
const extraProcessors: SpanProcessor[] = [];

/** Whether OTEL_* variables ask for traces to be exported anywhere. */
function tracesConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.ENGRAM_METRICS_TRACE === 'false') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined) return exporter.split(',').some((e) => e.trim() !== '' && e.trim() !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** For tests in one process: a span processor the SDK adds when it starts (e.g. with an in-memory exporter). */
export function addSpanProcessorForTests(p: SpanProcessor): void {
  extraProcessors.push(p);
}

/**
 * Starts the OpenTelemetry SDK for a service. Call it before anything else runs (each service's main imports its
 * telemetry module first), so every later module gets the real tracer and meter providers.
 *
 * Traces follow the standard variables (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT and _PROTOCOL for
 * gRPC or HTTP, OTEL_TRACES_SAMPLER, ...). Unlike the SDK's own default, no variable means no tracing: then no
 * tracer provider and no context manager are registered and every span is the API's no-op, which costs next to
 * nothing. Metrics are
 * always collected, for the node's Prometheus endpoint (serveMetrics).
 */
export function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (current) return current;
  const tracing = tracesConfigured(env) || extraProcessors.length > 0;
  // The SDK reads these; "none" keeps it from exporting logs or traces nobody asked for.
  if (!tracing) env.OTEL_TRACES_EXPORTER = 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  env.OTEL_METRICS_EXPORTER ??= 'none';
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: [processHistograms] });
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? `engram-${service}`,
    resource: resourceFromAttributes({ 'service.instance.id': env.ENGRAM_NODE_ID ?? service }),
    metricReader: prometheus,
    ...(extraProcessors.length > 0 ? { spanProcessors: [...extraProcessors] } : {}),
    instrumentations: [],
  });
  sdk.start();
  // Without tracing nothing reads the active context, and the SDK's default manager (AsyncLocalStorage, on
  // async_hooks in Node 20) would still track every promise: on the hot paths a cost for nothing.
  if (!tracing) context.disable();
  current = { service, tracing, prometheus, shutdown: () => sdk.shutdown() };
  return current;
}

/** The started telemetry, if any (libraries work without it: the API's no-op providers stand in). */
export function telemetry(): Telemetry | undefined {
  return current;
}

export const tracer = () => trace.getTracer('engram');
export const meter = () => metrics.getMeter('engram');

/**
 * Serves the node's metrics in the Prometheus text format at http://listen/metrics. Resolves with the bound
 * port (listen may use port 0).
 */
export async function serveMetrics(listen: string): Promise<{ port: number; server: Server }> {
  const t = current;
  if (!t) throw new Error('startTelemetry must run before serveMetrics');
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  const port = Number(listen.slice(colon + 1));
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) t.prometheus.getMetricsRequestHandler(req, res);
    else {
      res.statusCode = 404;
      res.end('metrics are at /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : port, server };
}
