#!/usr/bin/env node
// Write throughput of one shard's engine in-process (no gRPC): Remember with fsync'd group commit, from 1 and
// from 64 concurrent writers, over 50 subjects each. Usage: node bench/engine-writes.mjs [writes=4000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryInput } from '@engram/cognition/testing';
import { loadConfig, shardGroups } from '@engram/config';
import { MemoryEngine } from '@engram/memory';
import { systemClock } from '@engram/storage';
import { silentLogger } from '@engram/telemetry';

const writes = Number(process.argv[2] ?? 4000);
const dir = mkdtempSync(join(tmpdir(), 'engram-engine-bench-'));
const config = loadConfig(shardGroups, { env: { ENGRAM_DATA_DIR: dir, ENGRAM_STORAGE_SYNC: 'true' }, argv: [] });
const engine = await MemoryEngine.open({ config, nodeId: 'bench', clock: systemClock, logger: silentLogger() });
const results = {};
try {
  for (const writers of [1, 64]) {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        while (next < writes) {
          const i = next++;
          await engine.remember('bench', memoryInput({ subject: `s-${w}-${i % 50}`, content: `writer ${w} item ${i} about coffee and tea ${i * 7919}` }));
        }
      }),
    );
    results[`writers_${writers}`] = Math.round(writes / ((performance.now() - started) / 1000));
  }
  console.log(JSON.stringify({ writes, fsync: true, writesPerSecond: results }));
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
