#!/usr/bin/env node
// Calibrates the load generator (packages/loadgen) against h2load (Debian's nghttp2-client) on a raw grpc-js
// echo server (bench/echo/server.mjs): same calls, same connections and streams per connection, rounds
// alternating which tool goes first. Prints both rates and their ratio; exits 1 when the median ratio is
// below --min-ratio (default 0.9), i.e. when our generator, not the server, would be the bottleneck.
//
//   npm run build && node bench/loadgen-vs-h2load.mjs [--calls 100000] [--connections 4] [--streams 32]
//       [--rounds 3] [--cpus 1] [--size 16] [--min-ratio 0.9] [--deadline 20S]
//
// The requests are the same: h2load's are POSTs with content-type application/grpc and te: trailers, and so
// are ours; ours carry no grpc-timeout (-t 0) unless --deadline gives one, which h2load then sends too (a
// deadline costs grpc-js a timer per call, a server cost that is not the generator's).
//
// Both tools run against the same server process; on a small machine the server, the tool and anything else
// running share the cores, so compare within one run and look at the median. Besides the rates it prints the
// server's CPU time per call under each tool (from /proc), which is what the tools' requests cost the server.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const calls = Number(opt('calls', '100000'));
const connections = Number(opt('connections', '4'));
const streams = Number(opt('streams', '32'));
const rounds = Number(opt('rounds', '3'));
const cpus = Number(opt('cpus', '1'));
const size = Number(opt('size', '16'));
const minRatio = Number(opt('min-ratio', '0.9'));
const H2LOAD = opt('h2load', '/usr/bin/h2load');
const deadline = opt('deadline', '');

try {
  execFileSync(H2LOAD, ['--version'], { stdio: 'ignore' });
} catch {
  console.error(`${H2LOAD} not found: install Debian's nghttp2-client (apt-get install nghttp2-client)`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'loadgen-vs-h2load-'));
const message = Buffer.alloc(size, 'x');
const messageFile = join(dir, 'message.bin');
const bodyFile = join(dir, 'body.bin'); // the gRPC frame: flag 0, 4-byte length, message
writeFileSync(messageFile, message);
const frame = Buffer.alloc(5 + size);
frame.writeUInt32BE(size, 1);
message.copy(frame, 5);
writeFileSync(bodyFile, frame);

// The echo server, with a line protocol on stdin/stdout to read its call counter.
const server = spawn(process.execPath, [join(root, 'bench/echo/server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: server.stdout });
const waiting = [];
lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
const nextLine = () => new Promise((resolve) => waiting.push(resolve));
const { port } = await nextLine();
const serverCpuSeconds = () => {
  try {
    const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
};
const serverCalls = async () => {
  const reply = nextLine();
  server.stdin.write('stats\n');
  return (await reply).calls;
};
const cleanup = () => {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

// grpc-timeout units (H, M, S, m, u, n) as our --timeout flag's.
function deadlineArg(value) {
  const m = /^(\d+)([HMSmun])$/.exec(value);
  if (!m) throw new Error(`--deadline: expected a grpc-timeout value such as 20S, got ${value}`);
  return `${m[1]}${{ H: 'h', M: 'm', S: 's', m: 'ms', u: 'us', n: 'ns' }[m[2]]}`;
}

function run(cmd, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function h2load() {
  const before = await serverCalls();
  const cpu0 = serverCpuSeconds();
  const argv = [
    '-n', String(calls), '-c', String(connections), '-m', String(streams),
    '-H', 'content-type: application/grpc', '-H', 'te: trailers', ...(deadline ? ['-H', `grpc-timeout: ${deadline}`] : []),
    '-d', bodyFile, `http://127.0.0.1:${port}/echo.Echo/Echo`,
  ];
  const { code, out } = await run(H2LOAD, argv);
  const serverUs = ((serverCpuSeconds() - cpu0) / calls) * 1e6;
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  const ok = /status codes: (\d+) 2xx/.exec(out);
  const seen = (await serverCalls()) - before;
  if (code !== 0 || !rate || !ok) throw new Error(`h2load failed (exit ${code}):\n${out}`);
  return { rps: Number(rate[1]), ok: Number(ok[1]), seen, serverUs, command: `h2load ${argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` };
}

async function loadgen() {
  const before = await serverCalls();
  const cpu0 = serverCpuSeconds();
  const argv = [
    join(root, 'packages/loadgen/bin/loadgen.js'),
    '--call', 'echo.Echo/Echo', '-B', messageFile,
    '-n', String(calls), '--connections', String(connections), '-c', String(connections * streams), '--cpus', String(cpus),
    '-t', deadline ? deadlineArg(deadline) : '0',
    '--json', `127.0.0.1:${port}`,
  ];
  const { code, out } = await run(process.execPath, argv);
  const serverUs = ((serverCpuSeconds() - cpu0) / calls) * 1e6;
  if (code !== 0) throw new Error(`loadgen failed (exit ${code}):\n${out.slice(0, 2000)}`);
  const report = JSON.parse(out);
  const seen = (await serverCalls()) - before;
  return { rps: report.rps, ok: report.statusCodeDistribution.OK ?? 0, seen, serverUs, cpu: report.loadTest.generator.cpuCores, command: `node ${argv.slice(0, -1).join(' ').replace(root, '')} 127.0.0.1:PORT` };
}

const ratios = [];
console.log(`echo server on 127.0.0.1:${port}; ${calls} calls of ${size}-byte messages, ${connections} connections x ${streams} streams, loadgen on ${cpus} process(es)`);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [h2load, loadgen] : [loadgen, h2load];
  const results = {};
  for (const tool of order) results[tool.name] = await tool();
  const { h2load: h, loadgen: l } = results;
  for (const [name, x] of Object.entries(results)) {
    if (x.ok !== calls || x.seen !== calls) throw new Error(`${name}: ${x.ok} calls succeeded and the server answered ${x.seen}, of ${calls}`);
  }
  const ratio = l.rps / h.rps;
  ratios.push(ratio);
  console.log(
    `round ${r + 1}: h2load ${h.rps.toFixed(0)} req/s, loadgen ${l.rps.toFixed(0)} req/s, ratio ${ratio.toFixed(3)}` +
      ` | server CPU per call ${h.serverUs.toFixed(1)} µs vs ${l.serverUs.toFixed(1)} µs | loadgen used ${l.cpu.toFixed(2)} cores`,
  );
  if (r === 0) console.log(`  ${h.command.replace(String(port), 'PORT')}\n  ${l.command}`);
}
const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
console.log(`median ratio loadgen / h2load: ${median.toFixed(3)} (required >= ${minRatio})`);
process.exitCode = median >= minRatio ? 0 : 1;
cleanup();
