import { duration, int, retention } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Retention per layer: how long a memory stays in a layer before it expires. */
export const retentionGroup = group({
  title: 'Retention',
  settings: {
    sensory: setting('ENGRAM_RETENTION_SENSORY', '24h', 'Lifetime of a SENSORY memory ("never" = forever)', retention()),
    emotion: setting('ENGRAM_RETENTION_EMOTION', '72h', 'Lifetime of an EMOTION memory', retention()),
    logic: setting('ENGRAM_RETENTION_LOGIC', '7d', 'Lifetime of a LOGIC memory', retention()),
    dream: setting('ENGRAM_RETENTION_DREAM', '180d', 'Lifetime of a DREAM memory', retention()),
    eternal: setting('ENGRAM_RETENTION_ETERNAL', 'never', 'Lifetime of an ETERNAL memory', retention()),
    sweepInterval: setting(
      'ENGRAM_RETENTION_SWEEP_INTERVAL',
      '30s',
      'How often expired memories are deleted (expired ones are hidden from reads at once)',
      duration(10, 86_400_000),
    ),
    sweepBatch: setting('ENGRAM_RETENTION_SWEEP_BATCH', '1000', 'Most memories deleted per sweep step', int(1, 1_000_000)),
    tombstoneTtl: setting(
      'ENGRAM_TOMBSTONE_TTL',
      '7d',
      'How long the id of a forgotten memory is remembered, so that a retried write cannot bring it back',
      duration(1000, 3650 * 86_400_000),
    ),
  },
});
