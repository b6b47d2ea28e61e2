import { duration, int, members, nonEmpty } from '../parsers.js';
import { group, setting } from '../setting.js';

export const membershipGroup = group({
  title: 'Membership and routing',
  settings: {
    shards: setting(
      'ENGRAM_SHARDS',
      'shard-0=127.0.0.1:50061,shard-1=127.0.0.1:50062,shard-2=127.0.0.1:50063',
      'Static membership: the memory shards as id=host:port, comma-separated; ids place nodes on the ring',
      members(),
    ),
    engines: setting(
      'ENGRAM_ENGINES',
      'engine-0=127.0.0.1:50071,engine-1=127.0.0.1:50072',
      'Static membership: the thought engines as id=host:port, comma-separated (a subject\'s engine is chosen by consistent hash); empty: ThoughtService answers UNAVAILABLE',
      members({ allowEmpty: true }),
    ),
    vnodes: setting('ENGRAM_RING_VNODES', '64', 'Virtual nodes per shard on the hash ring (each gives 4 ketama points)', int(1, 4096)),
    defaultTenant: setting(
      'ENGRAM_DEFAULT_TENANT',
      'default',
      'Tenant of every call until authentication is configured',
      nonEmpty().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -'),
    ),
  },
});

/** Resilience of the internal hop (gateway → shard). */
export const resilienceGroup = group({
  title: 'Internal calls',
  settings: {
    timeout: setting(
      'ENGRAM_INTERNAL_TIMEOUT',
      '5s',
      'Deadline of an internal call when the client set none or a later one',
      duration(10, 600_000),
    ),
    engineTimeout: setting(
      'ENGRAM_ENGINE_TIMEOUT',
      '120s',
      'Deadline of a call to a thought engine when the client set none or a later one (mining takes longer than storage)',
      duration(10, 3_600_000),
    ),
    statusTimeout: setting('ENGRAM_STATUS_TIMEOUT', '1s', 'Deadline of each node\'s answer to ClusterStatus', duration(10, 60_000)),
    retries: setting(
      'ENGRAM_INTERNAL_RETRIES',
      '2',
      'Extra attempts of an idempotent internal call that failed UNAVAILABLE, within its deadline',
      int(0, 10),
    ),
    breakerThreshold: setting(
      'ENGRAM_BREAKER_THRESHOLD',
      '5',
      'Consecutive failures that open a shard\'s circuit (calls then fail fast with UNAVAILABLE)',
      int(1, 1000),
    ),
    breakerHalfOpenAfter: setting(
      'ENGRAM_BREAKER_HALF_OPEN_AFTER',
      '1s',
      'How long an open circuit waits before letting a probe call through',
      duration(10, 600_000),
    ),
  },
});

/** Coalescing of concurrent requests bound for one shard (the gateway's group commit). */
export const coalescingGroup = group({
  title: 'Coalescing',
  settings: {
    maxInFlight: setting(
      'ENGRAM_COALESCE_MAX_IN_FLIGHT',
      '4',
      'Internal Remember (Recall) calls in flight to one shard. The requests that arrive in one event-loop turn go together as one internal RememberBatch (RecallBatch); while this many are out, further ones wait and go together when one comes back. 0 = never coalesce',
      int(0, 1024),
    ),
    maxBatch: setting('ENGRAM_COALESCE_MAX_BATCH', '128', 'Most calls coalesced into one internal batch', int(1, 1000)),
  },
});
