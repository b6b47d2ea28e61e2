import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { ROOT } from './harness/processes.js';

// The built CLI (packages/cli/dist/main.js) as a user runs it: a child process, its stdout, stderr and exit code.

const CLI = join(ROOT, 'packages/cli/dist/main.js');
const execFileAsync = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with these arguments; resolves with the exit code instead of rejecting on a non-zero one. */
async function cli(args: readonly string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.ENGRAM_ADDRESS;
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { cwd: ROOT, env, timeout: 60_000, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as ExecFileException & { stdout?: string; stderr?: string };
    // A process that was killed (timeout) or could not start is a test failure, not an outcome to check.
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let cluster: TestCluster;
let workDir: string;

/** The CLI against the test cluster with --json. */
const engram = (...args: string[]) => cli(['--address', cluster.address, '--json', ...args]);

/** Stdout as the one JSON document a --json command prints, after checking the exit code. */
function json(run: Run, code = 0): any {
  expect(run.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(run.code, `exit code (stderr: ${run.stderr})`).toBe(code);
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  cluster = await new TestCluster({ engines: 1 }).start();
  workDir = mkdtempSync(join(tmpdir(), 'engram-cli-'));
});

afterAll(async () => {
  await cluster?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('engram CLI', () => {
  it('remembers a memory and recalls it by id', async () => {
    const saved = json(
      await engram('remember', 'cli-alice', 'Alice', 'drinks', 'oolong', 'tea', 'every', 'morning', '--kind', 'message', '--tag', 'drink', '--tag', 'habit', '--attr', 'source=cli', '--importance', '0.7', '--layer', 'logic'),
    );
    expect(saved.id).toMatch(/^[A-Za-z0-9._:-]+$/);
    expect(saved.layer).toBe('LAYER_LOGIC');
    expect(saved.deduplicated).toBe(false);

    const { memory } = json(await engram('recall', 'cli-alice', saved.id, '--no-reinforce'));
    expect(memory).toMatchObject({
      id: saved.id,
      subject: 'cli-alice',
      content: 'Alice drinks oolong tea every morning',
      layer: 'LAYER_LOGIC',
      kind: 'message',
      tags: ['drink', 'habit'],
      attributes: { source: 'cli' },
    });
    expect(memory.importance).toBeCloseTo(0.7, 5);
    expect(memory.keywords).toContain('oolong');
    expect(Date.parse(memory.ingestedAt)).toBeGreaterThan(0);

    const human = await cli(['--address', cluster.address, 'recall', 'cli-alice', saved.id, '--no-reinforce']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^content:\s+Alice drinks oolong tea every morning$/m);
    expect(human.stdout).toMatch(/^layer:\s+logic$/m);
  });

  it('finds a memory by text within its subject and tenant-wide', async () => {
    const { id } = json(await engram('remember', 'cli-bob', 'Bob collects antique barometers'));
    const bySubject = json(await engram('query', 'barometers', '--subject', 'cli-bob'));
    expect(bySubject.results.map((r: any) => r.memory.id)).toEqual([id]);
    expect(bySubject.nextPageToken).toBe('');

    const tenantWide = json(await engram('query', 'antique barometers', '--limit', '5'));
    expect(tenantWide.results[0].memory).toMatchObject({ id, subject: 'cli-bob' });
    expect(tenantWide.unavailableShards).toEqual([]);

    const table = await cli(['--address', cluster.address, 'query', 'barometers']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/RANK\s+SCORE\s+SUBJECT\s+ID\s+LAYER\s+CONTENT/);
    expect(table.stdout).toContain(id);
  });

  it('imports a JSONL file in batches and reports the bad lines by number', async () => {
    const file = join(workDir, 'import.jsonl');
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({
        subject: `import-${i % 50}`,
        content: `Observation ${i}: the customer asked about order ${1000 + i} and its delivery window`,
        kind: 'observation',
        tags: [`batch-${i % 4}`],
        occurred_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      }),
    );
    lines[9] = '{"subject": "import-9", "content": oops}';
    lines[1499] = JSON.stringify({ subject: '', content: 'nobody in particular' });
    writeFileSync(file, `${lines.join('\n')}\n`);

    const summary = json(await engram('import', file, '--batch-size', '250', '--concurrency', '4'), 1);
    expect(summary).toMatchObject({ total: 2000, succeeded: 1998, failed: 2, deduplicated: 0 });
    expect(summary.errors).toEqual([
      { line: 10, message: expect.stringMatching(/^invalid JSON: /) },
      { line: 1500, status: 'INVALID_ARGUMENT', message: expect.stringMatching(/subject/) },
    ]);
    expect(summary.writesPerSecond).toBeGreaterThan(0);

    // Subject import-7 got every 50th line from line 8 on: 40 memories.
    const stored = json(await engram('query', '--subject', 'import-7', '--limit', '100', '--no-reinforce'));
    expect(stored.results).toHaveLength(40);

    const human = await cli(['--address', cluster.address, 'import', file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/succeeded:\s+1998/);
    expect(human.stdout).toMatch(/deduplicated:\s+1998/); // the same lines again reinforce what is there
    expect(human.stdout).toMatch(/^ {2}line 10: invalid JSON/m);
    expect(human.stdout).toMatch(/^ {2}line 1500: INVALID_ARGUMENT: /m);
  });

  it('forgets one memory, and a whole subject only when asked explicitly', async () => {
    const { id } = json(await engram('remember', 'cli-carol', 'Carol moved to Lisbon'));
    expect(json(await engram('forget', 'cli-carol', id))).toEqual({ subject: 'cli-carol', id, existed: true });
    expect(json(await engram('forget', 'cli-carol', id))).toEqual({ subject: 'cli-carol', id, existed: false });
    const gone = await engram('recall', 'cli-carol', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: NOT_FOUND: /);

    const facts = await Promise.all([0, 1, 2].map((i) => engram('remember', 'cli-dave', `Dave fact number ${i}`)));
    for (const fact of facts) json(fact);
    const refused = await engram('forget', 'cli-dave');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--all-of-subject/);
    expect(json(await engram('query', '--subject', 'cli-dave')).results).toHaveLength(3);

    expect(json(await engram('forget', 'cli-dave', '--all-of-subject'))).toEqual({ subject: 'cli-dave', deleted: 3 });
    expect(json(await engram('query', '--subject', 'cli-dave')).results).toHaveLength(0);
  });

  it('shows the cluster: a gateway, three serving shards and a thought engine', async () => {
    const status = json(await engram('status'));
    expect(status.nodes).toHaveLength(5);
    expect(status.nodes.filter((n: any) => n.role === 'NODE_ROLE_THOUGHT_ENGINE').map((n: any) => n.health)).toEqual(['NODE_HEALTH_SERVING']);
    const shards = status.nodes.filter((n: any) => n.role === 'NODE_ROLE_MEMORY_SHARD');
    expect(shards.filter((n: any) => n.health === 'NODE_HEALTH_SERVING')).toHaveLength(3);
    expect(shards.reduce((sum: number, n: any) => sum + n.ringShare, 0)).toBeCloseTo(1, 5);
    expect(status.vnodes).toBeGreaterThan(0);

    const human = await cli(['--address', cluster.address, 'status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+ROLE\s+HEALTH\s+ADDRESS\s+RING\s+MEMORIES\s+DISK\/POOL\s+RPS\s+P99 MS\s+CPU\s+RSS\s+LAG MS\s+PING MS$/m);
    expect(human.stdout).toContain('shards serving: 3/3');
    // The load figures are the nodes' own, as their metrics measure them, and so are the metrics endpoints.
    for (const n of status.nodes) {
      expect(n.load.residentBytes).toBeGreaterThan(0);
      expect(n.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(human.stdout).toContain(`http://${n.metricsAddress}/metrics`);
    }
  });

  it('detects a repeated sequence, predicts its continuation, learns from feedback and dreams', async () => {
    // Six sessions an hour apart (the default episode gap is 30 minutes), a minute between steps:
    // open → search → buy in four of them, open → search → leave in two.
    const subject = 'cli-shopper';
    const start = Date.now() - 24 * 3600_000;
    const lines = Array.from({ length: 6 }, (_, e) =>
      ['open', 'search', e < 4 ? 'buy' : 'leave'].map((kind, i) =>
        JSON.stringify({ subject, kind, content: `${kind} in session ${e}`, occurredAt: new Date(start + e * 3600_000 + i * 60_000).toISOString() }),
      ),
    ).flat();
    const file = join(workDir, 'sessions.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(json(await engram('import', file))).toMatchObject({ total: 18, succeeded: 18, deduplicated: 0 });

    const detected = json(await engram('detect', subject, '--min-support', '0.5', '--max-gap', '0', '--items', 'kind'));
    expect(detected.stats).toMatchObject({ memories: 18, episodes: 6 });
    expect(detected.stored).toBe(detected.patterns.length);
    const sequence = (p: any) => p.elements.map((e: any) => e.items.join('+')).join(' > ');
    const planted = detected.patterns.find((p: any) => sequence(p) === 'open > search > buy');
    expect(planted).toMatchObject({ support: 4, strategy: 'INDEXING_STRATEGY_NGRAM', itemSource: 'ITEM_SOURCE_KIND', maxGap: 0 });
    expect(planted.relativeSupport).toBeCloseTo(4 / 6, 5);
    expect(planted.confidence).toBeCloseTo(4 / 6, 5);
    expect(Date.parse(planted.detectedAt)).toBeGreaterThan(0);
    // "leave" is in two of six sessions: below the support asked for.
    expect(detected.patterns.some((p: any) => sequence(p).includes('leave'))).toBe(false);

    const listed = await cli(['--address', cluster.address, 'patterns', subject, '--limit', '100']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^PATTERN\s+SUPPORT\s+SHARE\s+CONFIDENCE\s+ID$/m);
    expect(listed.stdout).toMatch(new RegExp(`^open → search → buy\\s+4\\s+66\\.7%\\s+0\\.667\\s+${planted.id}$`, 'm'));

    const predicted = json(await engram('predict', subject, 'open', 'search', '-k', '3'));
    expect(predicted.context).toEqual(['open', 'search']);
    expect(predicted.patterns).toBe(detected.patterns.length);
    const [top] = predicted.predictions;
    expect(top.item).toBe('buy');
    expect(top.probability).toBeGreaterThan(0);
    expect(top.patternIds).toContain(planted.id);

    const learned = json(await engram('feedback', subject, '--prediction', top.predictionId, '--reward', '1'));
    expect(learned.weight).toBeGreaterThan(1);
    expect(learned.learningRate).toBeGreaterThan(0);
    expect(learned.weightsUpdated).toBeGreaterThanOrEqual(1);
    const usage = await engram('feedback', subject, '--prediction', top.predictionId, '--pattern', planted.id, '--reward', '1');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: give exactly one target/);

    const report = json(await engram('dream', subject, '--min-support', '0.5', '--max-insights', '2', '--promote-threshold', '100'));
    expect(report).toMatchObject({ subjects: 1, newMemories: 18, promoted: 0, failedSubjects: [] });
    expect(report.patternsFound).toBeGreaterThan(0);
    expect(report.insightsWritten).toBeLessThanOrEqual(2);
    expect(report.insightIds).toHaveLength(report.insightsWritten);

    // The server's own checks pass through with their field names.
    const refused = await engram('detect', subject, '--memory-limit', '1tb');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: INVALID_ARGUMENT: config\.memory_limit/);
  });

  it('fails fast with UNAVAILABLE and exit code 1 when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));

    const started = performance.now();
    const run = await cli(['--address', `127.0.0.1:${port}`, '--timeout', '30000', 'status']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: UNAVAILABLE: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Well under the 30 s deadline: a refused connection is reported at once.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('reports usage errors with exit code 2', async () => {
    const run = await engram('remember', 'cli-erin', 'too', 'important', '--importance', '2');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: option '--importance <0\.\.1>' argument '2' is invalid/);
    expect((await cli(['no-such-command'])).code).toBe(2);
  });
});
