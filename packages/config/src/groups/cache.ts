import { duration, int, size } from '../parsers.js';
import { group, setting } from '../setting.js';

export const cacheGroup = group({
  title: 'Cache',
  settings: {
    maxBytes: setting(
      'ENGRAM_CACHE_MAX_BYTES',
      '64mb',
      'In-process LRU of decoded memories in front of LevelDB, by the V8 heap they take, their scoring columns included (0 = off); the posting lists of recently queried terms take up to 1/16 of this on top',
      size(0, 64 * 2 ** 30),
    ),
    heapGrowingPercent: setting(
      'ENGRAM_HEAP_GROWING_PERCENT',
      '0',
      'How far a shard\'s V8 heap may grow past what survived the last full collection before the next one (0 = V8\'s own choice): 20 keeps resident memory near the caches (within caches + 200 MiB at a million memories) at the price of more garbage-collection CPU and pauses (query CPU about 1.5-2x, Recall about 1.3x)',
      int(0, 1000),
    ),
    idleGc: setting(
      'ENGRAM_IDLE_GC',
      '2s',
      'After this long with no call in flight (and calls served since the last time), a shard runs V8\'s memory-reducing garbage collection (the one DevTools runs: compacts the heap and gives back the memory a burst left behind; 0 = never)',
      duration(0, 3_600_000),
    ),
  },
});
