#!/usr/bin/env node
// What a node's fast unary path saves: the same echo service on a NodeServer (@engram/runtime) with
// ENGRAM_FAST_PATH's node:http2 path and with grpc-js's own per-call machinery, each in its own process on
// 127.0.0.1, driven by the same load generator (closed loop, --concurrency in flight, one connection). Rounds
// alternate the two; it prints each round's rate and the server's CPU per call (utime + stime of its process over
// the run, which moves much less than the rate when other work shares the machine), then the median ratio.
//
//   npm run build && node bench/fast-path.mjs [--rounds 3] [--seconds 6] [--concurrency 64]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rawUnaryMethod } from '@engram/protocol';
import { cpuSeconds } from './proc.mjs';

const ECHO = rawUnaryMethod('/echo.Echo/Echo');

if (process.argv[2] === '--serve') {
  // Child: one NodeServer with the echo service; prints {"port":N}; SIGTERM stops it.
  const { NodeServer } = await import('@engram/runtime');
  const { silentLogger } = await import('@engram/telemetry');
  const server = new NodeServer({
    listen: '127.0.0.1:0',
    maxInFlight: 100_000,
    fastPath: process.argv[3] === 'fast',
    services: [{ name: 'echo.Echo', definition: { Echo: ECHO }, implementation: { Echo: (call, callback) => callback(null, call.request) } }],
    protoFiles: [],
    maxMessageBytes: 4 * 2 ** 20,
    logger: silentLogger(),
  });
  const port = await server.start();
  console.log(JSON.stringify({ port }));
  process.on('SIGTERM', () => server.shutdown(1000).then(() => process.exit(0)));
} else {
  const { values: o } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '6' }, concurrency: { type: 'string', default: '64' } } });
  const root = fileURLToPath(new URL('..', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'engram-fast-path-'));
  const message = join(dir, 'message.bin');
  writeFileSync(message, 'x'.repeat(100));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  async function round(mode) {
    const server = spawn(process.execPath, [self, '--serve', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(createInterface({ input: server.stdout }), 'line');
    const { port } = JSON.parse(line);
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    const gen = spawn(process.execPath, [join(root, 'packages/loadgen/bin/loadgen.js'), '--call', 'echo.Echo/Echo', '-B', message, '-c', o.concurrency, '-z', `${o.seconds}s`, '--json', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    gen.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const [code] = await once(gen, 'exit');
    const cores = (cpuSeconds(server.pid) - cpu0) / ((performance.now() - t0) / 1000);
    server.kill('SIGTERM');
    await once(server, 'exit');
    if (code !== 0 && !out) throw new Error(`loadgen exited ${code}`);
    const report = JSON.parse(out);
    const ok = report.statusCodeDistribution?.OK ?? 0;
    const rps = (report.rps * ok) / Math.max(1, report.count);
    return { mode, rps, usPerCall: (cores * 1e6) / rps, failed: report.count - ok };
  }

  const results = { fast: [], grpc: [] };
  for (let r = 0; r < Number(o.rounds); r++) {
    for (const mode of r % 2 === 0 ? ['fast', 'grpc'] : ['grpc', 'fast']) {
      const res = await round(mode);
      results[mode].push(res);
      console.log(`round ${r + 1} ${mode.padEnd(4)}: ${Math.round(res.rps).toLocaleString('en')} calls/s, server ${res.usPerCall.toFixed(1)} µs CPU per call${res.failed ? `, ${res.failed} failed` : ''}`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = median(results.fast.map((x) => x.usPerCall));
  const g = median(results.grpc.map((x) => x.usPerCall));
  console.log(`median server CPU per call: fast path ${f.toFixed(1)} µs, grpc-js ${g.toFixed(1)} µs (${(g / f).toFixed(2)}x); rate ${(median(results.fast.map((x) => x.rps)) / median(results.grpc.map((x) => x.rps))).toFixed(2)}x`);
}
