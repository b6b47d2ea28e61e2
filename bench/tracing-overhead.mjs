#!/usr/bin/env node
// What tracing costs: Remember and Recall throughput through the gateway of a local cluster with tracing off (no
// OTEL_* variables) and on (every span exported over OTLP/HTTP to a sink in this process), in alternating
// rounds so drift on a noisy machine hits both alike. Prints figures and the on/off ratio; asserts nothing.
//
//   npm run build && node bench/tracing-overhead.mjs [--calls 4000] [--concurrency 64] [--rounds 2]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { packageDefinition, PUBLIC_PROTO_FILES } from '@engram/protocol';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '64' }, rounds: { type: 'string', default: '2' } } });
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));

// The span sink: accepts OTLP/HTTP exports and counts their bytes.
let exportedBytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (c) => (exportedBytes += c.length));
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const tracingEnv = {
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.address().port}`,
};

async function startCluster(env) {
  const dir = mkdtempSync(join(tmpdir(), 'engram-trace-bench-'));
  const proc = spawn(process.execPath, [join(root, 'services/local-cluster/dist/main.js')], {
    env: {
      ...process.env,
      ...env,
      ENGRAM_LOCAL_DATA_DIR: join(dir, 'data'),
      ENGRAM_LOCAL_GATEWAY_PORT: '0',
      ENGRAM_LOCAL_SHARD_BASE_PORT: '0',
      ENGRAM_LOCAL_ENGINE_BASE_PORT: '0',
      ENGRAM_LOCAL_METRICS_BASE_PORT: '0',
      ENGRAM_LOCAL_ENGINES: '1',
      ENGRAM_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const gateway = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`cluster did not start:\n${out}`)), 60_000);
    proc.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const m = /^\s+gateway\s+(\S+)/m.exec(out);
      if (m && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    gateway,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const proto = loadPackageDefinition(packageDefinition(PUBLIC_PROTO_FILES));

/** n calls of one method, `concurrency` at a time; resolves with calls per second. */
async function load(client, method, makeRequest, n) {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await new Promise((resolve, reject) => client[method](makeRequest(i), { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return n / ((performance.now() - started) / 1000);
}

async function round(tracing) {
  const cluster = await startCluster(tracing ? tracingEnv : {});
  const client = new proto.engram.v1.MemoryService(cluster.gateway, credentials.createInsecure());
  try {
    const ids = [];
    const remember = await load(client, 'Remember', (i) => ({ memory: { subject: `s-${i % 100}`, id: `m-${i}`, content: `bench memory ${i}` } }), calls);
    for (let i = 0; i < calls; i++) ids.push({ subject: `s-${i % 100}`, id: `m-${i}` });
    const recall = await load(client, 'Recall', (i) => ids[i % ids.length], calls);
    return { remember, recall };
  } finally {
    client.close();
    await cluster.stop();
  }
}

const results = { off: [], on: [] };
for (let r = 0; r < rounds; r++) {
  for (const tracing of r % 2 === 0 ? [false, true] : [true, false]) results[tracing ? 'on' : 'off'].push(await round(tracing));
}
sink.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = ['remember', 'recall'].map((m) => {
  const off = median(results.off.map((x) => x[m]));
  const on = median(results.on.map((x) => x[m]));
  return { method: m, 'tracing off /s': off.toFixed(0), 'tracing on /s': on.toFixed(0), 'on/off': (on / off).toFixed(3) };
});
console.log(`Through the gateway: ${calls} calls per method, ${concurrency} concurrent, median of ${rounds} alternating rounds each`);
console.table(rows);
console.log(`spans exported while tracing was on: ${(exportedBytes / 1024).toFixed(0)} KiB of OTLP`);
