import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, shardGroups } from '@engram/config';
import { startChild, stopChild } from './child.js';
import { MALLOC_ARENAS, SEMI_SPACE_MIB, shardOldSpaceMiB, shardProcess } from './shard-process.js';

const MiB = 2 ** 20;
const shardConfig = (env: Record<string, string> = {}) => loadConfig(shardGroups, { env, argv: [] });

describe('shardProcess', () => {
  it('sizes the old space for the record cache, one query of the most candidates, and the base', () => {
    const config = shardConfig();
    const mib = shardOldSpaceMiB(config);
    expect(mib).toBe(Math.ceil((config.cache.maxBytes + config.limits.queryCandidates * 3 * 1024 + 256 * MiB) / MiB));
    // Defaults: 64 MiB cache, 250,000 candidates: about 1 GiB, below the 2 GiB where V8 grows heaps by up to 4x.
    expect(mib).toBeGreaterThan(1000);
    expect(mib).toBeLessThan(2048);
    expect(shardOldSpaceMiB(shardConfig({ ENGRAM_CACHE_MAX_BYTES: '320mb' }))).toBe(mib + 256);
    expect(shardOldSpaceMiB(shardConfig({ ENGRAM_LIMIT_QUERY_CANDIDATES: '1000' }))).toBeLessThan(mib - 700);
  });

  it('passes the heap limits as node flags and caps the malloc arenas', () => {
    const launch = shardProcess(shardConfig(), {});
    expect(launch.execArgv).toEqual([`--max-old-space-size=${shardOldSpaceMiB(shardConfig())}`, `--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(launch.env).toEqual({ MALLOC_ARENA_MAX: String(MALLOC_ARENAS) });
  });

  it("keeps an operator's own choices", () => {
    const launch = shardProcess(shardConfig(), { MALLOC_ARENA_MAX: '4', NODE_OPTIONS: '--enable-source-maps --max-old-space-size=3000' });
    expect(launch.execArgv).toEqual([`--max-semi-space-size=${SEMI_SPACE_MIB}`]);
    expect(launch.env.MALLOC_ARENA_MAX).toBe('4');
    expect(shardProcess(shardConfig(), { NODE_OPTIONS: '--max-semi-space-size 4' }).execArgv).toHaveLength(1);
  });
});

describe('startChild with a shard launch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-local-launch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the process with the flags in force (V8 reads them at start) and the environment', async () => {
    // A stand-in node that reports what it got in its "listening" line, as a real one reports its addresses.
    const script = join(dir, 'node.mjs');
    writeFileSync(
      script,
      `import v8 from 'node:v8';
console.log(JSON.stringify({ level: 30, msg: 'listening', address: String(v8.getHeapStatistics().heap_size_limit), metricsAddress: JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX, execArgv: process.execArgv }) }));
setInterval(() => {}, 1000);
`,
    );
    const launch = shardProcess(shardConfig(), {});
    const child = await startChild('shard-test', script, { ...launch.env, ENGRAM_NODE_ID: 'shard-test' }, join(dir, 'shard.log'), 20_000, launch.execArgv);
    try {
      const heapLimit = Number(child.address);
      const got = JSON.parse(child.metricsAddress) as { arenas: string; execArgv: string[] };
      expect(got.arenas).toBe(String(MALLOC_ARENAS));
      expect(got.execArgv).toEqual(launch.execArgv);
      // The limit V8 applies: the old space asked for plus the young generation (three semi-spaces' worth).
      const oldSpace = shardOldSpaceMiB(shardConfig()) * MiB;
      expect(heapLimit).toBeGreaterThanOrEqual(oldSpace);
      expect(heapLimit).toBeLessThanOrEqual(oldSpace + 4 * SEMI_SPACE_MIB * MiB);
    } finally {
      await stopChild(child, 5000);
    }
  });
});
