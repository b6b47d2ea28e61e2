import { normaliseSupport, sortPatterns, type Element, type Item, type Sequence, type SequentialPattern } from '@engram/patterns';
import type { MiningConfig } from './config.js';
import { findOccurrence } from './mining.js';
import { toEpisodes, type EpisodeDatabase } from './stream.js';

/** Mining bounds in absolute terms, as the miners take them. */
export interface MiningBounds {
  minSupport: number;
  minLength: number;
  maxLength: number;
  maxGap: number | undefined;
}

/** Mines sequences with the configured strategy (on the worker pool in the engine, in-process in tests). */
export type Miner = (sequences: readonly Sequence[], bounds: MiningBounds) => Promise<SequentialPattern[]>;

/** What the last dream knew: every frequent pattern with its support, under one mining configuration. */
export interface FrequentBase {
  fingerprint: string;
  episodes: number;
  memories: number;
  /** Support by patternNamesKey. */
  frequent: ReadonlyMap<string, number>;
}

export interface StreamMining {
  /** Every frequent pattern of the whole stream, over db's item ids, in the canonical order. */
  patterns: SequentialPattern[];
  /** The same as support by patternNamesKey, for the next dream. */
  frequent: Map<string, number>;
  incremental: boolean;
}

/** Most (new candidates × unchanged episodes) counted before a full mining is cheaper. */
const MAX_COUNTING = 20_000_000;

/** A pattern's identity across databases (item ids differ; names do not). */
export const patternNamesKey = (elements: readonly (readonly string[])[]): string => JSON.stringify(elements);

/** The settings that must not change between two dreams for the second to build on the first. */
export function miningFingerprint(cfg: MiningConfig): string {
  const { strategy, itemSource, minSupport, minLength, maxLength, maxGap, episodeGapMs, layers, occurred } = cfg;
  return JSON.stringify({ strategy, itemSource, minSupport, minLength, maxLength, maxGap: maxGap ?? null, episodeGapMs, layers, occurred });
}

export function boundsOf(cfg: MiningConfig, episodes: number): MiningBounds {
  return { minSupport: episodes === 0 ? 1 : normaliseSupport(cfg.minSupport, episodes), minLength: cfg.minLength, maxLength: cfg.maxLength, maxGap: cfg.maxGap };
}

/** Whether a pattern occurs in an episode: as a subsequence under the gap, or (FP-growth) as a set. */
function occursIn(seq: Sequence, elements: readonly Element[], cfg: MiningConfig): boolean {
  if (cfg.strategy === 'fpgrowth') {
    const wanted = elements[0]!;
    return wanted.every((item) => seq.some((e) => e.includes(item)));
  }
  return findOccurrence(seq, elements, cfg.maxGap) !== undefined;
}

function countIn(episodes: readonly Sequence[], elements: readonly Element[] | undefined, cfg: MiningConfig): number {
  if (!elements) return 0;
  let n = 0;
  for (const seq of episodes) if (occursIn(seq, elements, cfg)) n += 1;
  return n;
}

/** A pattern of names as ids of a database's dictionary; undefined when an item does not occur there. */
function toIds(names: readonly (readonly string[])[], ids: ReadonlyMap<string, Item>): Item[][] | undefined {
  const out: Item[][] = [];
  for (const element of names) {
    const e: Item[] = [];
    for (const name of element) {
      const id = ids.get(name);
      if (id === undefined) return undefined;
      e.push(id);
    }
    out.push(e.sort((a, b) => a - b));
  }
  return out;
}

const namesOf = (p: SequentialPattern, dictionary: readonly string[]) => p.elements.map((e) => e.map((i) => dictionary[i]!));
const signature = (evidence: readonly string[]) => evidence.join('\n');

async function full(db: EpisodeDatabase, cfg: MiningConfig, miner: Miner): Promise<StreamMining> {
  const patterns = await miner(db.sequences, boundsOf(cfg, db.sequences.length));
  const frequent = new Map(patterns.map((p) => [patternNamesKey(namesOf(p, db.dictionary)), p.support] as const));
  return { patterns, frequent, incremental: false };
}

/**
 * The frequent patterns of a subject's stream, mined incrementally when the last dream left a complete base: an
 * update in the manner of FUP (Cheung et al. 1996), exact. With D the episodes the last dream saw, A the episodes
 * that now hold new memories and R the old versions of those episodes (D' = D − R + A):
 *
 *   support_D'(P) = support_D(P) − support_R(P) + support_A(P)
 *
 * A pattern that was not frequent in D had support at most minSupport_D − 1 there, so to be frequent in D' it
 * must reach minSupport_D' − minSupport_D + 1 in A: only A is mined (at that support), and only the candidates it
 * yields that are new are counted over the unchanged episodes. Falls back to mining everything when the base does
 * not apply: other settings, memories deleted or expired since (the old episodes cannot be rebuilt), or so much
 * change that counting would cost more than mining.
 */
export async function mineStream(db: EpisodeDatabase, newIds: ReadonlySet<string>, cfg: MiningConfig, base: FrequentBase | undefined, miner: Miner): Promise<StreamMining> {
  const oldEntries = db.entries.filter((e) => !newIds.has(e.id));
  if (!base || base.fingerprint !== miningFingerprint(cfg) || newIds.size === 0 || oldEntries.length !== base.memories || oldEntries.length + newIds.size !== db.entries.length) {
    return full(db, cfg, miner);
  }
  const old = toEpisodes(oldEntries, cfg.itemSource, cfg.episodeGapMs, db.nowMs);
  if (old.sequences.length !== base.episodes) return full(db, cfg, miner);

  const changed: Sequence[] = [];
  const unchanged: Sequence[] = [];
  const unchangedSignatures = new Set<string>();
  db.sequences.forEach((seq, s) => {
    const evidence = db.evidence[s]!;
    if (evidence.some((id) => newIds.has(id))) changed.push(seq);
    else {
      unchanged.push(seq);
      unchangedSignatures.add(signature(evidence));
    }
  });
  const replaced = old.sequences.filter((_, s) => !unchangedSignatures.has(signature(old.evidence[s]!)));
  if (old.sequences.length - replaced.length !== unchanged.length || changed.length * 2 > db.sequences.length) return full(db, cfg, miner);

  const bounds = boundsOf(cfg, db.sequences.length);
  const oldMinSupport = boundsOf(cfg, old.sequences.length).minSupport;
  const threshold = Math.max(1, bounds.minSupport - oldMinSupport + 1);
  const fromChanged = threshold > changed.length ? [] : await miner(changed, { ...bounds, minSupport: threshold });

  const ids = new Map(db.dictionary.map((n, i) => [n, i] as const));
  const oldIds = new Map(old.dictionary.map((n, i) => [n, i] as const));
  const candidates = new Map<string, string[][]>();
  for (const key of base.frequent.keys()) candidates.set(key, JSON.parse(key) as string[][]);
  const fresh: string[] = [];
  for (const p of fromChanged) {
    const names = namesOf(p, db.dictionary);
    const key = patternNamesKey(names);
    if (!candidates.has(key)) {
      candidates.set(key, names);
      fresh.push(key);
    }
  }
  if (fresh.length * unchanged.length > MAX_COUNTING) return full(db, cfg, miner);

  const patterns: SequentialPattern[] = [];
  const frequent = new Map<string, number>();
  for (const [key, names] of candidates) {
    const elements = toIds(names, ids);
    if (!elements) continue; // an item gone from the stream: the pattern cannot occur
    const inChanged = countIn(changed, elements, cfg);
    const before = base.frequent.get(key);
    const support = before !== undefined ? before - countIn(replaced, toIds(names, oldIds), cfg) + inChanged : countIn(unchanged, elements, cfg) + inChanged;
    if (support < bounds.minSupport) continue;
    patterns.push({ elements, support });
    frequent.set(key, support);
  }
  return { patterns: sortPatterns(patterns), frequent, incremental: true };
}
