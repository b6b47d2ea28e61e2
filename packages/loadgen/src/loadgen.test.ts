import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmark, type BenchmarkSettings, type LoadTestSection } from './benchmark.js';
import { runLoadgen } from './cli.js';
import type { GhzReport } from './report.js';

// The raw grpc-js echo server of bench/echo, as a child process on an ephemeral port.
const ECHO = fileURLToPath(new URL('../../../bench/echo/server.mjs', import.meta.url));
let echo: ChildProcess;
let target = '';
const replies: ((line: string) => void)[] = [];
const dir = mkdtempSync(join(tmpdir(), 'loadgen-test-'));
const message = join(dir, 'message.bin');
writeFileSync(message, 'hello, echo');

async function serverCalls(): Promise<number> {
  const reply = new Promise<string>((resolve) => replies.push(resolve));
  echo.stdin!.write('stats\n');
  return (JSON.parse(await reply) as { calls: number }).calls;
}

beforeAll(async () => {
  echo = spawn(process.execPath, [ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: echo.stdout! }).on('line', (line) => replies.shift()?.(line));
  const first = new Promise<string>((resolve) => replies.push(resolve));
  target = `127.0.0.1:${(JSON.parse(await first) as { port: number }).port}`;
});

afterAll(() => {
  echo?.kill();
});

const echoRun = (s: Partial<BenchmarkSettings>): BenchmarkSettings => ({ host: target, call: 'echo.Echo/Echo', binaryFile: message, ...s });

const GHZ_FIELDS = ['endReason', 'options', 'date', 'count', 'total', 'average', 'fastest', 'slowest', 'rps', 'errorDistribution', 'statusCodeDistribution', 'latencyDistribution', 'histogram', 'details'];

function expectGhzShape(report: GhzReport, ok: number): void {
  for (const field of GHZ_FIELDS) expect(report).toHaveProperty(field);
  expect(report.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Durations in ns: a loopback call takes between 1 µs and 5 s; the run between 1 ms and 60 s.
  expect(Number.isInteger(report.total) && report.total > 1e6 && report.total < 60e9).toBe(true);
  for (const d of [report.average, report.fastest, report.slowest]) expect(Number.isInteger(d) && d > 1e3 && d < 5e9).toBe(true);
  expect(report.fastest).toBeLessThanOrEqual(report.slowest);
  expect(report.rps).toBeCloseTo(report.count / (report.total / 1e9), 6);
  expect(report.latencyDistribution!.map((l) => l.percentage)).toEqual([10, 25, 50, 75, 90, 95, 99]);
  const lat = report.latencyDistribution!.map((l) => l.latency);
  expect([...lat].sort((a, b) => a - b)).toEqual(lat);
  expect(lat[0]).toBeGreaterThanOrEqual(report.fastest);
  expect(lat[6]).toBeLessThanOrEqual(report.slowest);
  // Histogram marks in seconds, 11 buckets holding every successful call.
  expect(report.histogram).toHaveLength(11);
  expect(report.histogram![0]!.mark).toBeCloseTo(report.fastest / 1e9, 9);
  expect(report.histogram![10]!.mark).toBeCloseTo(report.slowest / 1e9, 9);
  expect(report.histogram!.reduce((n, b) => n + b.count, 0)).toBe(ok);
  expect(report.histogram!.reduce((n, b) => n + b.frequency, 0)).toBeCloseTo(1, 9);
}

describe('load generator against the grpc-js echo server', () => {
  it('closed loop: 300 calls over 2 connections, all OK, all seen by the server', async () => {
    const before = await serverCalls();
    const { report, verdict } = await benchmark(echoRun({ total: 300, concurrency: 16, connections: 2 }));
    expect(report.count).toBe(300);
    expect(report.statusCodeDistribution).toEqual({ OK: 300 });
    expect(report.errorDistribution).toEqual({});
    expectGhzShape(report, 300);
    expect(report.endReason).toBe('normal');
    expect(report.options).toMatchObject({ call: 'echo.Echo/Echo', host: target, concurrency: 16, connections: 2, total: 300, insecure: true });
    expect((await serverCalls()) - before).toBe(300);
    expect(verdict.pass).toBe(true);
    const section = report.loadTest as LoadTestSection;
    expect(section.mode).toBe('closed loop');
    expect(section.generator.peakRssBytes).toBeGreaterThan(1e6);
  });

  it('open loop: 300 calls at 2000 rps keep the schedule (about 150 ms)', async () => {
    const before = await serverCalls();
    const { report } = await benchmark(echoRun({ total: 300, rps: 2000, concurrency: 32 }));
    const section = report.loadTest as LoadTestSection;
    expect(report.count + section.dropped).toBe(300);
    expect(report.statusCodeDistribution['OK']).toBe(report.count);
    expect(section.mode).toBe('open loop');
    expect(report.total).toBeGreaterThan(0.14e9);
    expect((await serverCalls()) - before).toBe(report.count);
    expectGhzShape(report, report.count);
  });

  it('splits a run over worker processes and merges their results', async () => {
    const { report } = await benchmark(echoRun({ total: 300, concurrency: 8, connections: 2, cpus: 2, details: 1000 }));
    expect(report.count).toBe(300);
    expectGhzShape(report, 300);
    expect(report.details).toHaveLength(300);
    expect(report.details[0]).toMatchObject({ status: 'OK', error: '' });
    expect((report.loadTest as LoadTestSection).generator.processes).toBe(3);
  });

  it('stops at the end of a duration with endReason timeout', async () => {
    const { report } = await benchmark(echoRun({ durationMs: 300, concurrency: 8 }));
    expect(report.endReason).toBe('timeout');
    expect(report.total / 1e9).toBeCloseTo(0.3, 1);
    expect(report.count).toBeGreaterThan(0);
  });

  it('reports a status of a trailers-only answer (an unknown method: Unimplemented)', async () => {
    const { report, verdict } = await benchmark(echoRun({ call: 'echo.Echo/Nope', total: 20, concurrency: 4 }));
    expect(report.statusCodeDistribution).toEqual({ Unimplemented: 20 });
    expect(Object.keys(report.errorDistribution)[0]).toMatch(/^rpc error: code = Unimplemented desc = /);
    expect(report.latencyDistribution).toBeNull();
    expect(verdict.pass).toBe(false);
  });
});

describe('the command line', () => {
  const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    (stderr as unknown as PassThrough).on('data', (d: Buffer) => (err += d.toString()));
    const code = await runLoadgen(argv, { stdout, stderr });
    return { code, out, err };
  };

  it('fails with errors in errorDistribution, not a hang, when the address is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const { code, out } = await run(['--call', 'echo.Echo/Echo', '-B', message, '-n', '50', '-c', '5', '--json', `127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    const report = JSON.parse(out) as GhzReport;
    expect(report.count).toBe(50);
    expect(report.statusCodeDistribution).toEqual({ Unavailable: 50 });
    expect(Object.keys(report.errorDistribution).join()).toMatch(/code = Unavailable desc = connection error: connect ECONNREFUSED/);
    expect((report.loadTest as LoadTestSection).verdict.pass).toBe(false);
  });

  it('passes with criteria met, and exits 1 when one fails', async () => {
    const ok = await run(['--call', 'echo.Echo/Echo', '-B', message, '-n', '100', '--max-latency', '5s', '--min-throughput', '1', '--max-memory', '4GB', '-O', 'markdown', target]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^### echo.Echo\/Echo — pass/);
    const slow = await run(['--call', 'echo.Echo/Echo', '-B', message, '-n', '100', '--min-throughput', '1e9', target]);
    expect(slow.code).toBe(1);
    expect(slow.out).toMatch(/FAIL minThroughput/);
  });

  it('exits 2 on a usage error', async () => {
    expect((await run(['--call', 'echo.Echo/Echo', '-c', 'many', target])).code).toBe(2);
    expect((await run(['-n', '1', target])).code).toBe(2);
  });
});
