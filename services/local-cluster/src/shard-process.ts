import type { ShardConfig } from '@engram/config';

const MiB = 2 ** 20;

/** How a memory shard's process is started: node flags before the script, and environment variables. */
export interface ShardLaunch {
  execArgv: string[];
  env: Record<string, string>;
}

/**
 * Heap bytes a query may hold per candidate (its decoded record, term frequencies and score), for the old
 * space's headroom: one query at ENGRAM_LIMIT_QUERY_CANDIDATES must fit beside the caches.
 */
export const CANDIDATE_HEAP_BYTES = 3 * 1024;
/** The shard's own heap besides its record cache and queries: code, gRPC, telemetry, write batches in flight. */
export const SHARD_HEAP_BASE_BYTES = 256 * MiB;
/**
 * Each semi-space of V8's young generation (the new space is two of them): Node's own default on 64-bit, stated so
 * that the heap limit below is known. 8 MiB took ~16 MiB off the resident memory but promoted more of the write
 * and query paths' short-lived garbage: query CPU rose ~25 % (bench/query.mjs), so it is an operator's choice
 * (NODE_OPTIONS=--max-semi-space-size=8), not the default.
 */
export const SEMI_SPACE_MIB = 16;
/**
 * glibc's malloc gives each thread that allocates its own 64 MiB arena (up to 8 per core): LevelDB's memtables,
 * block cache and compactions allocate on libuv's and LevelDB's threads and free on others, and the arenas keep
 * the freed memory. Two arenas keep the fragmentation bounded.
 */
export const MALLOC_ARENAS = 2;

/**
 * Old-space limit (MiB) for a shard: its record cache, one query of the most candidates a query may hold, and the
 * base. A hard limit (V8 aborts the process beyond it), so it is sized for the worst legitimate case; below
 * V8's 2 GiB threshold it also makes V8 grow the heap by a smaller factor after each full collection (1.3–2x of
 * what survived instead of up to 4x), which is what keeps a busy shard's heap near what it holds.
 */
export function shardOldSpaceMiB(config: Pick<ShardConfig, 'cache' | 'limits'>): number {
  return Math.ceil((config.cache.maxBytes + config.limits.queryCandidates * CANDIDATE_HEAP_BYTES + SHARD_HEAP_BASE_BYTES) / MiB);
}

/**
 * Node flags and environment for a memory shard, derived from its settings. V8's heap limits are read when the
 * isolate is created, so they must be on the command line (or NODE_OPTIONS): v8.setFlagsFromString in the
 * shard's main changes neither. MALLOC_ARENA_MAX is read by glibc at its first allocation, so it must be in the
 * environment the process starts with. Deployments that start shards themselves should pass the same
 * (NODE_OPTIONS="--max-old-space-size=...", MALLOC_ARENA_MAX=2; see k8s/README.md).
 */
export function shardProcess(config: Pick<ShardConfig, 'cache' | 'limits'>, env: NodeJS.ProcessEnv = process.env): ShardLaunch {
  // An operator's own choice wins (flags on the command line would override NODE_OPTIONS).
  const given = (flag: string) => new RegExp(`(^|\\s)--${flag}[=\\s]`).test(env.NODE_OPTIONS ?? '');
  const execArgv: string[] = [];
  if (!given('max-old-space-size')) execArgv.push(`--max-old-space-size=${shardOldSpaceMiB(config)}`);
  if (!given('max-semi-space-size')) execArgv.push(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
  return { execArgv, env: { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? String(MALLOC_ARENAS) } };
}
