#!/usr/bin/env node
import './telemetry.js';
import { NodePool, ShardRouter } from '@engram/cluster-client';
import { engineGroups } from '@engram/config';
import { ENGINE_PROTO_FILES, PUBLIC_PROTO_FILES, serviceDefinition, unary, type EngineStatsResponse } from '@engram/protocol';
import { StaticMembership } from '@engram/ring';
import { configureOrExit, NodeServer, startObservability, stopOnSignals } from '@engram/runtime';
import { createLogger } from '@engram/telemetry';
import { dreamSettings } from './dream.js';
import { ThoughtEngine } from './engine.js';
import { MiningPool } from './pool.js';
import { DreamScheduler } from './scheduler.js';
import { thoughtService } from './thought-service.js';

const config = configureOrExit(engineGroups, {
  name: 'engram-thought-engine',
  description: 'An Engram thought engine. Every flag also reads from its ENGRAM_* environment variable.',
});
const logger = createLogger('thought-engine', config.node.id, config.node.logLevel);
const observability = await startObservability(config.metrics).catch((err: unknown) => {
  logger.fatal({ err, listen: config.metrics.listen }, 'cannot serve metrics');
  process.exit(1);
});

const pool = new MiningPool({
  concurrency: config.patterns.concurrencyLevel,
  cpuLimit: config.patterns.cpuLimit,
  memoryLimitBytes: config.patterns.memoryLimit,
  maxQueue: config.patterns.maxQueue,
});
const shards = new NodePool({
  timeoutMs: config.internal.timeout,
  retries: config.internal.retries,
  breakerThreshold: config.internal.breakerThreshold,
  halfOpenAfterMs: config.internal.breakerHalfOpenAfter,
  maxMessageBytes: config.limits.messageBytes,
});
const router = new ShardRouter(new StaticMembership(config.membership.shards), config.membership.vnodes, shards);
const engine = new ThoughtEngine(config, router, pool);
observability.metrics.observe({
  worker: () => pool.stats(),
  ringMembers: () => router.members().length,
  ringShares: () => router.ring.shares(),
});
const scheduler = new DreamScheduler(
  engine,
  () => dreamSettings(engine, { subject: '', options: null }),
  config.membership.defaultTenant,
  config.node.id,
  config.membership.engines,
  logger,
);

const startedAt = Date.now();
const stats = async (): Promise<EngineStatsResponse> => {
  const p = pool.stats();
  return {
    nodeId: config.node.id,
    uptimeSeconds: (Date.now() - startedAt) / 1000,
    threads: p.threads,
    queuedTasks: p.queued,
    runningTasks: p.running,
    completedTasks: p.completed,
    utilization: p.utilization,
    dreamPasses: scheduler.passes,
    dreams: scheduler.dreams,
    load: observability.metrics.load(),
    metricsAddress: observability.metricsAddress,
  };
};
const protoFiles = [...PUBLIC_PROTO_FILES, ...ENGINE_PROTO_FILES];

const server = new NodeServer({
  listen: config.node.listen,
  maxInFlight: config.node.maxInFlight,
  fastPath: config.node.fastPath,
  services: [
    { name: 'engram.v1.ThoughtService', definition: serviceDefinition(protoFiles, 'engram.v1.ThoughtService'), implementation: thoughtService(engine, logger) },
    {
      name: 'engram.engine.v1.EngineService',
      definition: serviceDefinition(protoFiles, 'engram.engine.v1.EngineService'),
      implementation: { Stats: unary('Stats', stats, (err) => logger.error({ err }, 'bug: stats failed')) },
    },
  ],
  protoFiles,
  maxMessageBytes: config.limits.messageBytes,
  logger,
  announce: { metricsAddress: observability.metricsAddress },
});

stopOnSignals(async () => {
  await scheduler.stop();
  await server.shutdown(config.node.shutdownGrace);
  await pool.close();
  shards.close();
  await observability.close();
}, logger, { stopWithParent: config.node.stopWithParent });

try {
  await server.start();
  logger.info({ threads: pool.threads, shards: config.membership.shards, dreamInterval: config.dream.interval }, 'thought engine ready');
  scheduler.start();
} catch (err) {
  logger.fatal({ err, listen: config.node.listen }, 'cannot listen');
  await pool.close();
  process.exit(1);
}
