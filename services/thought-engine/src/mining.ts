import { createHash } from 'node:crypto';
import {
  encodeDatabase,
  frequentItemList,
  frequentItems,
  normaliseSupport,
  patternKey,
  sortPatterns,
  type Element,
  type Item,
  type Sequence,
  type SequentialPattern,
} from '@engram/patterns';
import { EngramError, resourceExhausted, statusName, toTimestamp, type ItemSource, type Pattern } from '@engram/protocol';
import { nodeMetrics } from '@engram/telemetry';
import { strategyName, type MiningConfig, type Strategy } from './config.js';
import type { MiningPool } from './pool.js';
import type { EpisodeDatabase } from './stream.js';
import type { MiningTask } from './tasks.js';

export interface MiningOutcome {
  patterns: Pattern[];
  stats: {
    memories: number;
    episodes: number;
    distinctItems: number;
    frequentItems: number;
    tasks: number;
    threads: number;
    miningMs: number;
    queueMs: number;
    patternsFound: number;
  };
  /** Support by pattern id, of every pattern returned. */
  supports: Map<string, number>;
}

/** Rough bytes a task needs per token of the database (projections, counters): admission, not a hard limit. */
const BYTES_PER_TOKEN = 48;

/** Refuses, before it runs, a mining whose database alone would outgrow the request's memory limit. */
export function admit(sequences: readonly Sequence[], cfg: Pick<MiningConfig, 'memoryLimitBytes'>): void {
  const tokens = sequences.reduce((n, s) => n + s.reduce((m, e) => m + e.length, 0), 0);
  if (tokens * BYTES_PER_TOKEN > cfg.memoryLimitBytes) {
    throw resourceExhausted(`mining ${tokens} items needs more than the memory limit of ${cfg.memoryLimitBytes} bytes; narrow the stream or raise config.memory_limit`);
  }
}

/** A stable id of a pattern: the same strategy, item source and elements give the same id on any engine. */
export function patternId(strategy: string, source: string, elements: readonly (readonly string[])[]): string {
  const text = `${strategy}\x00${source}\x00${elements.map((e) => e.join('\x01')).join('\x02')}`;
  return `p_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}

/** Element indices of the leftmost occurrence of pattern in seq under maxGap, or undefined. */
export function findOccurrence(seq: Sequence, pattern: readonly Element[], maxGap: number | undefined): number[] | undefined {
  const at: number[] = [];
  const contains = (element: Element, wanted: Element) => {
    let i = 0;
    for (const item of element) {
      if (item === wanted[i]) i += 1;
      if (i === wanted.length) return true;
    }
    return wanted.length === 0;
  };
  const match = (j: number, from: number): boolean => {
    if (j === pattern.length) return true;
    const last = j === 0 || maxGap === undefined ? seq.length - 1 : Math.min(seq.length - 1, from + maxGap);
    for (let i = from; i <= last; i++) {
      if (!contains(seq[i]!, pattern[j]!)) continue;
      at.push(i);
      if (match(j + 1, i + 1)) return true;
      at.pop();
    }
    return false;
  };
  return match(0, 0) ? at : undefined;
}

/** The pattern without its last item (the antecedent of "…then the last item"). */
function withoutLastItem(elements: readonly Element[]): Item[][] {
  const out = elements.map((e) => [...e]);
  const last = out[out.length - 1]!;
  if (last.length > 1) last.pop();
  else out.pop();
  return out;
}

/** Runs tasks with at most `parallelism` in the pool at once; the first failure aborts the rest. */
async function runAll(pool: MiningPool, tasks: MiningTask[], parallelism: number, signal: AbortSignal) {
  const results: { patterns: SequentialPattern[]; runMs: number; queueMs: number }[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      if (signal.aborted) return;
      const i = next++;
      results[i] = await pool.run(tasks[i]!, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, tasks.length) }, lane));
  return results;
}

export interface PartitionedRun {
  /** Every pattern found, in the canonical order (sortPatterns); FP-growth itemsets as one-element patterns. */
  patterns: SequentialPattern[];
  frequentItems: number;
  tasks: number;
  miningMs: number;
  queueMs: number;
}

/**
 * Mines a database on the pool, split by frequent first item (or, for FP-growth, by the F-list item whose
 * conditional tree yields an itemset) into tasks of batchSize items, parallelism tasks at a time. The split does
 * not change the result.
 */
export async function minePartitioned(
  sequences: readonly Sequence[],
  strategy: Strategy,
  mining: { minSupport: number; minLength: number; maxLength: number; maxGap: number | undefined },
  pool: MiningPool,
  o: { batchSize: number; parallelism: number; signal: AbortSignal },
): Promise<PartitionedRun> {
  let firstItems: Item[];
  let transactions: Item[][] = [];
  const empty = sequences.length === 0;
  if (strategy === 'fpgrowth') {
    transactions = sequences.map((s) => [...new Set(s.flat())].sort((a, b) => a - b));
    firstItems = empty ? [] : frequentItemList(transactions, mining.minSupport);
  } else {
    firstItems = empty ? [] : frequentItems(sequences, mining.minSupport).map((f) => f.item);
  }
  const encoded = strategy === 'prefixspan' && firstItems.length > 0 ? encodeDatabase(sequences, { shared: true }) : undefined;
  const tasks: MiningTask[] = [];
  for (let i = 0; i < firstItems.length; i += o.batchSize) {
    const partition = firstItems.slice(i, i + o.batchSize);
    if (strategy === 'prefixspan') tasks.push({ kind: 'prefixspan', encoded: encoded!, options: mining, partition });
    else if (strategy === 'ngram') tasks.push({ kind: 'ngram', sequences: sequences as Sequence[], options: mining, partition });
    else tasks.push({ kind: 'fpgrowth', transactions, options: { minSupport: mining.minSupport, minLength: mining.minLength, maxLength: mining.maxLength }, partition });
  }
  const started = performance.now();
  let results: Awaited<ReturnType<typeof runAll>>;
  try {
    results = await runAll(pool, tasks, o.parallelism, o.signal);
  } catch (err) {
    nodeMetrics().mining(strategy, (performance.now() - started) / 1000, err instanceof EngramError ? statusName(err.code) : 'UNKNOWN');
    throw err;
  }
  nodeMetrics().mining(strategy, (performance.now() - started) / 1000, 'OK');
  return {
    patterns: sortPatterns(results.flatMap((r) => r.patterns)),
    frequentItems: firstItems.length,
    tasks: tasks.length,
    miningMs: performance.now() - started,
    queueMs: results.reduce((n, r) => n + r.queueMs, 0),
  };
}

/**
 * Mines an episode database on the pool: the frequent first items are split into tasks of BatchSize items (their
 * projected databases are independent), run ConcurrencyLevel at a time, and merged. The result does not depend on
 * the split: the same patterns in the same order for any ConcurrencyLevel and BatchSize.
 */
export async function mine(
  db: EpisodeDatabase,
  cfg: MiningConfig,
  pool: MiningPool,
  options: { evidence: number; nowMs: number; signal: AbortSignal },
): Promise<MiningOutcome> {
  const episodes = db.sequences.length;
  const minSupport = episodes === 0 ? 1 : normaliseSupport(cfg.minSupport, episodes);
  const mining = { minSupport, minLength: cfg.minLength, maxLength: cfg.maxLength, maxGap: cfg.maxGap };
  admit(db.sequences, cfg);

  const run = await minePartitioned(db.sequences, cfg.strategy, mining, pool, { batchSize: cfg.batchSize, parallelism: cfg.parallelism, signal: options.signal });
  const found = run.patterns;

  const { patterns, supports } = describePatterns(db, cfg, found, options);
  return {
    patterns,
    supports,
    stats: {
      memories: db.memories,
      episodes,
      distinctItems: db.dictionary.length,
      frequentItems: run.frequentItems,
      tasks: run.tasks,
      threads: Math.min(cfg.parallelism, run.tasks),
      miningMs: run.miningMs,
      queueMs: run.queueMs,
      patternsFound: found.length,
    },
  };
}

/**
 * Pattern messages for the strongest of the patterns found (support descending, then the canonical order, at most
 * max_patterns): names, stable ids, share, confidence and evidence.
 */
export function describePatterns(
  db: EpisodeDatabase,
  cfg: MiningConfig,
  found: readonly SequentialPattern[],
  options: { evidence: number; nowMs: number },
): { patterns: Pattern[]; supports: Map<string, number> } {
  const episodes = db.sequences.length;
  // The strongest patterns: support descending, then the canonical order (deterministic).
  const ranked = found
    .map((p, order) => ({ p, order }))
    .sort((a, b) => b.p.support - a.p.support || a.order - b.order)
    .slice(0, cfg.maxPatterns)
    .map((x) => x.p);

  const supportByKey = new Map(found.map((p) => [patternKey(p), p.support] as const));
  const strategy = strategyName(cfg.strategy);
  const supports = new Map<string, number>();
  const patterns = ranked.map((p) => {
    const names = p.elements.map((e) => e.map((item) => db.dictionary[item]!));
    const id = patternId(String(strategy), String(cfg.itemSource), names);
    supports.set(id, p.support);
    return {
      id,
      elements: names.map((items) => ({ items })),
      support: p.support,
      relativeSupport: episodes === 0 ? 0 : p.support / episodes,
      confidence: confidenceOf(p, cfg, db, supportByKey),
      strategy,
      itemSource: cfg.itemSource as ItemSource,
      weight: 1,
      evidenceIds: evidenceOf(p, cfg, db, options.evidence),
      detectedAt: toTimestamp(options.nowMs),
      ...(cfg.maxGap === undefined || cfg.strategy === 'fpgrowth' ? {} : { maxGap: cfg.maxGap }),
    } satisfies Pattern;
  });

  return { patterns, supports };
}

/** support / support(antecedent) for sequential patterns; 1 for single items and itemsets. */
function confidenceOf(p: SequentialPattern, cfg: MiningConfig, db: EpisodeDatabase, supports: Map<string, number>): number {
  const length = p.elements.reduce((n, e) => n + e.length, 0);
  if (cfg.strategy === 'fpgrowth' || length < 2) return 1;
  const antecedent = withoutLastItem(p.elements);
  let support = supports.get(patternKey({ elements: antecedent }));
  if (support === undefined) {
    // Shorter than min_pattern_length, so not mined: count it directly.
    support = 0;
    for (const seq of db.sequences) if (findOccurrence(seq, antecedent, cfg.maxGap)) support += 1;
  }
  return support === 0 ? 0 : p.support / support;
}

/** Memory ids of one occurrence in each of the most recent supporting episodes, at most `limit` ids. */
function evidenceOf(p: SequentialPattern, cfg: MiningConfig, db: EpisodeDatabase, limit: number): string[] {
  const ids: string[] = [];
  for (let s = db.sequences.length - 1; s >= 0 && ids.length < limit; s--) {
    const seq = db.sequences[s]!;
    let at: number[] | undefined;
    if (cfg.strategy === 'fpgrowth') {
      const wanted = p.elements[0]!;
      const found = wanted.map((item) => seq.findIndex((e) => e.includes(item)));
      at = found.every((i) => i >= 0) ? [...new Set(found)].sort((a, b) => a - b) : undefined;
    } else {
      at = findOccurrence(seq, p.elements, cfg.maxGap);
    }
    if (!at) continue;
    for (const i of at) {
      if (ids.length >= limit) break;
      ids.push(db.evidence[s]![i]!);
    }
  }
  return ids;
}
