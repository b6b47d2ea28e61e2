import { address, bool, duration, int, num, size } from '../parsers.js';
import { group, setting } from '../setting.js';

/** The seed's MetricsCollector: what a node measures and where Prometheus scrapes it. */
export const metricsGroup = (defaultListen: string) =>
  group({
    title: 'Metrics and traces (MetricsCollector)',
    settings: {
      listen: setting('ENGRAM_METRICS_LISTEN', defaultListen, 'Address of the Prometheus endpoint, http://address/metrics (port 0 = any free port)', address()),
      sampleInterval: setting(
        'ENGRAM_METRICS_SAMPLE_INTERVAL',
        '1s',
        'SampleInterval: how often request and CPU rates are sampled for the load figures ClusterStatus shows',
        duration(100, 60_000),
      ),
      bufferSize: setting('ENGRAM_METRICS_BUFFER_SIZE', '1024', 'BufferSize: latest RPC latencies kept for the load figures\' 99th percentile', int(16, 1_000_000)),
      system: setting('ENGRAM_METRICS_SYSTEM', 'true', 'SystemMetrics: export CPU, memory, event-loop lag and disk I/O of the process', bool()),
      custom: setting('ENGRAM_METRICS_CUSTOM', 'true', 'CustomMetrics: export storage, cache, ring, worker-pool and mining metrics', bool()),
      trace: setting(
        'ENGRAM_METRICS_TRACE',
        'true',
        'TraceMetrics: record trace spans when OTEL_TRACES_EXPORTER or OTEL_EXPORTER_OTLP_ENDPOINT asks for them (read from the environment at start; false turns tracing off)',
        bool(),
      ),
    },
  });

/**
 * The seed's PerformanceAlerts. Nodes do not read these: `npm run gen:alerts` turns them into the Prometheus alert
 * rules in deploy/prometheus/alerts.yml (set them in the environment when generating).
 */
export const alertsGroup = group({
  title: 'Alert thresholds (PerformanceAlerts)',
  settings: {
    maxProcessingLatency: setting(
      'ENGRAM_ALERT_MAX_PROCESSING_LATENCY',
      '250ms',
      'MaxProcessingLatency: a node\'s RPC latency, 99th percentile over 5 minutes',
      duration(1, 600_000),
    ),
    maxStorageLatency: setting(
      'ENGRAM_ALERT_MAX_STORAGE_LATENCY',
      '100ms',
      'MaxStorageLatency: a shard\'s group-commit batch latency, 99th percentile over 5 minutes',
      duration(1, 600_000),
    ),
    memoryThreshold: setting('ENGRAM_ALERT_MEMORY_THRESHOLD', '2gb', 'MemoryThreshold: resident memory of a node process', size(1024 * 1024, 1024 ** 4)),
    cpuThreshold: setting('ENGRAM_ALERT_CPU_THRESHOLD', '0.9', 'CPUThreshold: CPU cores a node process uses, averaged over 5 minutes', num(0.01, 1024)),
    diskIoThreshold: setting(
      'ENGRAM_ALERT_DISK_IO_THRESHOLD',
      '100mb',
      'DiskIOThreshold: bytes per second a node process reads and writes, averaged over 5 minutes',
      size(1024, 1024 ** 4),
    ),
    for: setting('ENGRAM_ALERT_FOR', '5m', 'How long a threshold must be crossed before its alert fires', duration(0, 86_400_000)),
  },
});
