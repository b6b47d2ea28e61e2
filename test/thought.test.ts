import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/cluster.js';
import { adminClient, codeOf, engineClient, memoryClient, shardClient, thoughtClient, type AsyncClient } from './harness/clients.js';
import { waitFor } from './harness/processes.js';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const RESOURCE_EXHAUSTED = 8;

const HOUR = 3600_000;
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const kinds = (p: { elements: { items: string[] }[] }) => p.elements.map((e) => e.items.join('+')).join(' > ');

/**
 * A subject's stream of `episodes` episodes, an hour apart, each a few minutes long: the planted sequence
 * login → browse → purchase in `planted` of them, login → browse → logout in `alternative` others, and noise kinds
 * in between (seeded, so every run writes the same stream).
 */
function plantedStream(subject: string, start: number, episodes = 12, planted = 9, alternative = 3) {
  const memories: { subject: string; kind: string; content: string; occurredAt: object; id: string }[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const noise = ['scroll', 'search', 'chat', 'idle'];
  for (let e = 0; e < episodes; e++) {
    const tail = e < planted ? 'purchase' : e < planted + alternative ? 'logout' : 'idle';
    const steps = ['login', noise[Math.floor(rand() * 4)]!, 'browse', tail, noise[Math.floor(rand() * 4)]!];
    steps.forEach((kind, i) =>
      memories.push({ id: `${subject}-${e}-${i}`, subject, kind, content: `${kind} in session ${e}`, occurredAt: ts(start + e * HOUR + i * 60_000) }),
    );
  }
  return memories;
}

describe('thought engine through the gateway', () => {
  let cluster: TestCluster;
  let memory: AsyncClient;
  let thought: AsyncClient;
  const start = Date.now() - 24 * HOUR;

  beforeAll(async () => {
    cluster = await new TestCluster({ engines: 2, shardEnv: { ENGRAM_RETENTION_SWEEP_INTERVAL: '1h' } }).start();
    memory = memoryClient(cluster.address);
    thought = thoughtClient(cluster.address);
  });
  afterAll(async () => {
    memory?.close();
    thought?.close();
    await cluster?.stop();
  });

  it('detects a planted pattern, stores it with evidence, and lists it', async () => {
    const subject = 'shopper';
    expect((await memory.call('RememberBatch', { memories: plantedStream(subject, start) })).succeeded).toBe(60);
    const res = await thought.call('DetectPatterns', {
      subject,
      config: { relativeSupport: 0.5, minPatternLength: 2, maxPatternLength: 3, maxGap: 1, itemSource: 'ITEM_SOURCE_KIND' },
    });
    expect(res.stats.episodes).toBe(12);
    expect(res.stats.memories).toBe(60);
    const planted = res.patterns.find((p: any) => kinds(p) === 'login > browse > purchase');
    expect(planted).toBeDefined();
    expect(planted.support).toBe(9);
    expect(planted.confidence).toBeCloseTo(9 / 12);
    expect(planted.evidenceIds.length).toBeGreaterThanOrEqual(3);
    // Evidence names real memories of the pattern's kinds.
    const evidence = await memory.call('Recall', { subject, id: planted.evidenceIds[0], skipReinforce: true });
    expect(['login', 'browse', 'purchase']).toContain(evidence.memory.kind);
    expect(res.stored).toBe(res.patterns.length);

    const listed = await thought.call('ListPatterns', { subject, limit: 1000 });
    expect(listed.patterns.map((p: any) => p.id).sort()).toEqual(res.patterns.map((p: any) => p.id).sort());
  });

  it('gives the same patterns for any ConcurrencyLevel and BatchSize', async () => {
    const subject = 'shopper';
    const run = async (concurrencyLevel: number, batchSize: number) =>
      (await thought.call('DetectPatterns', { subject, dryRun: true, config: { relativeSupport: 0.2, maxPatternLength: 4, concurrencyLevel, batchSize } })).patterns.map(
        (p: any) => `${kinds(p)}:${p.support}`,
      );
    const one = await run(1, 1);
    expect(one.length).toBeGreaterThan(20);
    expect(await run(2, 3)).toEqual(one);
    expect(await run(2, 1000)).toEqual(one);
  });

  it('predicts the planted continuation, and feedback changes the ranking', async () => {
    const subject = 'shopper';
    // Store patterns at a support low enough to include the alternative ending too.
    await thought.call('DetectPatterns', { subject, config: { relativeSupport: 0.2, minPatternLength: 1, maxPatternLength: 3, maxGap: 1 } });
    const predict = async () => (await thought.call('Predict', { subject, context: ['login', 'browse'], k: 10 })).predictions as any[];
    const before = await predict();
    expect(before[0].item).toBe('purchase');
    const logout = before.find((p) => p.item === 'logout');
    expect(logout).toBeDefined();
    expect(before[0].patternIds.length).toBeGreaterThan(0);

    // The user says purchase was wrong and logout right, three times each.
    for (let i = 0; i < 3; i++) {
      const down = await thought.call('Feedback', { subject, predictionId: before[0].predictionId, reward: -1 });
      const up = await thought.call('Feedback', { subject, predictionId: logout.predictionId, reward: 1 });
      expect(down.weightsUpdated).toBeGreaterThanOrEqual(1);
      expect(up.weight).toBeGreaterThan(1);
      expect(down.weight).toBeLessThan(1);
    }
    const after = await predict();
    expect(after[0].item).toBe('logout');
    expect(after.find((p) => p.item === 'purchase').probability).toBeLessThan(before[0].probability);
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field, and unknown targets with NOT_FOUND', async () => {
    const bad = async (method: string, req: object, field: string) => {
      const err = await thought.call(method, req).then(() => undefined, (e) => e);
      expect(err?.code, `${method} ${field}`).toBe(INVALID_ARGUMENT);
      expect(err.details).toContain(field);
    };
    await bad('DetectPatterns', { subject: '' }, 'subject');
    await bad('DetectPatterns', { subject: 'shopper', config: { relativeSupport: 2 } }, 'config.relative_support');
    await bad('DetectPatterns', { subject: 'shopper', config: { indexingStrategy: 'INDEXING_STRATEGY_NGRAM', maxGap: 2 } }, 'config.max_gap');
    await bad('DetectPatterns', { subject: 'shopper', config: { minPatternLength: 4, maxPatternLength: 2 } }, 'config.max_pattern_length');
    await bad('DetectPatterns', { subject: 'shopper', config: { cpuLimit: 1.5 } }, 'config.cpu_limit');
    await bad('DetectPatterns', { subject: 'shopper', config: { memoryLimit: 1e15 } }, 'config.memory_limit');
    await bad('Predict', { subject: 'shopper', k: 1000 }, 'k');
    await bad('Feedback', { subject: 'shopper', patternId: 'p_x', reward: 3 }, 'reward');
    await bad('Feedback', { subject: 'shopper', reward: 1 }, 'target');
    await bad('Feedback', { subject: 'shopper', predictionId: 'not-a-prediction', reward: 1 }, 'prediction_id');
    await bad('Dream', { subject: 'shopper', options: { patterns: { relativeSupport: -1 } } }, 'options.patterns.relative_support');
    expect(await codeOf(thought.call('Feedback', { subject: 'shopper', patternId: 'p_doesnotexist', reward: 1 }))).toBe(NOT_FOUND);
    expect(await codeOf(thought.call('Feedback', { subject: 'shopper', memoryId: 'no-such-memory', reward: 1 }))).toBe(NOT_FOUND);
  });

  it('dreams: insights with evidence in DREAM, promotion to ETERNAL by activation, expiry by retention', async () => {
    const subject = 'dreamer';
    await memory.call('RememberBatch', { memories: plantedStream(subject, start) });
    // One memory is recalled often (high activation); one expires in a moment.
    const hot = `${subject}-0-0`;
    for (let i = 0; i < 12; i++) await memory.call('Recall', { subject, id: hot });
    await memory.call('Remember', { memory: { subject, id: 'fleeting', kind: 'note', content: 'gone soon', ttl: { seconds: 1, nanos: 0 } } });
    await waitFor(async () => (await codeOf(memory.call('Recall', { subject, id: 'fleeting', skipReinforce: true }))) === NOT_FOUND, 'the fleeting memory to expire', 10_000);

    const report = await thought.call('Dream', {
      subject,
      options: { promoteThreshold: 1.5, maxInsights: 3, patterns: { relativeSupport: 0.5, minPatternLength: 2, maxPatternLength: 3, maxGap: 1 } },
    });
    expect(report.subjects).toBe(1);
    expect(report.newMemories).toBe(60);
    expect(report.patternsFound).toBeGreaterThan(0);
    expect(report.patternsNew).toBe(report.patternsFound);
    expect(report.minedFully).toBe(1);
    expect(report.insightsWritten).toBeGreaterThan(0);
    expect(report.insightsWritten).toBeLessThanOrEqual(3);
    expect(report.promotedIds).toContain(hot);
    expect(report.expired).toBe(1);

    const insight = (await memory.call('Recall', { subject, id: report.insightIds[0], skipReinforce: true })).memory;
    expect(insight.layer).toBe('LAYER_DREAM');
    expect(insight.kind).toBe('insight');
    expect(insight.evidenceIds.length).toBeGreaterThan(0);
    for (const id of insight.evidenceIds) expect((await memory.call('Recall', { subject, id, skipReinforce: true })).memory.subject).toBe(subject);
    expect((await memory.call('Recall', { subject, id: hot, skipReinforce: true })).memory.layer).toBe('LAYER_ETERNAL');

    // Nothing new since: the next dream replays, finds nothing to learn, writes nothing.
    const again = await thought.call('Dream', { subject, options: { promoteThreshold: 1.5 } });
    expect(again.skipped).toBe(1);
    expect(again.newMemories).toBe(0);
    expect(again.insightsWritten).toBe(0);

    // New memories: the dream replays them against the model it had, and learns from the replay.
    // Three more sessions, login → browse → purchase straight: the old model predicts each step right.
    const late = [0, 1, 2].flatMap((e) =>
      ['login', 'browse', 'purchase'].map((kind, i) => ({ subject, id: `late-${e}-${i}`, kind, content: `${kind} later ${e}`, occurredAt: ts(start + (13 + e) * HOUR + i * 60_000) })),
    );
    await memory.call('RememberBatch', { memories: late });
    const third = await thought.call('Dream', { subject, options: { promoteThreshold: 100, patterns: { relativeSupport: 0.5, minPatternLength: 2, maxPatternLength: 3, maxGap: 1 } } });
    expect(third.newMemories).toBe(9);
    // The first dream left every frequent pattern and its support; this one mined only what changed.
    expect(third.minedIncrementally).toBe(1);
    expect(third.weightsUpdated).toBeGreaterThan(0);
    expect(third.patternsStrengthened).toBeGreaterThan(0);
  });

  it('dreams a whole tenant, and forgetting a subject forgets its patterns and weights', async () => {
    const report = await thought.call('Dream', { options: { dryRun: true, promoteThreshold: 100 } });
    expect(report.subjects).toBeGreaterThanOrEqual(2);
    expect(report.failedSubjects).toEqual([]);

    await memory.call('ForgetSubject', { subject: 'dreamer' });
    expect((await thought.call('ListPatterns', { subject: 'dreamer' })).patterns).toEqual([]);
    expect((await thought.call('Predict', { subject: 'dreamer', context: ['login'] })).predictions).toEqual([]);
  });

  it('shows the engines in ClusterStatus', async () => {
    const admin = adminClient(cluster.address);
    try {
      const status = await admin.call('ClusterStatus', {});
      const engines = status.nodes.filter((n: any) => n.role === 'NODE_ROLE_THOUGHT_ENGINE');
      expect(engines).toHaveLength(2);
      for (const e of engines) {
        expect(e.health).toBe('NODE_HEALTH_SERVING');
        expect(e.workerThreads).toBeGreaterThan(0);
      }
    } finally {
      admin.close();
    }
  });

  it('keeps working through the other engine when one is killed', async () => {
    await cluster.stopEngine(0, 'SIGKILL');
    // Subjects spread over both engines on the ring; every one of them must still be served.
    for (let i = 0; i < 6; i++) {
      const subject = `survivor-${i}`;
      await memory.call('RememberBatch', { memories: plantedStream(subject, start, 4, 4, 0) });
      const res = await thought.call('DetectPatterns', { subject, config: { relativeSupport: 0.5, minPatternLength: 2, maxPatternLength: 2 } });
      expect(res.patterns.length).toBeGreaterThan(0);
      const predictions = (await thought.call('Predict', { subject, context: ['login', 'browse'] })).predictions;
      expect(predictions[0].item).toBe('purchase');
      await thought.call('Feedback', { subject, predictionId: predictions[0].predictionId, reward: 1 });
    }
  });
});

describe('thought engine limits', () => {
  it('answers RESOURCE_EXHAUSTED quickly when the pool is saturated, and when a task outgrows its memory; it keeps serving', async () => {
    const cluster = await new TestCluster({
      shards: 1,
      engines: 1,
      engineEnv: { ENGRAM_PATTERN_CONCURRENCY: '1', ENGRAM_PATTERN_MAX_QUEUE: '1', ENGRAM_PATTERN_MEMORY_LIMIT: '64mb' },
    }).start();
    const memory = memoryClient(cluster.address);
    const thought = thoughtClient(cluster.address);
    try {
      // 40 identical episodes of 24 distinct kinds: every subsequence is frequent, so unbounded mining explodes.
      const memories = [];
      for (let e = 0; e < 40; e++) for (let i = 0; i < 24; i++) memories.push({ subject: 'dense', id: `d-${e}-${i}`, kind: `k${i}`, content: `step ${i}`, occurredAt: ts(Date.now() - 100 * HOUR + e * HOUR + i * 1000) });
      expect((await memory.call('RememberBatch', { memories })).succeeded).toBe(960);
      const explode = { subject: 'dense', dryRun: true, config: { absoluteSupport: 40, maxPatternLength: 24, batchSize: 1000 } };

      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () =>
          thought.call('DetectPatterns', explode, 60_000).then(
            () => ({ code: 0, details: '', at: performance.now() }),
            (e) => ({ code: e.code as number, details: e.details as string, at: performance.now() }),
          ),
        ),
      );
      const saturated = outcomes.filter((o) => o.code === RESOURCE_EXHAUSTED && o.details.includes('saturated'));
      const outOfMemory = outcomes.filter((o) => o.code === RESOURCE_EXHAUSTED && o.details.includes('memory limit'));
      expect(saturated.length).toBeGreaterThan(0);
      expect(outOfMemory.length).toBeGreaterThan(0);
      expect(outcomes.every((o) => o.code === RESOURCE_EXHAUSTED)).toBe(true);
      // "Quickly": a saturated pool answers at once, before the task it is busy with has even failed.
      expect(Math.min(...saturated.map((o) => o.at))).toBeLessThan(Math.min(...outOfMemory.map((o) => o.at)));

      // The engine still serves: a bounded request on the same stream works.
      const ok = await thought.call('DetectPatterns', { subject: 'dense', dryRun: true, config: { absoluteSupport: 40, maxPatternLength: 2, maxGap: 0 } });
      expect(ok.patterns.length).toBe(24 + 23);
      expect(cluster.engines[0]!.proc.exitCode).toBeNull();
    } finally {
      memory.close();
      thought.close();
      await cluster.stop();
    }
  });
});

describe('scheduled dreams', () => {
  it('dream subjects with enough new memories on their own, and leave the others', async () => {
    const cluster = await new TestCluster({
      shards: 2,
      engines: 1,
      engineEnv: {
        ENGRAM_DREAM_INTERVAL: '300ms',
        ENGRAM_DREAM_MIN_NEW: '20',
        ENGRAM_PATTERN_MIN_SUPPORT: '0.5',
        ENGRAM_PATTERN_MIN_LENGTH: '2',
        ENGRAM_PATTERN_MAX_GAP: '1',
      },
    }).start();
    const memory = memoryClient(cluster.address);
    const engine = engineClient(cluster.engines[0]!.address);
    try {
      const start = Date.now() - 48 * HOUR;
      await memory.call('RememberBatch', { memories: plantedStream('busy', start) });
      await memory.call('RememberBatch', { memories: plantedStream('quiet', start, 2, 2, 0) });
      const insights = async (subject: string) =>
        (await memory.call('Query', { subject, layers: ['LAYER_DREAM'], kinds: ['insight'], limit: 100, skipReinforce: true })).results as { memory: { evidenceIds: string[] } }[];
      const found = await waitFor(async () => {
        const r = await insights('busy');
        return r.length > 0 && r;
      }, 'a scheduled dream to write insights for the busy subject', 20_000);
      expect(found[0]!.memory.evidenceIds.length).toBeGreaterThan(0);
      // Two more whole passes over every subject: "quiet" has 10 new memories, under ENGRAM_DREAM_MIN_NEW.
      const passes = async () => (await engine.call('Stats', {})).dreamPasses as number;
      const seen = await passes();
      await waitFor(async () => (await passes()) >= seen + 2, 'two more scheduler passes', 20_000);
      expect(await insights('quiet')).toEqual([]);
      // "quiet" was never dreamt: no dream state on its shard. (The count of dreams is not exact: busy's batch, of
      // memories with client ids, commits in several group commits, and a pass that sees 20 of them dreams then and
      // again for the rest.)
      const dreamStates = (subject: string) =>
        Promise.all(
          cluster.shards.map(async (s) => {
            const client = shardClient(s.address);
            try {
              return ((await client.call('GetDreamState', { subject })) as { state: unknown }).state;
            } finally {
              client.close();
            }
          }),
        );
      expect(await dreamStates('quiet')).toEqual([null, null]);
      // (busy's owner has one.)
      expect((await dreamStates('busy')).filter((s) => s !== null)).toHaveLength(1);
      expect((await engine.call('Stats', {})).dreams).toBeGreaterThanOrEqual(1);
    } finally {
      engine.close();
      memory.close();
      await cluster.stop();
    }
  });
});
