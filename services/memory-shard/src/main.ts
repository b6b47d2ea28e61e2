#!/usr/bin/env node
import './telemetry.js';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { shardGroups } from '@engram/config';
import { MemoryEngine } from '@engram/memory';
import { PUBLIC_PROTO_FILES, SHARD_PROTO_FILES, serviceDefinition } from '@engram/protocol';
import { configureOrExit, NodeServer, startIdleCollector, startObservability, stopOnSignals } from '@engram/runtime';
import { ManualClock, systemClock } from '@engram/storage';
import { createLogger } from '@engram/telemetry';
import { shardService } from './shard-service.js';
import { withRememberBatchEncoder } from './remember-batch-encoder.js';

const config = configureOrExit(shardGroups, {
  name: 'engram-memory-shard',
  description: 'An Engram memory shard. Every flag also reads from its ENGRAM_* environment variable.',
});
const logger = createLogger('memory-shard', config.node.id, config.node.logLevel);
const clock = config.testing.clock === 'manual' ? new ManualClock(Date.now()) : systemClock;
// How much V8 lets the old generation grow past what survived the last full collection before the next one. V8's
// own choice (the default, 0) keeps up to ~100 MiB of garbage beside what a shard holds; 20 % keeps the heap near
// it, within caches + 200 MiB at a million memories, at the price of more full collections: query CPU 1.5-2x and
// pauses in its p99, Recall ~1.3x (bench/query.mjs, bench/shard-memory.mjs). Read at every collection, so it can
// be set here (V8 refuses it in NODE_OPTIONS); `node --heap-growing-percent=N` wins.
const growingGiven = process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'));
if (!growingGiven && config.cache.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.cache.heapGrowingPercent}`);
// V8's heap limits and glibc's malloc arenas are fixed when the process starts, so whoever starts the shard sets
// them (services/local-cluster/src/shard-process.ts derives them from these settings; k8s/README.md for other
// deployments). Say what this process got: without them V8 grows the heap to several times what it holds.
logger.info(
  {
    v8HeapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'glibc default',
    recordCacheBytes: config.cache.maxBytes,
    blockCacheBytes: config.storage.blockCacheSize,
    writeBufferBytes: config.storage.writeBufferSize,
    heapGrowingPercent: growingGiven ? 'from the command line' : config.cache.heapGrowingPercent || 'V8 default',
  },
  'memory settings',
);

const observability = await startObservability(config.metrics).catch((err: unknown) => {
  logger.fatal({ err, listen: config.metrics.listen }, 'cannot serve metrics');
  process.exit(1);
});
const engine = await MemoryEngine.open({ config, nodeId: config.node.id, clock, logger, metricsAddress: observability.metricsAddress, load: () => observability.metrics.load() });
observability.metrics.observe(engine.gauges());
const protoFiles = [...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES];
const server = new NodeServer({
  listen: config.node.listen,
  maxInFlight: config.node.maxInFlight,
  fastPath: config.node.fastPath,
  services: [
    { name: 'engram.shard.v1.ShardService', definition: withRememberBatchEncoder(serviceDefinition(protoFiles, 'engram.shard.v1.ShardService')), implementation: shardService(engine, logger) },
  ],
  protoFiles,
  maxMessageBytes: config.limits.messageBytes,
  logger,
  announce: { metricsAddress: observability.metricsAddress },
});

const stopIdleCollector = startIdleCollector({ idleMs: config.cache.idleGc, inFlight: () => server.inFlight.inFlight, started: () => server.inFlight.started, logger });

stopOnSignals(async () => {
  stopIdleCollector();
  await server.shutdown(config.node.shutdownGrace);
  await engine.close();
  await observability.close();
}, logger, { stopWithParent: config.node.stopWithParent });

try {
  await server.start();
} catch (err) {
  logger.fatal({ err, listen: config.node.listen }, 'cannot listen');
  await engine.close();
  process.exit(1);
}
