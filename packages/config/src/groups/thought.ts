import { z } from 'zod';
import { duration, int, num, oneOf, size } from '../parsers.js';
import { group, setting } from '../setting.js';

/** Minimum support as text: a share of episodes (0 < x <= 1) or, above 1, a whole number of episodes. */
const support = () =>
  z.string().transform((v, ctx) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || (n > 1 && !Number.isInteger(n))) {
      ctx.addIssue({ code: 'custom', message: 'must be a share of episodes (0 < x <= 1) or a whole number of episodes above 1' });
      return z.NEVER;
    }
    return n <= 1 ? { relative: n } : { absolute: n };
  });

/** Max gap as text: a number of skipped elements, or "unbounded". */
const maxGap = () =>
  z.string().transform((v, ctx) => {
    if (v === 'unbounded') return undefined;
    if (!/^\d+$/.test(v) || Number(v) > 1000) {
      ctx.addIssue({ code: 'custom', message: 'must be a whole number of skipped elements (0-1000) or "unbounded"' });
      return z.NEVER;
    }
    return Number(v);
  });

/** The seed's PatternConfig: defaults of every DetectPatterns request, and the engine's worker pool. */
export const patternGroup = group({
  title: 'Pattern detection (PatternConfig)',
  settings: {
    concurrencyLevel: setting(
      'ENGRAM_PATTERN_CONCURRENCY',
      '2',
      'ConcurrencyLevel: worker threads of the engine\'s pool (also the most tasks one request runs at once)',
      int(1, 64),
    ),
    cpuLimit: setting(
      'ENGRAM_PATTERN_CPU_LIMIT',
      '1',
      'CPULimit: share of the machine\'s cores the pool may use; threads = min(concurrency, max(1, floor(cores x limit)))',
      num(0.01, 1),
    ),
    batchSize: setting('ENGRAM_PATTERN_BATCH_SIZE', '4', 'BatchSize: frequent first items per worker task (the unit of parallel work)', int(1, 100_000)),
    memoryLimit: setting(
      'ENGRAM_PATTERN_MEMORY_LIMIT',
      '256mb',
      'MemoryLimit: heap of each worker thread; a task that outgrows it fails RESOURCE_EXHAUSTED and the worker is replaced',
      size(16 * 1024 * 1024, 64 * 1024 * 1024 * 1024),
    ),
    maxQueue: setting('ENGRAM_PATTERN_MAX_QUEUE', '64', 'Worker tasks that may wait; beyond it requests fail RESOURCE_EXHAUSTED', int(1, 100_000)),
    taskTimeout: setting('ENGRAM_PATTERN_TASK_TIMEOUT', '60s', 'A mining request running longer is cancelled (DEADLINE_EXCEEDED)', duration(100, 3_600_000)),
    minLength: setting('ENGRAM_PATTERN_MIN_LENGTH', '1', 'MinPatternLength: fewest items in a pattern', int(1, 64)),
    maxLength: setting('ENGRAM_PATTERN_MAX_LENGTH', '5', 'MaxPatternLength: most items in a pattern', int(1, 64)),
    strategy: setting(
      'ENGRAM_PATTERN_STRATEGY',
      'prefixspan',
      'IndexingStrategy: prefixspan (sequential, any gap), ngram (contiguous), fpgrowth (co-occurring itemsets)',
      oneOf(['prefixspan', 'ngram', 'fpgrowth']),
    ),
    minSupport: setting('ENGRAM_PATTERN_MIN_SUPPORT', '0.3', 'Minimum support: a share of episodes (<= 1) or a number of episodes (> 1)', support()),
    maxGap: setting('ENGRAM_PATTERN_MAX_GAP', '2', 'Elements skipped between consecutive pattern elements (0 = contiguous, or "unbounded")', maxGap()),
    episodeGap: setting(
      'ENGRAM_PATTERN_EPISODE_GAP',
      '30m',
      'A pause longer than this between two memories of a subject starts a new episode',
      duration(1, 365 * 86_400_000),
    ),
    itemSource: setting('ENGRAM_PATTERN_ITEMS', 'kind', 'What makes the items of a memory: kind, tags or terms', oneOf(['kind', 'tags', 'terms'])),
    maxPatterns: setting('ENGRAM_PATTERN_MAX_PATTERNS', '500', 'Most patterns returned and stored per request (highest support first)', int(1, 100_000)),
    maxMemories: setting(
      'ENGRAM_PATTERN_MAX_MEMORIES',
      '200000',
      'Most memories one mining request reads; a larger stream fails RESOURCE_EXHAUSTED (narrow it by time range or layers)',
      int(1, 10_000_000),
    ),
  },
});

/** Consolidation ("dreaming"): the schedule and its budget, promotion and insights. */
export const dreamGroup = group({
  title: 'Dreaming',
  settings: {
    interval: setting('ENGRAM_DREAM_INTERVAL', '10m', 'How often the scheduler looks for subjects with new memories (0 = never)', duration(0, 30 * 86_400_000)),
    cpuBudget: setting(
      'ENGRAM_DREAM_CPU_BUDGET',
      '0.25',
      'Share of wall time scheduled dreams may use: after a dream of t ms the scheduler rests t x (1/budget - 1) ms',
      num(0.01, 1),
    ),
    minNew: setting('ENGRAM_DREAM_MIN_NEW', '10', 'New memories a subject needs before a scheduled dream replays it', int(1, 10_000_000)),
    promoteThreshold: setting(
      'ENGRAM_DREAM_PROMOTE_THRESHOLD',
      '1.5',
      'Promotion score (activation + importance + ln feedback weight) at which a memory moves to ETERNAL',
      num(-100, 100),
    ),
    maxInsights: setting('ENGRAM_DREAM_MAX_INSIGHTS', '5', 'Most insight memories a dream writes per subject', int(0, 1000)),
    evidence: setting('ENGRAM_DREAM_EVIDENCE', '20', 'Most evidence ids kept per pattern and per insight', int(1, 1000)),
  },
});

/** Feedback learning, applied where the weights live (the subject's shard). */
export const learningGroup = group({
  title: 'Learning',
  settings: {
    learningRate: setting(
      'ENGRAM_LEARNING_RATE',
      '0.5',
      'Base step of feedback updates; AdaGrad divides it by the root of the accumulated squared rewards',
      num(0.0001, 10),
    ),
  },
});
