#!/usr/bin/env node
import './telemetry.js';
import { shardGroups } from '@engram/config';
import { MemoryEngine } from '@engram/memory';
import { PUBLIC_PROTO_FILES, SHARD_PROTO_FILES, serviceDefinition } from '@engram/protocol';
import { configureOrExit, NodeServer, startObservability, stopOnSignals } from '@engram/runtime';
import { ManualClock, systemClock } from '@engram/storage';
import { createLogger } from '@engram/telemetry';
import { shardService } from './shard-service.js';

const config = configureOrExit(shardGroups, {
  name: 'engram-memory-shard',
  description: 'An Engram memory shard. Every flag also reads from its ENGRAM_* environment variable.',
});
const logger = createLogger('memory-shard', config.node.id, config.node.logLevel);
const clock = config.testing.clock === 'manual' ? new ManualClock(Date.now()) : systemClock;

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
  services: [
    { name: 'engram.shard.v1.ShardService', definition: serviceDefinition(protoFiles, 'engram.shard.v1.ShardService'), implementation: shardService(engine, logger) },
  ],
  protoFiles,
  maxMessageBytes: config.limits.messageBytes,
  logger,
  announce: { metricsAddress: observability.metricsAddress },
});

stopOnSignals(async () => {
  await server.shutdown(config.node.shutdownGrace);
  await engine.close();
  await observability.close();
}, logger);

try {
  await server.start();
} catch (err) {
  logger.fatal({ err, listen: config.node.listen }, 'cannot listen');
  await engine.close();
  process.exit(1);
}
