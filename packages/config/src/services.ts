import { batchingGroup } from './groups/batching.js';
import { cacheGroup } from './groups/cache.js';
import { coalescingGroup, membershipGroup, resilienceGroup } from './groups/gateway.js';
import { limitsGroup } from './groups/limits.js';
import { localClusterGroup } from './groups/local.js';
import { nodeGroup } from './groups/node.js';
import { processingGroup } from './groups/processing.js';
import { rankingGroup } from './groups/ranking.js';
import { retentionGroup } from './groups/retention.js';
import { storageGroup } from './groups/storage.js';
import { dreamGroup, learningGroup, patternGroup } from './groups/thought.js';
import { alertsGroup, metricsGroup } from './groups/observability.js';
import { oneOf } from './parsers.js';
import { group, setting, type ConfigOf } from './setting.js';

const testingGroup = group({
  title: 'Testing',
  settings: {
    clock: setting(
      'ENGRAM_TEST_CLOCK',
      'system',
      'system, or manual: the shard\'s clock only moves through the internal SetClock call (tests of retention)',
      oneOf(['system', 'manual']),
    ),
  },
});

/** Settings of a memory shard. */
export const shardGroups = {
  node: nodeGroup('127.0.0.1:50061'),
  metrics: metricsGroup('127.0.0.1:9460'),
  storage: storageGroup,
  cache: cacheGroup,
  batching: batchingGroup,
  retention: retentionGroup,
  processing: processingGroup,
  ranking: rankingGroup,
  limits: limitsGroup,
  learning: learningGroup,
  testing: testingGroup,
};
export type ShardConfig = ConfigOf<typeof shardGroups>;

/** Settings of a gateway. */
export const gatewayGroups = {
  node: nodeGroup('127.0.0.1:50051'),
  metrics: metricsGroup('127.0.0.1:9450'),
  membership: membershipGroup,
  internal: resilienceGroup,
  coalescing: coalescingGroup,
  limits: group({ title: 'Limits', settings: { messageBytes: limitsGroup.settings.messageBytes, batchItems: limitsGroup.settings.batchItems } }),
};
export type GatewayConfig = ConfigOf<typeof gatewayGroups>;

/** Settings of a thought engine. */
export const engineGroups = {
  node: nodeGroup('127.0.0.1:50071'),
  metrics: metricsGroup('127.0.0.1:9470'),
  membership: membershipGroup,
  internal: resilienceGroup,
  patterns: patternGroup,
  dream: dreamGroup,
  limits: group({ title: 'Limits', settings: { messageBytes: limitsGroup.settings.messageBytes, subjectBytes: limitsGroup.settings.subjectBytes } }),
};
export type EngineConfig = ConfigOf<typeof engineGroups>;

/** Settings of the local cluster launcher. */
export const localGroups = { local: localClusterGroup };
export type LocalConfig = ConfigOf<typeof localGroups>;

/** Alert thresholds, for generating the Prometheus rules. */
export const alertGroups = { alerts: alertsGroup };
export type AlertConfig = ConfigOf<typeof alertGroups>;

/** Every service's groups, for the configuration reference. */
export const allServices = [
  { name: 'memory-shard', groups: shardGroups },
  { name: 'gateway', groups: gatewayGroups },
  { name: 'thought-engine', groups: engineGroups },
  { name: 'local cluster', groups: localGroups },
  { name: 'alert rules (npm run gen:alerts)', groups: alertGroups },
] as const;
