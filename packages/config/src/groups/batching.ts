import { duration, int, size } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Group commit: concurrent writes share one LevelDB batch (the seed's batch processing). */
export const batchingGroup = group({
  title: 'Write batching (group commit)',
  settings: {
    maxWrites: setting('ENGRAM_BATCH_MAX_WRITES', '512', 'Most writes committed in one LevelDB batch', int(1, 100_000)),
    maxBytes: setting('ENGRAM_BATCH_MAX_BYTES', '8mb', 'Most bytes committed in one LevelDB batch (a single larger write still goes alone)', size(1024, 2 ** 30)),
    maxDelay: setting(
      'ENGRAM_BATCH_MAX_DELAY',
      '0ms',
      'How long an idle writer waits for more writes before committing (writes arriving while a batch is being written always wait for the next one)',
      duration(0, 1000),
    ),
    maxPending: setting(
      'ENGRAM_BATCH_MAX_PENDING',
      '20000',
      'Writes that may wait for a batch; beyond this a write is refused with RESOURCE_EXHAUSTED',
      int(1, 10_000_000),
    ),
    maxInFlight: setting(
      'ENGRAM_WRITE_MAX_IN_FLIGHT',
      '2048',
      'Memories a shard writes at once (Remember and RememberBatch items, from arrival to commit); later writes wait in arrival order',
      int(1, 1_000_000),
    ),
    maxQueueWait: setting(
      'ENGRAM_WRITE_MAX_QUEUE_WAIT',
      '1s',
      'Longest a write waits to start on a busy shard before it is refused with RESOURCE_EXHAUSTED (0 = refuse at once)',
      duration(0, 60_000),
    ),
  },
});
