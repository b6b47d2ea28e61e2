import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryClient, thoughtClient } from './harness/clients.js';
import { ROOT } from './harness/processes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'engram-local-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts the npm start launcher on ephemeral ports; resolves with its gateway address once it is up. */
function launch() {
  const proc = spawn(process.execPath, [join(ROOT, 'services/local-cluster/dist/main.js')], {
    cwd: ROOT,
    env: { ...process.env, ENGRAM_LOCAL_DATA_DIR: dataDir, ENGRAM_LOCAL_GATEWAY_PORT: '0', ENGRAM_LOCAL_SHARD_BASE_PORT: '0', ENGRAM_LOCAL_ENGINE_BASE_PORT: '0', ENGRAM_LOCAL_METRICS_BASE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const up = new Promise<{ gateway: string; shards: string[]; engines: string[]; metrics: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not up in time:\n${out}`)), 60_000);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ctrl-C stops the cluster.')) {
        clearTimeout(timer);
        resolve({
          gateway: /^\s+gateway\s+(\S+)/m.exec(out)![1]!,
          shards: [...out.matchAll(/^\s+shard-\d+\s+(\S+)\s+store/gm)].map((m) => m[1]!),
          engines: [...out.matchAll(/^\s+engine-\d+\s+(\S+)\s+thought engine/gm)].map((m) => m[1]!),
          metrics: [...out.matchAll(/^\s+\S+\s+(http:\/\/\S+\/metrics)$/gm)].map((m) => m[1]!),
        });
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    void exited.then((code) => reject(new Error(`launcher exited (${code}):\n${out}`)));
  });
  return { proc, up, exited, output: () => out };
}

describe('npm start (local cluster launcher)', () => {
  it('starts a gateway, three shards and two engines, prints their addresses, and stops cleanly on SIGINT and SIGTERM', async () => {
    const first = launch();
    const { gateway, shards, engines, metrics } = await first.up;
    expect(shards).toHaveLength(3);
    expect(engines).toHaveLength(2);
    // Every node prints its Prometheus endpoint, and it answers.
    expect(metrics).toHaveLength(6);
    for (const url of metrics) expect(await (await fetch(url)).text()).toContain('engram_rpc_in_flight');
    const client = memoryClient(gateway);
    const { id } = await client.call('Remember', { memory: { subject: 'launcher', kind: 'start', content: 'started with npm start' } });
    client.close();
    const thought = thoughtClient(gateway);
    const detected = await thought.call('DetectPatterns', { subject: 'launcher', config: { absoluteSupport: 1 } });
    thought.close();
    expect(detected.patterns.map((p: { elements: { items: string[] }[] }) => p.elements[0]!.items[0])).toEqual(['start']);
    first.proc.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Engram local cluster stopped.');

    const second = launch();
    const again = await second.up;
    const client2 = memoryClient(again.gateway);
    const { memory } = await client2.call('Recall', { subject: 'launcher', id });
    client2.close();
    expect(memory.content).toBe('started with npm start');
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('leaves no node running when the launcher itself is killed', async () => {
    const launcher = launch();
    const { gateway, shards, engines } = await launcher.up;
    launcher.proc.kill('SIGKILL');
    await launcher.exited;
    // Every node notices its parent is gone (ENGRAM_STOP_WITH_PARENT, set by the launcher) and stops: its port closes.
    const open = async () => (await Promise.all([gateway, ...shards, ...engines].map(accepts))).filter(Boolean).length;
    const until = Date.now() + 30_000;
    while ((await open()) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await open()).toBe(0);
  });
});

/** Whether host:port accepts a TCP connection. */
function accepts(address: string): Promise<boolean> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

