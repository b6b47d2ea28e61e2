#!/usr/bin/env node
import './telemetry.js';
import { gatewayGroups } from '@engram/config';
import { NodePool, ShardRouter } from '@engram/cluster-client';
import { PUBLIC_PROTO_FILES, rawServiceDefinition, serviceDefinition, type BugReporter } from '@engram/protocol';
import { StaticMembership } from '@engram/ring';
import { configureOrExit, NodeServer, startObservability, stopOnSignals } from '@engram/runtime';
import { createLogger } from '@engram/telemetry';
import { adminService } from './admin-service.js';
import { EngineRouter } from './engine-router.js';
import { memoryService } from './memory-service.js';
import { Coalescer, recallMethod, rememberMethod } from './coalescer.js';
import { shardMethod } from './codecs.js';
import { thoughtService } from './thought-service.js';

const config = configureOrExit(gatewayGroups, {
  name: 'engram-gateway',
  description: 'The Engram gateway. Every flag also reads from its ENGRAM_* environment variable.',
});
const logger = createLogger('gateway', config.node.id, config.node.logLevel);
const report: BugReporter = (err, reference, method) => logger.error({ err, reference, method }, 'bug: unexpected error');
const observability = await startObservability(config.metrics).catch((err: unknown) => {
  logger.fatal({ err, listen: config.metrics.listen }, 'cannot serve metrics');
  process.exit(1);
});

const pool = new NodePool({
  timeoutMs: config.internal.timeout,
  retries: config.internal.retries,
  breakerThreshold: config.internal.breakerThreshold,
  halfOpenAfterMs: config.internal.breakerHalfOpenAfter,
  maxMessageBytes: config.limits.messageBytes,
});
const enginePool = new NodePool({
  timeoutMs: config.internal.engineTimeout,
  // The engine router moves on to another engine instead of retrying the same one.
  retries: 0,
  breakerThreshold: config.internal.breakerThreshold,
  halfOpenAfterMs: config.internal.breakerHalfOpenAfter,
  maxMessageBytes: config.limits.messageBytes,
});
const engines = new EngineRouter(new StaticMembership(config.membership.engines), config.membership.vnodes, enginePool);
const router = new ShardRouter(new StaticMembership(config.membership.shards), config.membership.vnodes, pool);
const tenant = config.membership.defaultTenant;
const coalescing = { maxInFlight: config.coalescing.maxInFlight, maxBatch: Math.min(config.coalescing.maxBatch, config.limits.batchItems) };
observability.metrics.observe({
  ringMembers: () => router.members().length,
  ringShares: () => router.ring.shares(),
});
const startedAt = Date.now();

const server: NodeServer = new NodeServer({
  listen: config.node.listen,
  maxInFlight: config.node.maxInFlight,
  fastPath: config.node.fastPath,
  services: [
    {
      name: 'engram.v1.MemoryService',
      definition: rawServiceDefinition(serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.MemoryService')),
      implementation: memoryService({
        router,
        coalesce: {
          remember: new Coalescer(coalescing, rememberMethod(shardMethod('Remember').path, shardMethod('RememberBatch').path)),
          recall: new Coalescer(coalescing, recallMethod(shardMethod('Recall').path, shardMethod('RecallBatch').path)),
        },
        tenantOf: () => tenant,
        maxBatchItems: config.limits.batchItems,
        report,
      }),
    },
    {
      name: 'engram.v1.ThoughtService',
      definition: rawServiceDefinition(serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.ThoughtService')),
      implementation: thoughtService({ engines, tenantOf: () => tenant, report }),
    },
    {
      name: 'engram.v1.AdminService',
      definition: serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.AdminService'),
      implementation: adminService({
        router,
        engines,
        self: { id: config.node.id, address: () => `${config.node.listen.slice(0, config.node.listen.lastIndexOf(':'))}:${server.port}`, startedAt, metricsAddress: observability.metricsAddress, load: () => observability.metrics.load() },
        statusTimeoutMs: config.internal.statusTimeout,
        tenant,
        report,
      }),
    },
  ],
  protoFiles: PUBLIC_PROTO_FILES,
  maxMessageBytes: config.limits.messageBytes,
  logger,
  announce: { metricsAddress: observability.metricsAddress },
});

stopOnSignals(async () => {
  await server.shutdown(config.node.shutdownGrace);
  pool.close();
  enginePool.close();
  await observability.close();
}, logger, { stopWithParent: config.node.stopWithParent });

try {
  await server.start();
  logger.info({ shards: config.membership.shards, engines: config.membership.engines, vnodes: config.membership.vnodes, tenant }, 'routing');
} catch (err) {
  logger.fatal({ err, listen: config.node.listen }, 'cannot listen');
  process.exit(1);
}
