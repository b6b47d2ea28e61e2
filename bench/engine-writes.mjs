#!/usr/bin/env node
// Write cost of one shard's engine in-process (no gRPC), fsync'd group commit: Remember from 1 and from 64
// concurrent writers, and RememberBatch of 100 from 16 concurrent callers, over 100 subjects. For each: the rate,
// the process CPU (user + system, every thread: LevelDB's writes and compactions too) per memory, the main
// (JS) thread's part of it (Linux) and the GC pause time per memory, measured after a warm-up.
// Contents are ~100 bytes and all distinct (no deduplication), like bench/compare's loads.
//
// Usage: node bench/engine-writes.mjs [memories=4000] [--only single-1|single-64|batch-100] [--runs N]
// Profile one load: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/engine-writes.mjs 20000 --only single-64
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { memoryInput } from '@engram/cognition/testing';
import { loadConfig, shardGroups } from '@engram/config';
import { MemoryEngine } from '@engram/memory';
import { systemClock } from '@engram/storage';
import { silentLogger } from '@engram/telemetry';

const { values: flags, positionals } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string', default: '1' } }, allowPositionals: true });
const memories = Number(positionals[0] ?? 4000);
const runs = Number(flags.runs);
const SUBJECTS = 100;
const BATCH = 100;
const BATCH_CALLERS = 16;
const FILLER = 'met the budget team over coffee to plan the garden project before the family trip to the river next week and ';

let serial = 0;
/** A distinct ~100-byte content, as bench/compare sends. */
function content(tag) {
  const prefix = `${tag} ${serial++}`;
  return `${prefix} ${FILLER.slice(0, 99 - prefix.length)}`.trimEnd();
}

/** CPU µs of the main (JS) thread so far, from /proc (Linux); undefined elsewhere. */
function mainThreadCpuUs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

/** Remember, one memory per call, from `writers` concurrent callers. */
async function single(engine, writers, n) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (next < n) {
        next += 1;
        await engine.remember('bench', memoryInput({ subject: `bench-${(w * 7 + next) % SUBJECTS}`, content: content(`w${w}`) }));
      }
    }),
  );
}

/** RememberBatch of BATCH memories from BATCH_CALLERS concurrent callers. */
async function batch(engine, n) {
  let next = 0;
  const onBug = (err) => {
    throw err;
  };
  await Promise.all(
    Array.from({ length: BATCH_CALLERS }, async (_, w) => {
      while (next < n) {
        next += BATCH;
        const inputs = Array.from({ length: BATCH }, (_, i) => memoryInput({ subject: `batch-${(w + i) % SUBJECTS}`, content: content(`b${w} i${i}`) }));
        const res = await engine.rememberBatch('bench', inputs, onBug);
        if (res.failed > 0) throw new Error(`${res.failed} items failed`);
      }
    }),
  );
}

const loads = {
  'single-1': (engine, n) => single(engine, 1, n),
  'single-64': (engine, n) => single(engine, 64, n),
  'batch-100': batch,
};

/** Runs a load and measures it; `n` is rounded up to whole batches by the batch load. */
async function measure(engine, load, n) {
  const cpu = process.cpuUsage();
  const mainBefore = mainThreadCpuUs();
  const gcBefore = gcMs;
  const started = performance.now();
  await loads[load](engine, n);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const mainAfter = mainThreadCpuUs();
  return {
    perSecond: Math.round(n / seconds),
    cpuUsPerMemory: Math.round((used.user + used.system) / n),
    mainThreadCpuUsPerMemory: mainAfter === undefined ? undefined : Math.round((mainAfter - mainBefore) / n),
    gcUsPerMemory: Math.round(((gcMs - gcBefore) * 1000) / n),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'engram-engine-bench-'));
const config = loadConfig(shardGroups, { env: { ENGRAM_DATA_DIR: dir, ENGRAM_STORAGE_SYNC: 'true' }, argv: [] });
const engine = await MemoryEngine.open({ config, nodeId: 'bench', clock: systemClock, logger: silentLogger() });
const results = {};
try {
  const selected = flags.only ? [flags.only] : Object.keys(loads);
  for (const load of selected) {
    if (!loads[load]) throw new Error(`unknown load ${load}`);
    await measure(engine, load, Math.min(memories, 2000)); // warm-up: JIT, caches
    results[load] = [];
    for (let r = 0; r < runs; r++) results[load].push(await measure(engine, load, memories));
  }
  console.log(JSON.stringify({ memories, fsync: true, results }));
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
