#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, localGroups, shardGroups } from '@engram/config';
import { configureOrExit } from '@engram/runtime';
import { startChild, stopChild, type Child } from './child.js';
import { shardProcess, type ShardLaunch } from './shard-process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SHARD = join(ROOT, 'services/memory-shard/dist/main.js');
const GATEWAY = join(ROOT, 'services/gateway/dist/main.js');
const ENGINE = join(ROOT, 'services/thought-engine/dist/main.js');
const STOP_GRACE_MS = 20_000;

const { local } = configureOrExit(localGroups, {
  name: 'engram-local',
  description: 'Runs a local Engram cluster: one gateway, N memory shards and M thought engines on this machine.',
});
const dataDir = resolve(local.dataDir);
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });

const children: Child[] = [];
const metricsListen = (offset: number) => `${local.host}:${local.metricsBasePort === 0 ? 0 : local.metricsBasePort + offset}`;
let stopping = false;

/** Gateway first (its in-flight calls finish), then the engines, then the shards (batches flushed, stores closed). */
async function stopAll(code: number): Promise<never> {
  stopping = true;
  for (const role of ['gateway', 'engine', 'shard']) {
    await Promise.all(children.filter((c) => c.id.startsWith(role)).map((c) => stopChild(c, STOP_GRACE_MS)));
  }
  process.stdout.write('Engram local cluster stopped.\n');
  process.exit(code);
}

process.on('SIGINT', () => void (stopping ? process.exit(1) : stopAll(0)));
process.on('SIGTERM', () => void (stopping ? process.exit(1) : stopAll(0)));

/**
 * A shard's node flags and environment (heap limits, malloc arenas) from the settings it will read. With invalid
 * settings it starts without them and reports the problem itself.
 */
function shardLaunch(env: Record<string, string>): ShardLaunch {
  try {
    const launch = shardProcess(loadConfig(shardGroups, { env: { ...process.env, ...env } }));
    return { execArgv: launch.execArgv, env: { ...launch.env, ...env } };
  } catch (err) {
    if (err instanceof ConfigError) return { execArgv: [], env };
    throw err;
  }
}

try {
  const shards = await Promise.all(
    Array.from({ length: local.shards }, (_, i) => {
      const launch = shardLaunch({
        ENGRAM_NODE_ID: `shard-${i}`,
        ENGRAM_LISTEN: `${local.host}:${local.shardBasePort === 0 ? 0 : local.shardBasePort + i}`,
        ENGRAM_DATA_DIR: join(dataDir, `shard-${i}`),
        ENGRAM_METRICS_LISTEN: metricsListen(10 + i),
      });
      return startChild(`shard-${i}`, SHARD, launch.env, join(logDir, `shard-${i}.log`), undefined, launch.execArgv).then((c) => (children.push(c), c));
    }),
  );
  const shardList = shards.map((s) => `${s.id}=${s.address}`).join(',');
  // With fixed ports every engine knows the others (scheduled dreams are split by the engine ring); with
  // ephemeral ones each engine dreams every subject.
  const fixedEngines =
    local.engineBasePort === 0 ? '' : Array.from({ length: local.engines }, (_, i) => `engine-${i}=${local.host}:${local.engineBasePort + i}`).join(',');
  const engines = await Promise.all(
    Array.from({ length: local.engines }, (_, i) =>
      startChild(
        `engine-${i}`,
        ENGINE,
        {
          ENGRAM_NODE_ID: `engine-${i}`,
          ENGRAM_LISTEN: `${local.host}:${local.engineBasePort === 0 ? 0 : local.engineBasePort + i}`,
          ENGRAM_SHARDS: shardList,
          ENGRAM_ENGINES: fixedEngines,
          ENGRAM_METRICS_LISTEN: metricsListen(20 + i),
        },
        join(logDir, `engine-${i}.log`),
      ).then((c) => (children.push(c), c)),
    ),
  );
  const gateway = await startChild(
    'gateway-0',
    GATEWAY,
    {
      ENGRAM_NODE_ID: 'gateway-0',
      ENGRAM_LISTEN: `${local.host}:${local.gatewayPort}`,
      ENGRAM_SHARDS: shardList,
      ENGRAM_ENGINES: engines.map((e) => `${e.id}=${e.address}`).join(','),
      ENGRAM_METRICS_LISTEN: metricsListen(0),
    },
    join(logDir, 'gateway-0.log'),
  );
  children.push(gateway);
  for (const c of children) {
    void c.exited.then((code) => {
      if (!stopping) process.stderr.write(`${c.id} exited unexpectedly (${code}); see ${join(logDir, `${c.id}.log`)}\n`);
    });
  }
  const lines = [
    'Engram local cluster is up.',
    `  gateway   ${gateway.address}   engram.v1.MemoryService, engram.v1.ThoughtService, engram.v1.AdminService, health, reflection`,
    ...shards.map((s) => `  ${s.id.padEnd(9)} ${s.address}   store ${join(dataDir, s.id)}`),
    ...engines.map((e) => `  ${e.id.padEnd(9)} ${e.address}   thought engine`),
    '',
    'Metrics (Prometheus):',
    ...[gateway, ...shards, ...engines].map((c) => `  ${c.id.padEnd(9)} http://${c.metricsAddress}/metrics`),
    `  logs      ${logDir}`,
    '',
    `Try: npx engram --address ${gateway.address} status`,
    'Ctrl-C stops the cluster.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
} catch (err) {
  process.stderr.write(`cannot start the local cluster: ${(err as Error).message}\n`);
  await stopAll(1);
}
