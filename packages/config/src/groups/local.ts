import { int, text } from '../parsers.js';
import { group, setting } from '../setting.js';

/** `npm start`: a whole cluster as child processes on one machine. */
export const localClusterGroup = group({
  title: 'Local cluster (npm start)',
  settings: {
    host: setting('ENGRAM_LOCAL_HOST', '127.0.0.1', 'Address every local node binds', text()),
    gatewayPort: setting('ENGRAM_LOCAL_GATEWAY_PORT', '50051', 'Gateway port', int(0, 65535)),
    shardBasePort: setting('ENGRAM_LOCAL_SHARD_BASE_PORT', '50061', 'Port of shard-0; shard-i listens on base + i', int(0, 65535)),
    shards: setting('ENGRAM_LOCAL_SHARDS', '3', 'Number of memory shards', int(1, 64)),
    engineBasePort: setting('ENGRAM_LOCAL_ENGINE_BASE_PORT', '50071', 'Port of engine-0; engine-i listens on base + i', int(0, 65535)),
    engines: setting('ENGRAM_LOCAL_ENGINES', '2', 'Number of thought engines', int(1, 16)),
    metricsBasePort: setting(
      'ENGRAM_LOCAL_METRICS_BASE_PORT',
      '9450',
      'Metrics ports: the gateway\'s is base, shard-i\'s base + 10 + i, engine-i\'s base + 20 + i (0 = any free ports)',
      int(0, 65535),
    ),
    dataDir: setting('ENGRAM_LOCAL_DATA_DIR', './data', 'Parent directory of the shards\' stores', text()),
  },
});
