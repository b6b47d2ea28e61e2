#!/usr/bin/env node
// A memory shard's resident memory under an import: starts one real shard process (services/memory-shard/dist/main.js)
// on 127.0.0.1 with ephemeral ports and a temporary store, launched the way the local cluster launches it
// (services/local-cluster/dist/shard-process.js: node flags and environment derived from the shard's settings;
// --bare: plain `node main.js` with only the settings below), imports N memories of ~100-byte contents with
// RememberBatch straight to the shard, then reports the RSS (and its peak), RssAnon vs RssFile, a /proc smaps breakdown,
// the V8 heap (the shard's metrics endpoint, and process.memoryUsage() around a forced full GC) against the target:
// configured caches (ENGRAM_CACHE_MAX_BYTES + ENGRAM_STORAGE_BLOCK_CACHE_SIZE) + 200 MiB. A short Recall phase
// (uniform over a sample of what was written) follows the import. Rates are reported with the shard's CPU time per
// memory and per Recall (/proc/<pid>/stat, all its threads), which moves much less than the rates when other work
// shares the machine. Everything is bounded in time (--timeout) and stops by itself. --node-args adds node flags
// (e.g. --node-args=--heap-growing-percent=0), --env adds or overrides the shard's environment. The snapshots after
// the import and after the Recalls come --settle seconds after the load stops: the shard at rest, after its idle
// collection (ENGRAM_IDLE_GC); the peak RSS under load is reported too.
//
//   npm run build && node bench/shard-memory.mjs [--memories 1000000] [--batch 1000] [--concurrency 4]
//     [--subjects 1000] [--content-size 100] [--recall-seconds 10] [--timeout 40m] [--bare]
//     [--env ENGRAM_CACHE_MAX_BYTES=32mb ...] [--node-args=--max-semi-space-size=4] [--json out.json] [--keep]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadConfig, shardGroups } from '@engram/config';
import { packageDefinition, PUBLIC_PROTO_FILES, SHARD_PROTO_FILES } from '@engram/protocol';
import { cpuSeconds, dirBytes, memoryStatus } from './proc.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SHARD = join(root, 'services/memory-shard/dist/main.js');
const PRELOAD = join(root, 'bench/compare/cpu-profile.cjs'); // SIGWINCH: full GC + process.memoryUsage() before/after
const MiB = 2 ** 20;

const { values: o } = parseArgs({
  options: {
    memories: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    subjects: { type: 'string', default: '1000' },
    'content-size': { type: 'string', default: '100' },
    'client-ids': { type: 'boolean', default: false },
    'recall-seconds': { type: 'string', default: '10' },
    'recall-concurrency': { type: 'string', default: '16' },
    settle: { type: 'string', default: '5' },
    timeout: { type: 'string', default: '40m' },
    'sample-ms': { type: 'string', default: '500' },
    bare: { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
  },
});
const num = (name) => {
  const n = Number(o[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a number, got ${o[name]}`);
  return n;
};
const durationMs = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s} (e.g. 90s, 40m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'];
};
const cfg = {
  memories: Math.floor(num('memories')),
  batch: Math.max(1, Math.floor(num('batch'))),
  concurrency: Math.max(1, Math.floor(num('concurrency'))),
  subjects: Math.max(1, Math.floor(num('subjects'))),
  contentSize: Math.max(20, num('content-size')),
  recallMs: num('recall-seconds') * 1000,
  recallConcurrency: Math.max(1, num('recall-concurrency')),
  settleMs: num('settle') * 1000,
  timeoutMs: durationMs(o.timeout),
  sampleMs: Math.max(50, num('sample-ms')),
};
const extraEnv = Object.fromEntries(
  o.env.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--env ${kv}: expected KEY=VALUE`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }),
);
const started = performance.now();
const deadline = started + cfg.timeoutMs;
const log = (...a) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (b) => (Number.isFinite(b) ? (b / MiB).toFixed(0) : '?');
const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');

// --- /proc --------------------------------------------------------------------------------------------------
const status = memoryStatus;

/**
 * RSS by kind of mapping, from /proc/<pid>/smaps. Anonymous mappings are told apart by shape: glibc's per-thread
 * malloc arenas are reserved as 64 MiB-aligned 64 MiB regions (a read-write part, then a PROT_NONE rest), V8's heap
 * and everything else anonymous is "other anonymous" (V8 pages, main-arena mmaps of large blocks, stacks of threads).
 */
function smaps(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const nodeBin = realpathSync(process.execPath);
  const maps = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (h) {
      cur = { start: BigInt(`0x${h[1]}`), end: BigInt(`0x${h[2]}`), perms: h[3], path: h[4], rss: 0 };
      maps.push(cur);
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r && cur) cur.rss = Number(r[1]) * 1024;
  }
  const ARENA = 64n * 1024n * 1024n;
  const out = { 'leveldb tables (mmap)': 0, 'node binary': 0, 'native addons (.node)': 0, 'other files': 0, '[heap] (brk)': 0, 'malloc arenas': 0, 'other anonymous': 0, stacks: 0 };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    const p = m.path;
    if (/\.(ldb|sst)$/.test(p)) out['leveldb tables (mmap)'] += m.rss;
    else if (p === nodeBin) out['node binary'] += m.rss;
    else if (p.endsWith('.node')) out['native addons (.node)'] += m.rss;
    else if (p.startsWith('/')) out['other files'] += m.rss;
    else if (p === '[heap]') out['[heap] (brk)'] += m.rss;
    else if (p.startsWith('[stack')) out.stacks += m.rss;
    else if (p === '' || p.startsWith('[anon')) {
      // An arena: starts 64 MiB-aligned and, with the PROT_NONE mapping right after it, spans 64 MiB.
      const next = maps[i + 1];
      const span = next && next.start === m.end && next.perms.startsWith('---') && next.path === '' ? next.end - m.start : m.end - m.start;
      if (m.start % ARENA === 0n && span === ARENA && m.perms.startsWith('rw')) out['malloc arenas'] += m.rss;
      else out['other anonymous'] += m.rss;
    } else out['other anonymous'] += m.rss;
  }
  return out;
}

// --- the shard ----------------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'engram-shard-memory-'));
const dataDir = join(work, 'shard-0');
const profileDir = join(work, 'profiles');
const settings = {
  ENGRAM_NODE_ID: 'shard-0',
  ENGRAM_LISTEN: '127.0.0.1:0',
  ENGRAM_METRICS_LISTEN: '127.0.0.1:0',
  ENGRAM_DATA_DIR: dataDir,
  ENGRAM_LOG_LEVEL: 'info',
  ...extraEnv,
};
// The shard's settings as the shard itself will read them (our environment, then the ones above).
const shardConfig = loadConfig(shardGroups, { env: { ...process.env, ...settings } });
const cacheBytes = shardConfig.cache.maxBytes + shardConfig.storage.blockCacheSize;
const limit = cacheBytes + 200 * MiB;

let launch = { execArgv: [], env: {} };
if (!o.bare) {
  const file = join(root, 'services/local-cluster/dist/shard-process.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build), or pass --bare`);
  const { shardProcess } = await import(file);
  launch = shardProcess(shardConfig);
}
const nodeArgs = o['node-args'].split(/\s+/).filter(Boolean);
if (nodeArgs.length) launch = { ...launch, execArgv: [...launch.execArgv, ...nodeArgs] };
const env = {
  ...process.env,
  ...launch.env,
  ...settings,
  // Launch settings (e.g. MALLOC_ARENA_MAX) can be overridden by --env too.
  ...extraEnv,
  NODE_OPTIONS: `${extraEnv.NODE_OPTIONS ?? launch.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} --require ${PRELOAD}`.trim(),
  ENGRAM_BENCH_PROFILE_DIR: profileDir,
};
log(`shard: node ${[...launch.execArgv, 'services/memory-shard/dist/main.js'].join(' ')}${o.bare ? ' (--bare)' : ''}`);
log(
  `  env: ${Object.entries({ ...launch.env, ...extraEnv }).map(([k, v]) => `${k}=${v}`).join(' ') || '(defaults)'}; ` +
    `caches: memory LRU ${mib(shardConfig.cache.maxBytes)} MiB + block cache ${mib(shardConfig.storage.blockCacheSize)} MiB; ` +
    `write buffer ${mib(shardConfig.storage.writeBufferSize)} MiB, max open files ${shardConfig.storage.maxOpenFiles}; limit ${mib(limit)} MiB`,
);

const proc = spawn(process.execPath, [...launch.execArgv, SHARD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
let stderr = '';
proc.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
const { address, metricsAddress } = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error(`shard did not start in 60 s:\n${stderr}`)), 60_000);
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const e = JSON.parse(line);
        if (e.level >= 50) process.stderr.write(`[shard] ${line}\n`);
        if (e.msg === 'listening' && e.address) {
          clearTimeout(timer);
          resolve(e);
        }
      } catch {}
    }
  });
  void exited.then((c) => reject(new Error(`shard exited (${c}) while starting:\n${stderr}`)));
});
const pid = proc.pid;
let stopping = false;
void exited.then((c) => {
  if (!stopping) {
    console.error(`shard exited unexpectedly (${c}):\n${stderr}`);
    process.exit(1);
  }
});
async function stop() {
  stopping = true;
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
  if (!o.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
// A hard bound: whatever hangs, the shard goes and this process exits.
const hard = setTimeout(() => {
  console.error('timeout: stopping');
  proc.kill('SIGKILL');
  process.exit(2);
}, cfg.timeoutMs + 120_000);
hard.unref();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stop().then(() => process.exit(130)));
log(`shard pid ${pid} at ${address}, metrics http://${metricsAddress}/metrics, store ${dataDir}`);

async function metrics() {
  try {
    const res = await fetch(`http://${metricsAddress}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const value = (name) => {
      let sum = 0;
      let found = false;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
        const v = Number(line.slice(line.lastIndexOf(' ') + 1));
        if (Number.isFinite(v)) (sum += v), (found = true);
      }
      return found ? sum : Number.NaN;
    };
    return {
      heapUsed: value('engram_process_heap_used_bytes'),
      rss: value('engram_process_resident_memory_bytes'),
      cacheBytes: value('engram_cache_bytes'),
      memories: value('engram_memories'),
    };
  } catch {
    return { heapUsed: Number.NaN, rss: Number.NaN, cacheBytes: Number.NaN, memories: Number.NaN };
  }
}

/** Forces a full GC in the shard (the preload's SIGWINCH) and returns process.memoryUsage() before and after. */
async function forcedGc() {
  const before = new Set(existsSync(profileDir) ? readdirSync(profileDir) : []);
  process.kill(pid, 'SIGWINCH');
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    await sleep(200);
    const fresh = (existsSync(profileDir) ? readdirSync(profileDir) : []).filter((f) => f.endsWith('.json') && !before.has(f));
    if (fresh.length) {
      const snap = JSON.parse(readFileSync(join(profileDir, fresh[0]), 'utf8'));
      await sleep(1000); // let the allocator hand freed pages back
      return { before: snap.before, after: snap.after, heapSpaces: snap.heapSpaces, heapStatistics: snap.heapStatistics, status: status(pid) };
    }
  }
  return null;
}

async function snapshot(label) {
  const s = status(pid);
  const m = await metrics();
  const maps = smaps(pid);
  const snap = { label, at: (performance.now() - started) / 1000, ...s, metrics: m, smaps: maps, diskBytes: dirBytes(dataDir) };
  log(
    `${label}: RSS ${mib(s.rss)} MiB (peak ${mib(s.hwm)}; anon ${mib(s.anon)}, file ${mib(s.file)}), V8 heap used ${mib(m.heapUsed)} MiB, ` +
      `memory LRU ${mib(m.cacheBytes)} MiB, ${fmt(m.memories)} memories, ${mib(snap.diskBytes)} MiB on disk, ${s.threads} threads`,
  );
  if (maps) log(`  smaps: ${Object.entries(maps).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${mib(v)}`).join(', ')} (MiB)`);
  return snap;
}

// --- load ---------------------------------------------------------------------------------------------------
const proto = loadPackageDefinition(packageDefinition([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES]));
const client = new proto.engram.shard.v1.ShardService(address, credentials.createInsecure(), {
  'grpc.max_receive_message_length': 64 * MiB,
  'grpc.max_send_message_length': 64 * MiB,
});
const meta = new Metadata();
meta.set('engram-tenant', 'bench');
const call = (method, req, timeoutMs = 120_000) =>
  new Promise((resolve, reject) => client[method](req, meta, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))));

// Contents: ~content-size characters of everyday English from a fixed vocabulary (seeded, so every run writes the
// same memories), with a number in each so that no two are duplicates.
const VOCAB = (
  'the a to of and in for on with at from by about after before during meeting call email report budget invoice ' +
  'project deadline review design launch release customer team manager doctor dentist appointment lunch dinner ' +
  'coffee breakfast train flight hotel ticket museum concert garden kitchen bicycle camera phone laptop server ' +
  'window letter contract payment holiday weekend morning evening afternoon tomorrow yesterday monday tuesday ' +
  'wednesday thursday friday saturday sunday january march june september december asked said wants needs likes ' +
  'prefers remembered forgot booked cancelled moved paid sent received discussed agreed planned finished started ' +
  'mother father sister brother daughter son friend colleague neighbour alice bob carol dave erin frank grace ' +
  'henry isabel jack paris london berlin madrid rome tokyo boston chicago denver seattle blue green red quiet ' +
  'urgent important small large new old early late cheap expensive happy tired busy great terrible'
).split(' ');
let seed = 0x2545f491;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
function content(i) {
  const words = [];
  let len = 0;
  const target = cfg.contentSize - 12;
  while (len < target) {
    const w = pick(VOCAB);
    words.push(w);
    len += w.length + 1;
  }
  words.splice(Math.floor(rand() * words.length), 0, `#${i}`);
  const s = words.join(' ');
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}
const TAGS = ['work', 'family', 'travel', 'health', 'money', 'errand', 'idea', 'social'];

const recallIds = []; // a sample of what was written, for the Recall phase
const RECALL_SAMPLE = 200_000;
let peakRss = 0;
const sampler = setInterval(() => {
  const s = status(pid);
  if (s.rss > peakRss) peakRss = s.rss;
}, cfg.sampleMs);
sampler.unref();

async function importAll() {
  const batches = Math.ceil(cfg.memories / cfg.batch);
  let next = 0;
  let written = 0;
  let failed = 0;
  let retried = 0;
  const errors = new Map();
  let lastBucket = 0;
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const progress = [];
  const lane = async () => {
    while (next < batches && performance.now() < deadline - 5 * 60_000) {
      const b = next++;
      const n = Math.min(cfg.batch, cfg.memories - b * cfg.batch);
      const subject = `user-${b % cfg.subjects}`;
      const memories = Array.from({ length: n }, (_, k) => {
        const i = b * cfg.batch + k;
        return { subject, ...(o['client-ids'] ? { id: `m-${i}` } : {}), kind: 'note', content: content(i), tags: [pick(TAGS)] };
      });
      let res;
      // A busy shard refuses a batch it cannot start within ENGRAM_WRITE_MAX_QUEUE_WAIT (RESOURCE_EXHAUSTED, "retry
      // with backoff"): retry it, as a client would, up to 8 times.
      for (let attempt = 0; ; attempt++) {
        try {
          res = await call('RememberBatch', { memories });
          break;
        } catch (err) {
          if (err.code === 8 && attempt < 8) {
            retried++;
            await sleep(100 * 2 ** Math.min(attempt, 4));
            continue;
          }
          failed += n;
          errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
          break;
        }
      }
      if (!res) continue;
      written += res.succeeded;
      failed += res.failed;
      for (const r of res.results) {
        if (r.error) errors.set(r.error.message, (errors.get(r.error.message) ?? 0) + 1);
        else if (recallIds.length < RECALL_SAMPLE) recallIds.push([subject, r.ok.id]);
        else if (rand() < RECALL_SAMPLE / (written + 1)) recallIds[Math.floor(rand() * RECALL_SAMPLE)] = [subject, r.ok.id];
      }
      const done = written + failed;
      const bucket = Math.floor((done * 10) / cfg.memories);
      if (bucket > lastBucket) {
        lastBucket = bucket;
        const s = status(pid);
        const m = await metrics();
        const secs = (performance.now() - t0) / 1000;
        progress.push({ written, seconds: secs, rss: s.rss, anon: s.anon, file: s.file, hwm: s.hwm, heapUsed: m.heapUsed, cacheBytes: m.cacheBytes });
        log(
          `  ${fmt(written).padStart(9)} written (${fmt(written / secs)}/s)${failed ? `, ${fmt(failed)} failed` : ''}: RSS ${mib(s.rss)} MiB (peak ${mib(s.hwm)}, ` +
            `anon ${mib(s.anon)}, file ${mib(s.file)}), heap used ${mib(m.heapUsed)} MiB, LRU ${mib(m.cacheBytes)} MiB`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, lane));
  const seconds = (performance.now() - t0) / 1000;
  // The shard's CPU per memory: steadier than the rate on a machine shared with other work.
  const cpuMsPerMemory = ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, written);
  return { written, failed, retried, seconds, rate: written / seconds, cpuMsPerMemory, truncated: written + failed < cfg.memories, errors: Object.fromEntries(errors), progress };
}

async function recallPhase() {
  if (cfg.recallMs <= 0 || recallIds.length === 0) return null;
  const until = performance.now() + Math.min(cfg.recallMs, Math.max(0, deadline - performance.now() - 60_000));
  let ok = 0;
  let failed = 0;
  const lat = [];
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const lane = async () => {
    while (performance.now() < until) {
      const [subject, id] = recallIds[Math.floor(rand() * recallIds.length)];
      const s = performance.now();
      try {
        await call('Recall', { subject, id }, 30_000);
        ok++;
        lat.push(performance.now() - s);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.recallConcurrency }, lane));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return { ok, failed, seconds: secs, rate: ok / secs, cpuMsPerRecall: ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, ok), p50: q(0.5), p99: q(0.99) };
}

const result = { label: o.label, config: { ...cfg, bare: o.bare, env: extraEnv, launch, cacheBytes, limit }, node: process.version };
try {
  result.start = await snapshot('started');
  log(`importing ${fmt(cfg.memories)} memories: RememberBatch of ${cfg.batch}, ${cfg.concurrency} in flight, ${cfg.subjects} subjects, ~${cfg.contentSize}-byte contents`);
  result.import = await importAll();
  const imp = result.import;
  log(`imported ${fmt(imp.written)} in ${imp.seconds.toFixed(1)} s: ${fmt(imp.rate)} memories/s, shard CPU ${(imp.cpuMsPerMemory * 1000).toFixed(0)} µs per memory${imp.retried ? ` (${imp.retried} batches retried after RESOURCE_EXHAUSTED)` : ''}${imp.failed ? `; ${fmt(imp.failed)} failed: ${JSON.stringify(imp.errors).slice(0, 400)}` : ''}${imp.truncated ? ' (TRUNCATED by --timeout)' : ''}`);
  await sleep(cfg.settleMs);
  result.afterImport = await snapshot('after import');
  result.recall = await recallPhase();
  if (result.recall) {
    const r = result.recall;
    log(`recall: ${fmt(r.rate)}/s over ${r.seconds.toFixed(0)} s at ${cfg.recallConcurrency} in flight, shard CPU ${(r.cpuMsPerRecall * 1000).toFixed(0)} µs per recall, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${r.failed ? `, ${r.failed} failed` : ''}`);
    await sleep(cfg.settleMs);
    result.afterRecall = await snapshot('after recall');
  }
  const gc = await forcedGc();
  if (gc) {
    result.afterGc = { ...gc, smaps: smaps(pid) };
    const a = gc.after;
    log(
      `after a forced full GC: RSS ${mib(gc.status.rss)} MiB (anon ${mib(gc.status.anon)}, file ${mib(gc.status.file)}); V8 heap used ${mib(gc.before.heapUsed)} → ${mib(a.heapUsed)} MiB ` +
        `of ${mib(gc.before.heapTotal)} → ${mib(a.heapTotal)} MiB; external ${mib(a.external)} MiB (array buffers ${mib(a.arrayBuffers)})`,
    );
    if (result.afterGc.smaps) log(`  smaps: ${Object.entries(result.afterGc.smaps).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${mib(v)}`).join(', ')} (MiB)`);
  }
  const final = result.afterRecall ?? result.afterImport;
  result.peakRss = Math.max(peakRss, final.hwm);
  result.verdict = { rss: final.rss, limit, met: final.rss <= limit };
  log(
    `RESULT${o.label ? ` [${o.label}]` : ''}: RSS ${mib(final.rss)} MiB after ${fmt(final.metrics.memories)} memories vs limit ${mib(limit)} MiB ` +
      `(caches ${mib(cacheBytes)} + 200): ${result.verdict.met ? 'MET' : 'MISSED'}; peak ${mib(result.peakRss)} MiB; ` +
      `after GC ${mib(result.afterGc?.status.rss)} MiB; import ${fmt(result.import.rate)}/s (${(result.import.cpuMsPerMemory * 1000).toFixed(0)} µs CPU each)` +
      `${result.recall ? `; recall ${fmt(result.recall.rate)}/s (${(result.recall.cpuMsPerRecall * 1000).toFixed(0)} µs CPU each)` : ''}`,
  );
} finally {
  clearInterval(sampler);
  client.close();
  if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
  await stop();
}
process.exit(0);
