#!/usr/bin/env node
// Subject Query latency of one shard's engine in-process (no gRPC): one subject of 10,000 memories, a two-term
// text cue (`topic<k> budget`) that about 28 % of them match, default page size. Measures one query at a time and
// 8 in flight (p50/p99 latency; CPU ms per query, the process's CPU over the run, all threads), and prints a digest
// of the first two pages of every cue so that runs before and after a change can be checked for identical results.
// The clock is manual and the queries skip reinforcement, so every run ranks the same data the same way.
// --reinforce: the measured queries reinforce their results as the service's do (written back every second, the
// service's default), the clock moving 1 ms per query; the digest is taken before, without reinforcement.
// --recalls <n>: before measuring, n Recalls of uniformly random memories (reinforced, written back), as the
// comparison's Recall load leaves the subject before its Query load: most memories then have accesses, and records
// rewritten since their import. The digest then differs from a run without (other data), not between code versions.
// Usage: node bench/query.mjs [--memories 10000] [--queries 200] [--concurrency 8] [--max-seconds 120] [--reinforce]
//        [--recalls 0]
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryInput, queryRequest } from '@engram/cognition/testing';
import { loadConfig, shardGroups } from '@engram/config';
import { MemoryEngine } from '@engram/memory';
import { toTimestamp } from '@engram/protocol';
import { ManualClock } from '@engram/storage';
import { silentLogger } from '@engram/telemetry';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MEMORIES = arg('memories', 10_000);
const QUERIES = arg('queries', 200);
const CONCURRENCY = arg('concurrency', 8);
const MAX_SECONDS = arg('max-seconds', 120);
const REINFORCE = process.argv.includes('--reinforce');
const RECALLS = arg('recalls', 0);
const TOPICS = 50;
const BATCH = 500;
const TENANT = 'bench';
const SUBJECT = 'growth-q';
const DAY = 86_400_000;

// The memory text of bench/compare's cost-growth Query: a topic token and words of a vocabulary picked by i, about
// 100 bytes. About 28 % of the memories hold `topic<k>` or `budget`.
const WORDS =
  'coffee meeting garden river budget invoice travel doctor music family project deadline weather dinner book market school office train email report lunch design review launch holiday plant kitchen phone server window bicycle ticket museum concert letter camera payment contract'.split(' ');
function wordsOf(i) {
  const picks = [`topic${i % TOPICS}`];
  for (let j = 0; picks.join(' ').length < 100 - 24; j++) picks.push(WORDS[(i * 7 + j * (5 + (i % 3) * 6)) % WORDS.length]);
  return picks;
}
// The text of memory i depends on i % 100 only.
const matchesCue = (pattern, k) => wordsOf(pattern).some((w) => w === `topic${k}` || w === 'budget');
/** Memories that hold a term of the cue `topic<k> budget`. */
function candidatesOf(k) {
  let n = 0;
  for (let p = 0; p < Math.min(100, MEMORIES); p++) if (matchesCue(p, k)) n += Math.ceil((MEMORIES - p) / 100);
  return n;
}

const deadline = Date.now() + MAX_SECONDS * 1000;
const inTime = () => Date.now() < deadline;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const cue = (n, reinforce = false) => queryRequest({ subject: SUBJECT, text: `topic${n % TOPICS} budget`, skipReinforce: !reinforce });

const dir = mkdtempSync(join(tmpdir(), 'engram-query-bench-'));
const config = loadConfig(shardGroups, {
  env: { ENGRAM_DATA_DIR: dir, ENGRAM_STORAGE_SYNC: 'false', ENGRAM_REINFORCE_FLUSH_INTERVAL: REINFORCE ? '1s' : '20ms' },
  argv: [],
});
const start = Date.UTC(2026, 0, 1);
const clock = new ManualClock(start);
const engine = await MemoryEngine.open({ config, nodeId: 'bench', clock, logger: silentLogger() });

/** Loads the subject: occurred times spread over 60 days, ingested a second apart per batch. */
async function load() {
  for (let from = 0; from < MEMORIES && inTime(); from += BATCH) {
    const inputs = [];
    for (let i = from; i < Math.min(MEMORIES, from + BATCH); i++) {
      inputs.push(
        memoryInput({
          id: `q${i}`,
          subject: SUBJECT,
          content: `note ${i} ${wordsOf(i % 100).join(' ')} ${(i * 7919) % 10007}`,
          occurredAt: toTimestamp(start - ((i * 104_729) % (60 * DAY))),
        }),
      );
    }
    const res = await engine.rememberBatch(TENANT, inputs, (err) => {
      throw err;
    });
    if (res.failed > 0) throw new Error(`load: ${res.failed} items failed: ${JSON.stringify(res.results.find((r) => r.error))}`);
    clock.advance(1000);
  }
}

/** Accesses for a tenth of the memories (one to three each), written back, so that activation varies. */
async function touch() {
  for (let i = 0; i < MEMORIES; i += 10) {
    for (let n = 0; n <= i % 3; n++) {
      clock.advance(100);
      await engine.recall(TENANT, SUBJECT, `q${i}`, true);
    }
  }
  // Uniform random picks (a fixed LCG, so that every run recalls the same memories at the same times).
  let seed = 12345;
  for (let n = 0; n < RECALLS; n++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    if (n % 3 === 0) clock.advance(1);
    await engine.recall(TENANT, SUBJECT, `q${seed % MEMORIES}`, true);
    if (n % 5000 === 4999) await sleep(REINFORCE ? 1100 : 50);
  }
  clock.advance(60_000);
  await sleep(REINFORCE ? 1200 : 200); // the accesses written back
}

/**
 * Digests of the first two pages of every cue, to compare runs: of the ids and scores, and of the ids alone (the
 * order: a change in how a score is computed that moves it by rounding leaves this one as it was).
 */
async function digest() {
  const h = createHash('sha256');
  const order = createHash('sha256');
  for (let k = 0; k < TOPICS; k++) {
    let pageToken = '';
    for (let page = 0; page < 2; page++) {
      const res = await engine.query(TENANT, { ...cue(k), pageToken });
      for (const r of res.results) {
        h.update(`${r.memory.id}:${r.score}:${JSON.stringify(r.components)};`);
        order.update(`${r.memory.id};`);
      }
      pageToken = res.nextPageToken;
      if (pageToken === '') break;
    }
    h.update('|');
    order.update('|');
  }
  return `${h.digest('hex').slice(0, 16)} (order ${order.digest('hex').slice(0, 16)})`;
}

/** Runs up to `total` queries with `concurrency` in flight; latency of each and CPU of the whole run. */
async function measure(total, concurrency, reinforce = false) {
  const latencies = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total && inTime()) {
        const req = cue(next++, reinforce);
        if (reinforce) clock.advance(1);
        const s = performance.now();
        await engine.query(TENANT, req);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    queries: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMsPerQuery: (cpu.user + cpu.system) / 1000 / latencies.length,
    perSecond: latencies.length / (wallMs / 1000),
  };
}

try {
  const t0 = performance.now();
  await load();
  await touch();
  const loadSeconds = (performance.now() - t0) / 1000;
  let matching = 0;
  for (let k = 0; k < TOPICS; k++) matching += candidatesOf(k);
  await measure(Math.min(50, QUERIES), 1); // warm-up: the record cache, the JIT
  const results = { digest: await digest() };
  results.serial = await measure(QUERIES, 1, REINFORCE);
  results.concurrent = await measure(QUERIES, CONCURRENCY, REINFORCE);
  const f = (n) => n.toFixed(2);
  console.log(`memories ${MEMORIES} in one subject${RECALLS ? `, ${RECALLS} recalls before` : ''}${REINFORCE ? ', queries reinforcing their results' : ''} (loaded in ${loadSeconds.toFixed(1)} s), ~${Math.round(matching / TOPICS)} candidates per cue, results digest ${results.digest}`);
  console.log('| in flight | queries | p50 ms | p99 ms | CPU ms / query | queries / s |');
  console.log('|---|---|---|---|---|---|');
  for (const [label, r] of [['1', results.serial], [String(CONCURRENCY), results.concurrent]]) {
    console.log(`| ${label} | ${r.queries} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.cpuMsPerQuery)} | ${r.perSecond.toFixed(0)} |`);
  }
  console.log(JSON.stringify({ memories: MEMORIES, recalls: RECALLS, reinforce: REINFORCE, candidatesPerCue: Math.round(matching / TOPICS), ...results }));
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
