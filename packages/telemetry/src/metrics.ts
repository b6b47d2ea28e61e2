import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { FixedHistogram, processHistograms, type FixedHistogramProducer } from './fixed-histograms.js';
import { meter as defaultMeter } from './otel.js';

/**
 * Every metric an Engram node exports, in one place: names follow Prometheus conventions (base units, seconds
 * and bytes, counters ending in _total), and dashboards, alert rules and tests read the names from here.
 */
export const METRICS = {
  // The seed's real-time metrics: processing, storage and network latency; requests; bytes.
  rpcServerDuration: 'engram_rpc_server_duration_seconds',
  rpcServerBytes: 'engram_rpc_server_bytes_total',
  rpcClientDuration: 'engram_rpc_client_duration_seconds',
  inFlight: 'engram_rpc_in_flight',
  storageBatchDuration: 'engram_storage_batch_duration_seconds',
  storageBatchWrites: 'engram_storage_batch_writes',
  storageBatchBytes: 'engram_storage_batch_bytes_total',
  storagePendingWrites: 'engram_storage_pending_writes',
  writeAdmission: 'engram_write_admission_memories',
  writeRefused: 'engram_write_refused_total',
  storageDiskBytes: 'engram_storage_disk_bytes',
  storageCompactions: 'engram_storage_compactions_total',
  storageExpired: 'engram_storage_expired_total',
  storagePostingsBuffered: 'engram_storage_postings_buffered',
  storagePostingFlushes: 'engram_storage_posting_flushes_total',
  cacheRequests: 'engram_cache_requests_total',
  cacheBytes: 'engram_cache_bytes',
  memories: 'engram_memories',
  subjects: 'engram_subjects',
  ringMembers: 'engram_ring_members',
  ringShare: 'engram_ring_owned_share',
  workerThreads: 'engram_worker_threads',
  workerQueueDepth: 'engram_worker_queue_depth',
  workerRunning: 'engram_worker_running_tasks',
  workerUtilization: 'engram_worker_utilization_ratio',
  workerWait: 'engram_worker_task_wait_seconds',
  workerRun: 'engram_worker_task_run_seconds',
  miningDuration: 'engram_mining_duration_seconds',
  dreams: 'engram_dreams_total',
  // The process: CPU, memory, event loop, disk I/O (Linux).
  cpu: 'engram_process_cpu_seconds_total',
  residentMemory: 'engram_process_resident_memory_bytes',
  heapUsed: 'engram_process_heap_used_bytes',
  heapTotal: 'engram_process_heap_total_bytes',
  externalMemory: 'engram_process_external_memory_bytes',
  residentAnon: 'engram_process_resident_anon_bytes',
  residentFile: 'engram_process_resident_file_bytes',
  eventLoopLag: 'engram_process_event_loop_lag_seconds',
  diskRead: 'engram_process_disk_read_bytes_total',
  diskWritten: 'engram_process_disk_written_bytes_total',
} as const;

/** Latency buckets (seconds) from 100 µs to 30 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const TASK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/** Values a node reports when scraped (each a callback; what a node does not have, it leaves out). */
export interface Gauges {
  inFlight: () => number;
  memoriesByLayer: () => Iterable<[layer: string, memories: number]>;
  subjects: () => number;
  pendingWrites: () => number;
  /** The write path's admission: memories in it, memories waiting to enter, writes refused as busy. */
  writeAdmission: () => { inFlight: number; waiting: number; refused: number };
  /** Read asynchronously; the latest value is reported. */
  diskBytes: () => number;
  compactions: () => number;
  /** The posting index: postings in memory (not yet written as blocks), segment flushes queued. */
  postings: () => { buffered: number; flushes: number };
  expired: () => number;
  cache: () => { hits: number; misses: number; bytes: number };
  ringMembers: () => number;
  ringShares: () => Iterable<[member: string, share: number]>;
  worker: () => { threads: number; queued: number; running: number; utilization: number };
}

export interface MetricsOptions {
  /** The process's CPU, memory, event loop and disk figures. */
  system: boolean;
  /** Engram's own figures (storage, cache, ring, workers, mining). */
  custom: boolean;
  /** How often load figures (request rate, CPU) are sampled, in ms; also the event-loop delay's resolution bound. */
  sampleIntervalMs: number;
  /** RPC latencies kept for the load figures' 99th percentile. */
  bufferSize: number;
}

/** A node's load as ClusterStatus reports it: the same figures its metrics carry. */
export interface LoadFigures {
  requestsPerSecond: number;
  p99LatencyMs: number;
  cpuCores: number;
  residentBytes: number;
  eventLoopLagMs: number;
  inFlight: number;
}

const DEFAULT_OPTIONS: MetricsOptions = { system: true, custom: true, sampleIntervalMs: 1000, bufferSize: 1024 };

/**
 * A reading shared by the gauges of one scrape: fn runs at most once per 100 ms (several gauges take their value from
 * one /proc file or one process.memoryUsage(), which would otherwise be read once per gauge).
 */
function perScrape<T>(fn: () => T): () => T {
  let at = -Infinity;
  let value: T;
  return () => {
    const now = performance.now();
    if (now - at >= 100) {
      value = fn();
      at = now;
    }
    return value;
  };
}

/** /proc/self/io (Linux): bytes this process made the disk read and write. */
function diskIo(): { read: number; written: number } | undefined {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    const read = field('read_bytes');
    const written = field('write_bytes');
    return Number.isFinite(read) && Number.isFinite(written) ? { read, written } : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory by kind (Linux /proc/self/status): anonymous (heaps, malloc) and file-backed (mapped files, the binary). */
function residentByKind(): { anon: number; file: number } | undefined {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const anon = kib('RssAnon');
    const file = kib('RssFile');
    return Number.isFinite(anon) && Number.isFinite(file) ? { anon, file } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A node's instruments. Libraries record through the process's instance (nodeMetrics()); before a service starts
 * its telemetry, the API's no-op meter makes every call free.
 */
export class NodeMetrics {
  /** RPC latencies, by service, method and code (peer, method and code): one per call, aggregated here. */
  private readonly serverDuration: FixedHistogram;
  /** Bytes per service/method, summed here and read at scrape time: two fewer attribute lookups per call. */
  private readonly serverBytes = new Map<string, { service: string; method: string; received: number; sent: number }>();
  private readonly clientDuration: FixedHistogram;
  private readonly batchDuration: Histogram;
  private readonly batchWrites: Histogram;
  private readonly batchBytes: Counter;
  private readonly workerWait: Histogram;
  private readonly workerRun: Histogram;
  private readonly miningDuration: Histogram;
  private readonly dreams: Counter;
  private loopDelay: IntervalHistogram | undefined;
  private readonly gauges: Partial<Gauges> = {};
  // Load figures: the latest latencies (a ring), and request and CPU rates smoothed over about a minute.
  private readonly latencies: Float64Array;
  private latencyCount = 0;
  private requests = 0;
  private sampled = { at: performance.now(), requests: 0, cpu: 0 };
  private rates = { requests: 0, cpu: 0 };
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    private readonly meter: Meter,
    readonly options: MetricsOptions = DEFAULT_OPTIONS,
    /** Where the RPC histograms go (the exporter reads it): the process's, unless a test reads its own. */
    histograms: FixedHistogramProducer = processHistograms,
  ) {
    this.latencies = new Float64Array(Math.max(1, options.bufferSize));
    const histogram = (name: string, description: string, unit: string, buckets: number[]) =>
      meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: buckets } });
    this.serverDuration = histograms.add(
      new FixedHistogram(METRICS.rpcServerDuration, 'Time to answer an RPC on this node (processing latency), by service, method and status code', 's', ['rpc_service', 'rpc_method', 'grpc_code'], LATENCY_BUCKETS),
    );
    meter.createObservableCounter(METRICS.rpcServerBytes, { description: 'Request and response bytes of RPCs on this node', unit: 'By' }).addCallback((r) => {
      for (const b of this.serverBytes.values()) {
        if (b.received > 0) r.observe(b.received, { rpc_service: b.service, rpc_method: b.method, direction: 'received' });
        if (b.sent > 0) r.observe(b.sent, { rpc_service: b.service, rpc_method: b.method, direction: 'sent' });
      }
    });
    this.clientDuration = histograms.add(
      new FixedHistogram(METRICS.rpcClientDuration, 'Time of calls this node made to other nodes (network latency included), by peer, method and status code', 's', ['peer', 'rpc_method', 'grpc_code'], LATENCY_BUCKETS),
    );
    this.batchDuration = histogram(METRICS.storageBatchDuration, 'Time to write (and fsync) one group-commit batch to LevelDB (storage latency)', 's', LATENCY_BUCKETS);
    this.batchWrites = histogram(METRICS.storageBatchWrites, 'Writes per group-commit batch', '1', SIZE_BUCKETS);
    this.batchBytes = meter.createCounter(METRICS.storageBatchBytes, { description: 'Bytes written to LevelDB in batches', unit: 'By' });
    this.workerWait = histogram(METRICS.workerWait, 'Time a mining task waited for a worker thread', 's', TASK_BUCKETS);
    this.workerRun = histogram(METRICS.workerRun, 'Time a mining task ran on a worker thread', 's', TASK_BUCKETS);
    this.miningDuration = histogram(METRICS.miningDuration, 'Time to mine one request (all its tasks), by strategy', 's', TASK_BUCKETS);
    this.dreams = meter.createCounter(METRICS.dreams, { description: 'Dreams of a subject, by trigger and outcome' });
    this.observables();
  }

  /** Registers the callbacks of values read at scrape time (a later call replaces a callback). */
  observe(gauges: Partial<Gauges>): void {
    Object.assign(this.gauges, gauges);
  }

  /** Starts sampling request and CPU rates for load figures (a timer that does not keep the process alive). */
  startSampling(): void {
    if (this.sampler) return;
    this.sampler = setInterval(() => this.sample(), this.options.sampleIntervalMs);
    this.sampler.unref();
  }

  stopSampling(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private sample(): void {
    const now = performance.now();
    const u = process.cpuUsage();
    const cpu = (u.user + u.system) / 1e6;
    const seconds = (now - this.sampled.at) / 1000;
    if (seconds <= 0) return;
    // An exponentially weighted average with a one-minute time constant.
    const alpha = 1 - Math.exp(-seconds / 60);
    const rps = (this.requests - this.sampled.requests) / seconds;
    const cores = (cpu - this.sampled.cpu) / seconds;
    const first = this.rates.requests === 0 && this.rates.cpu === 0;
    this.rates = first ? { requests: rps, cpu: cores } : { requests: this.rates.requests + alpha * (rps - this.rates.requests), cpu: this.rates.cpu + alpha * (cores - this.rates.cpu) };
    this.sampled = { at: now, requests: this.requests, cpu };
  }

  /** This node's load: the figures ClusterStatus shows beside its health. */
  load(): LoadFigures {
    const n = Math.min(this.latencyCount, this.latencies.length);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const p99 = n === 0 ? 0 : sorted[Math.min(n - 1, Math.ceil(0.99 * n) - 1)]!;
    return {
      requestsPerSecond: this.rates.requests,
      p99LatencyMs: p99 * 1000,
      cpuCores: this.rates.cpu,
      residentBytes: process.memoryUsage.rss(),
      eventLoopLagMs: this.eventLoopLag() * 1000,
      inFlight: this.gauges.inFlight?.() ?? 0,
    };
  }

  rpcServer(service: string, method: string, code: string, seconds: number, bytesIn: number, bytesOut: number): void {
    this.requests += 1;
    this.latencies[this.latencyCount++ % this.latencies.length] = seconds;
    this.serverDuration.record(seconds, service, method, code);
    if (bytesIn === 0 && bytesOut === 0) return;
    const key = `${service}/${method}`;
    let bytes = this.serverBytes.get(key);
    if (!bytes) this.serverBytes.set(key, (bytes = { service, method, received: 0, sent: 0 }));
    bytes.received += bytesIn;
    bytes.sent += bytesOut;
  }

  rpcClient(peer: string, method: string, code: string, seconds: number): void {
    this.clientDuration.record(seconds, peer, method, code);
  }

  storageBatch(writes: number, bytes: number, seconds: number): void {
    if (!this.options.custom) return;
    this.batchDuration.record(seconds);
    this.batchWrites.record(writes);
    this.batchBytes.add(bytes);
  }

  workerTask(kind: string, waitSeconds: number, runSeconds: number, outcome: string): void {
    if (!this.options.custom) return;
    this.workerWait.record(waitSeconds, { kind });
    this.workerRun.record(runSeconds, { kind, outcome });
  }

  mining(strategy: string, seconds: number, outcome: string): void {
    if (this.options.custom) this.miningDuration.record(seconds, { strategy, outcome });
  }

  dream(trigger: 'request' | 'schedule', outcome: 'dreamt' | 'skipped' | 'failed'): void {
    if (this.options.custom) this.dreams.add(1, { trigger, outcome });
  }

  /** The event loop's delay: 99th percentile of the samples since the last reset (each minute), in seconds. */
  eventLoopLag(): number {
    const h = this.loopDelay;
    if (!h) return 0;
    const p99 = h.percentile(99) / 1e9;
    return Number.isFinite(p99) ? p99 : 0;
  }

  private observables(): void {
    const m = this.meter;
    const g = this.gauges;
    const gauge = (name: string, description: string, unit: string, read: (r: ObservableResult) => void) =>
      m.createObservableGauge(name, { description, unit }).addCallback(read);
    const counter = (name: string, description: string, unit: string, read: (r: ObservableResult) => void) =>
      m.createObservableCounter(name, { description, unit }).addCallback(read);

    gauge(METRICS.inFlight, 'RPCs being served on this node (load shedding starts at ENGRAM_MAX_IN_FLIGHT)', '1', (r) => {
      if (g.inFlight) r.observe(g.inFlight());
    });
    if (this.options.custom) {
      gauge(METRICS.memories, 'Memories stored on this shard, by layer', '1', (r) => {
        for (const [layer, n] of g.memoriesByLayer?.() ?? []) r.observe(n, { layer });
      });
      gauge(METRICS.subjects, 'Subjects stored on this shard', '1', (r) => g.subjects && r.observe(g.subjects()));
      gauge(METRICS.storagePendingWrites, 'Writes queued for the next group-commit batches (queue depth)', '1', (r) => g.pendingWrites && r.observe(g.pendingWrites()));
      gauge(METRICS.writeAdmission, 'Memories in the write path (state=in_flight, up to ENGRAM_WRITE_MAX_IN_FLIGHT) and waiting to enter (state=waiting)', '1', (r) => {
        if (!g.writeAdmission) return;
        const a = g.writeAdmission();
        r.observe(a.inFlight, { state: 'in_flight' });
        r.observe(a.waiting, { state: 'waiting' });
      });
      counter(METRICS.writeRefused, 'Writes refused as busy (RESOURCE_EXHAUSTED) after waiting ENGRAM_WRITE_MAX_QUEUE_WAIT to enter', '1', (r) => g.writeAdmission && r.observe(g.writeAdmission().refused));
      gauge(METRICS.storageDiskBytes, 'Bytes of the LevelDB store on disk', 'By', (r) => g.diskBytes && r.observe(g.diskBytes()));
      counter(METRICS.storageCompactions, 'LevelDB range compactions run after deletions', '1', (r) => g.compactions && r.observe(g.compactions()));
      counter(METRICS.storageExpired, 'Memories deleted by retention', '1', (r) => g.expired && r.observe(g.expired()));
      gauge(METRICS.storagePostingsBuffered, 'Postings of new memories held in memory until their segment is written as posting blocks', '1', (r) => g.postings && r.observe(g.postings().buffered));
      counter(METRICS.storagePostingFlushes, 'Posting segments written as blocks', '1', (r) => g.postings && r.observe(g.postings().flushes));
      counter(METRICS.cacheRequests, 'Record cache lookups, by result (hit or miss)', '1', (r) => {
        if (!g.cache) return;
        const c = g.cache();
        r.observe(c.hits, { result: 'hit' });
        r.observe(c.misses, { result: 'miss' });
      });
      gauge(METRICS.cacheBytes, 'Bytes held by the record cache', 'By', (r) => g.cache && r.observe(g.cache().bytes));
      gauge(METRICS.ringMembers, 'Members of the hash ring this node routes by', '1', (r) => g.ringMembers && r.observe(g.ringMembers()));
      gauge(METRICS.ringShare, 'Share of the hash ring each member owns', '1', (r) => {
        for (const [member, share] of g.ringShares?.() ?? []) r.observe(share, { member });
      });
      gauge(METRICS.workerThreads, 'Worker threads of the mining pool', '1', (r) => g.worker && r.observe(g.worker().threads));
      gauge(METRICS.workerQueueDepth, 'Mining tasks waiting for a worker thread', '1', (r) => g.worker && r.observe(g.worker().queued));
      gauge(METRICS.workerRunning, 'Mining tasks running on worker threads', '1', (r) => g.worker && r.observe(g.worker().running));
      gauge(METRICS.workerUtilization, 'Share of time the worker threads were busy', '1', (r) => g.worker && r.observe(g.worker().utilization));
    }
    if (this.options.system) {
      this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
      this.loopDelay.enable();
      const loop = this.loopDelay;
      setInterval(() => loop.reset(), 60_000).unref();
      counter(METRICS.cpu, 'CPU time of this process (user and system)', 's', (r) => {
        const u = process.cpuUsage();
        r.observe((u.user + u.system) / 1e6);
      });
      gauge(METRICS.residentMemory, 'Resident memory of this process', 'By', (r) => r.observe(process.memoryUsage.rss()));
      const memory = perScrape(() => process.memoryUsage());
      gauge(METRICS.heapUsed, 'V8 heap in use', 'By', (r) => r.observe(memory().heapUsed));
      gauge(METRICS.heapTotal, 'V8 heap reserved (in use plus free pages V8 keeps)', 'By', (r) => r.observe(memory().heapTotal));
      gauge(METRICS.externalMemory, 'Memory outside the V8 heap that JavaScript objects hold (Buffers, ArrayBuffers)', 'By', (r) => r.observe(memory().external));
      const resident = perScrape(residentByKind);
      const byKind = [
        [METRICS.residentAnon, 'Anonymous resident memory (Linux RssAnon: heaps, malloc, LevelDB caches)', 'anon'],
        [METRICS.residentFile, 'File-backed resident memory (Linux RssFile: the binary, mapped LevelDB tables)', 'file'],
      ] as const;
      for (const [name, description, kind] of byKind) {
        gauge(name, description, 'By', (r) => {
          const rss = resident();
          if (rss) r.observe(rss[kind]);
        });
      }
      gauge(METRICS.eventLoopLag, 'Event-loop delay, 99th percentile over the last minute or so', 's', (r) => r.observe(this.eventLoopLag()));
      const disk = perScrape(diskIo);
      counter(METRICS.diskRead, 'Bytes this process read from disk (Linux /proc/self/io)', 'By', (r) => {
        const io = disk();
        if (io) r.observe(io.read);
      });
      counter(METRICS.diskWritten, 'Bytes this process wrote to disk (Linux /proc/self/io)', 'By', (r) => {
        const io = disk();
        if (io) r.observe(io.written);
      });
    }
  }
}

let instance: NodeMetrics | undefined;

/** Creates the process's instruments (once, after startTelemetry) with the MetricsCollector settings. */
export function initNodeMetrics(options: MetricsOptions): NodeMetrics {
  instance = new NodeMetrics(defaultMeter(), options);
  instance.startSampling();
  return instance;
}

/** The process's instruments; a no-op set until initNodeMetrics runs. */
export function nodeMetrics(): NodeMetrics {
  instance ??= new NodeMetrics(defaultMeter(), { ...DEFAULT_OPTIONS, system: false });
  return instance;
}
