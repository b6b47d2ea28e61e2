import { duration, int, num } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Layer processors in the write path (sensory, emotion, logic) and reinforcement. */
export const processingGroup = group({
  title: 'Processing',
  settings: {
    dedupWindow: setting(
      'ENGRAM_DEDUP_WINDOW',
      '10m',
      'A memory whose content repeats one of the same subject and kind written within this window reinforces it instead of being added (0 = off)',
      duration(0, 365 * 86_400_000),
    ),
    emotionThreshold: setting(
      'ENGRAM_EMOTION_THRESHOLD',
      '0.6',
      'A memory without an explicit layer goes to EMOTION when |valence| or arousal reaches this',
      num(0, 1),
    ),
    maxKeywords: setting('ENGRAM_KEYWORDS_MAX', '8', 'Keywords kept per memory by the logic processor', int(0, 64)),
    accessHistory: setting(
      'ENGRAM_ACCESS_HISTORY',
      '16',
      'Most recent access times kept per memory for ACT-R activation (older ones are approximated)',
      int(1, 256),
    ),
    reinforceFlushInterval: setting(
      'ENGRAM_REINFORCE_FLUSH_INTERVAL',
      '1s',
      'Accesses from reads are collected and written back this often',
      duration(10, 60_000),
    ),
  },
});
