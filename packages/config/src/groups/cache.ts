import { size } from '../parsers.js';
import { group, setting } from '../setting.js';

export const cacheGroup = group({
  title: 'Cache',
  settings: {
    maxBytes: setting(
      'ENGRAM_CACHE_MAX_BYTES',
      '64mb',
      'In-process LRU of decoded memories in front of LevelDB, by the V8 heap they take (0 = off)',
      size(0, 64 * 2 ** 30),
    ),
  },
});
