import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { adminClient, memoryClient, thoughtClient } from './harness/clients.js';
import { ROOT, waitFor } from './harness/processes.js';
import { allExpressions } from './harness/promql.js';

const PROMETHEUS = '/usr/bin/prometheus';
const HOUR = 3600_000;

/** A free loopback port (Prometheus cannot listen on port 0 and report the port). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface QueryResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  error?: string;
}

/**
 * A real Prometheus (Debian's package) scrapes a cluster under a short load; then every PromQL expression of every
 * dashboard panel and every alert rule (its left-hand side) must return data: no dead panel, no metric that does
 * not exist.
 */
describe('Prometheus scraping a live cluster', () => {
  let cluster: TestCluster;
  let prometheus: ChildProcess | undefined;
  let logs = '';
  let url = '';
  const dir = mkdtempSync(join(tmpdir(), 'engram-prometheus-'));

  const query = async (expr: string): Promise<QueryResult> => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as QueryResult;

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: .ci/run installs Debian's prometheus package (apt-get install prometheus)`);
    cluster = await new TestCluster({ shards: 2, engines: 1 }).start();
    const targets = (nodes: { metricsAddress: string }[]) => nodes.map((n) => `'${n.metricsAddress}'`).join(', ');
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${join(ROOT, 'deploy/prometheus/alerts.yml')}`,
      'scrape_configs:',
      `  - job_name: engram-gateway\n    static_configs:\n      - targets: [${targets([cluster.gateway])}]`,
      `  - job_name: engram-shard\n    static_configs:\n      - targets: [${targets(cluster.shards)}]`,
      `  - job_name: engram-engine\n    static_configs:\n      - targets: [${targets(cluster.engines)}]`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    prometheus.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    await waitFor(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, `Prometheus to be ready:\n${logs}`, 30_000);
    await waitFor(async () => {
      const up = await query('up');
      return up.data.result.length === 4 && up.data.result.every((r) => r.value[1] === '1');
    }, 'every node to be scraped and up', 20_000);

    // A short, bounded load over every public RPC kind.
    const memory = memoryClient(cluster.address);
    const thought = thoughtClient(cluster.address);
    const admin = adminClient(cluster.address);
    try {
      const start = Date.now() - 24 * HOUR;
      for (let s = 0; s < 4; s++) {
        const subject = `load-${s}`;
        const memories = Array.from({ length: 30 }, (_, i) => ({
          subject,
          id: `${subject}-${i}`,
          kind: ['open', 'search', 'buy'][i % 3]!,
          content: `step ${i} of session ${Math.floor(i / 3)}`,
          occurredAt: { seconds: Math.floor((start + Math.floor(i / 3) * HOUR + (i % 3) * 60_000) / 1000), nanos: 0 },
        }));
        await memory.call('RememberBatch', { memories });
        await memory.call('Remember', { memory: { subject, kind: 'note', content: `a single note for ${subject}` } });
        await memory.call('Recall', { subject, id: `${subject}-0` });
        await memory.call('Query', { subject, text: 'step session' });
        await thought.call('DetectPatterns', { subject, config: { relativeSupport: 0.5 } });
        const predictions = (await thought.call('Predict', { subject, context: ['open', 'search'] })).predictions;
        if (predictions[0]) await thought.call('Feedback', { subject, predictionId: predictions[0].predictionId, reward: 1 });
      }
      await memory.call('Query', { text: 'note' });
      await thought.call('Dream', { options: { promoteThreshold: 100 } });
      await admin.call('ClusterStatus', {});
    } finally {
      memory.close();
      thought.close();
      admin.close();
    }
    // A rate over [1m] needs a counter seen by two scrapes with an increase between them. The load above can finish
    // within one scrape interval (its series then appear with their final values), so a light trickle of calls
    // (ClusterStatus: gateway and every node) goes on until a rate shows: every 200 ms, for at most 20 s.
    const trickle = adminClient(cluster.address);
    try {
      await waitFor(
        async () => {
          await trickle.call('ClusterStatus', {});
          const r = await query('sum(rate(engram_rpc_server_duration_seconds_count[1m]))');
          return r.data.result.length > 0 && Number(r.data.result[0]!.value[1]) > 0 && Number.isFinite(Number(r.data.result[0]!.value[1]));
        },
        'request rates to show',
        20_000,
        200,
      );
    } finally {
      trickle.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two more scrape intervals, for every rate window
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.on('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the alert rules', async () => {
    const rules = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(0);
    for (const r of all) expect(r.health, r.name).not.toBe('err');
  });

  it('returns data for every dashboard panel and alert expression', async () => {
    const expressions = allExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    const dead: string[] = [];
    for (const { source, expr } of expressions) {
      const r = await query(expr);
      if (r.status !== 'success') dead.push(`${source}: ${r.error ?? r.status}: ${expr}`);
      else if (r.data.result.length === 0 && !(r.data.resultType === 'scalar')) dead.push(`${source}: no data: ${expr}`);
    }
    expect(dead, dead.join('\n')).toEqual([]);
  });
});
