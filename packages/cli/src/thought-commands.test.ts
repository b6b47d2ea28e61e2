import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngramClient } from './client.js';
import { run } from './program.js';

// detect, patterns, predict, feedback and dream as a user runs them, against a fake client: which request each
// command line sends, what it prints, and its exit code. No server.

const calls: { method: string; request: unknown }[] = [];
let failWith: Error | undefined;

const pattern = {
  id: 'p_1',
  elements: [{ items: ['open'] }, { items: ['search'] }, { items: ['buy'] }],
  support: 4,
  relativeSupport: 4 / 6,
  confidence: 2 / 3,
  strategy: 'INDEXING_STRATEGY_PREFIXSPAN',
  itemSource: 'ITEM_SOURCE_KIND',
  weight: 1,
  evidenceIds: ['m1', 'm2'],
  detectedAt: { seconds: 1714557600, nanos: 0 },
  maxGap: 1,
  _maxGap: 'maxGap',
};
const stats = { memories: 18, episodes: 6, distinctItems: 4, frequentItems: 3, tasks: 2, threads: 2, miningMs: 12.34, queueMs: 0.5, patternsFound: 1 };
const report = {
  subjects: 1,
  replayed: 18,
  newMemories: 18,
  patternsFound: 7,
  patternsNew: 7,
  patternsStrengthened: 0,
  weightsUpdated: 3,
  insightsWritten: 2,
  promoted: 0,
  expired: 0,
  skipped: 0,
  insightIds: ['i1', 'i2'],
  promotedIds: [],
  durationMs: 42,
  failedSubjects: [],
  minedIncrementally: 0,
  minedFully: 1,
};

const answer = (method: string, response: unknown) => async (request: unknown) => {
  calls.push({ method, request });
  if (failWith) throw failWith;
  return response;
};

const fake = {
  detectPatterns: answer('detectPatterns', { patterns: [pattern], stats, stored: 1 }),
  listPatterns: answer('listPatterns', { patterns: [pattern] }),
  predict: answer('predict', {
    predictions: [
      { item: 'buy', probability: 0.75, patternIds: ['p_1'], predictionId: 'pr_buy' },
      { item: 'leave', probability: 0.25, patternIds: [], predictionId: 'pr_leave' },
    ],
    context: ['open', 'search'],
    patterns: 7,
  }),
  feedback: answer('feedback', { weight: 1.25, learningRate: 0.5, updates: 1, weightsUpdated: 2 }),
  dream: answer('dream', report),
  close: () => {},
} as unknown as EngramClient;

vi.mock(import('./client.js'), async (importOriginal) => ({ ...(await importOriginal()), createClient: () => fake }));

let stdout = '';
let stderr = '';

beforeEach(() => {
  calls.length = 0;
  failWith = undefined;
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the command line; the exit code. */
const engram = (...args: string[]) => run(['--address', 'fake:1', ...args]);

/** The one request the command sent. */
function sent(method: string): any {
  expect(calls.map((c) => c.method)).toEqual([method]);
  return calls[0]!.request;
}

describe('engram detect', () => {
  it('sends every mining flag in the PatternConfig', async () => {
    const code = await engram(
      'detect', 'alice',
      '--strategy', 'prefixspan', '--items', 'tags', '--min-support', '3', '--min-length', '2', '--max-length', '4',
      '--max-gap', '1', '--episode-gap', '10m', '--layers', 'logic,eternal', '--since', '2024-05-01', '--until', '2024-06-01',
      '--max-patterns', '20', '--concurrency', '2', '--batch-size', '8', '--cpu-limit', '0.5', '--memory-limit', '64mb', '--dry-run',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent('detectPatterns')).toEqual({
      subject: 'alice',
      dryRun: true,
      config: {
        indexingStrategy: 'INDEXING_STRATEGY_PREFIXSPAN',
        itemSource: 'ITEM_SOURCE_TAGS',
        absoluteSupport: 3,
        minPatternLength: 2,
        maxPatternLength: 4,
        maxGap: 1,
        episodeGap: { seconds: 600, nanos: 0 },
        layers: ['LAYER_LOGIC', 'LAYER_ETERNAL'],
        occurred: { start: { seconds: Date.parse('2024-05-01') / 1000, nanos: 0 }, end: { seconds: Date.parse('2024-06-01') / 1000, nanos: 0 } },
        maxPatterns: 20,
        concurrencyLevel: 2,
        batchSize: 8,
        cpuLimit: 0.5,
        memoryLimit: 64 * 2 ** 20,
      },
    });
  });

  it('sends no config without mining flags, and prints the patterns table and the mining stats', async () => {
    expect(await engram('detect', 'alice')).toBe(0);
    expect(sent('detectPatterns')).toEqual({ subject: 'alice', dryRun: false });
    expect(stdout.split('\n')).toEqual([
      'PATTERN              SUPPORT  SHARE  CONFIDENCE  ID',
      'open → search → buy        4  66.7%       0.667  p_1',
      '',
      'memories: 18   episodes: 6   tasks: 2   threads: 2   mining ms: 12.3',
      'stored 1 pattern',
      '',
    ]);
  });

  it('prints the response with --json, timestamps as ISO strings', async () => {
    expect(await engram('--json', 'detect', 'alice', '--min-support', '0.5')).toBe(0);
    expect(sent('detectPatterns').config).toEqual({ relativeSupport: 0.5 });
    const { _maxGap, ...fields } = pattern;
    expect(JSON.parse(stdout)).toEqual({
      patterns: [{ ...fields, detectedAt: '2024-05-01T10:00:00.000Z' }],
      stats,
      stored: 1,
    });
  });

  it('refuses bad flags with exit code 2 before calling the server', async () => {
    for (const [args, message] of [
      [['--min-support', '2.5'], /option '--min-support <x>' argument '2.5' is invalid\. above 1 it is a number of episodes/],
      [['--strategy', 'apriori'], /must be one of prefixspan, ngram, fpgrowth/],
      [['--memory-limit', '64 potatoes'], /argument '64 potatoes' is invalid\. must be a positive size/],
      [['--strategy', 'ngram', '--max-gap', '2'], /^error: --max-gap must be 0 with --strategy ngram/],
      [['--min-length', '3', '--max-length', '2'], /^error: --max-length \(2\) must not be less than --min-length \(3\)/],
      [['--since', '2024-05-02', '--until', '2024-05-01'], /^error: --since must be before --until/],
    ] as const) {
      stderr = '';
      expect(await engram('detect', 'alice', ...args), args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect(calls).toEqual([]);
  });

  it("passes the server's INVALID_ARGUMENT through with exit code 1", async () => {
    failWith = Object.assign(new Error('3 INVALID_ARGUMENT: config.memory_limit: too big'), { code: 3, details: 'config.memory_limit: too big', metadata: {} });
    expect(await engram('detect', 'alice', '--memory-limit', '1tb')).toBe(1);
    expect(stderr).toBe('error: INVALID_ARGUMENT: config.memory_limit: too big\n');
  });
});

describe('engram patterns', () => {
  it('sends the limit and the strategy and prints the same table', async () => {
    expect(await engram('patterns', 'alice', '--limit', '10', '--strategy', 'ngram')).toBe(0);
    expect(sent('listPatterns')).toEqual({ subject: 'alice', limit: 10, strategy: 'INDEXING_STRATEGY_NGRAM' });
    expect(stdout).toMatch(/^PATTERN\s+SUPPORT\s+SHARE\s+CONFIDENCE\s+ID\nopen → search → buy\s+4\s+66\.7%\s+0\.667\s+p_1\n$/);
  });
});

describe('engram predict', () => {
  it('sends the context words and k, and prints rank, item, probability and prediction id', async () => {
    expect(await engram('predict', 'alice', 'open', 'search', '-k', '2')).toBe(0);
    expect(sent('predict')).toEqual({ subject: 'alice', context: ['open', 'search'], k: 2 });
    expect(stdout.split('\n')).toEqual([
      'RANK  ITEM   PROBABILITY  PREDICTION ID',
      '   1  buy         0.7500  pr_buy',
      '   2  leave       0.2500  pr_leave',
      '',
      'context: open → search   patterns: 7',
      '',
    ]);
  });

  it('sends an empty context without words (the server reads the latest episode) and prints the response with --json', async () => {
    expect(await engram('--json', 'predict', 'alice')).toBe(0);
    expect(sent('predict')).toEqual({ subject: 'alice', context: [] });
    expect(JSON.parse(stdout).predictions[0]).toEqual({ item: 'buy', probability: 0.75, patternIds: ['p_1'], predictionId: 'pr_buy' });
    expect(await engram('predict', 'alice', '-k', '101')).toBe(2);
  });
});

describe('engram feedback', () => {
  it('sends the one target given with its reward, negative rewards included', async () => {
    expect(await engram('feedback', 'alice', '--prediction', 'pr_buy', '--reward', '-1')).toBe(0);
    expect(sent('feedback')).toEqual({ subject: 'alice', predictionId: 'pr_buy', reward: -1 });
    expect(stdout).toBe('weight:          1.2500\nlearning rate:   0.5000\nupdates:         1\nweights updated: 2\n');
    calls.length = 0;
    expect(await engram('feedback', 'alice', '--memory', 'm1', '--reward', '0.5')).toBe(0);
    expect(sent('feedback')).toEqual({ subject: 'alice', memoryId: 'm1', reward: 0.5 });
    calls.length = 0;
    expect(await engram('feedback', 'alice', '--pattern', 'p_1', '--reward', '1')).toBe(0);
    expect(sent('feedback')).toEqual({ subject: 'alice', patternId: 'p_1', reward: 1 });
  });

  it('needs exactly one target and a reward from -1 to 1', async () => {
    for (const [args, message] of [
      [['--reward', '1'], /^error: no target given: name what the feedback is about with --memory, --pattern or --prediction/],
      [['--pattern', 'p_1', '--prediction', 'pr_buy', '--reward', '1'], /^error: give exactly one target, not --pattern and --prediction/],
      [['--pattern', 'p_1'], /^error: required option '--reward <-1\.\.1>' not specified/],
      [['--pattern', 'p_1', '--reward', '2'], /argument '2' is invalid\. must be from -1 to 1, got 2/],
    ] as const) {
      stderr = '';
      expect(await engram('feedback', 'alice', ...args), args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect(calls).toEqual([]);
  });
});

describe('engram dream', () => {
  it('dreams the whole tenant without a subject', async () => {
    expect(await engram('dream')).toBe(0);
    expect(sent('dream')).toEqual({ subject: '', options: { dryRun: false } });
    expect(stdout).toMatch(/^subjects: {14}1$/m);
    expect(stdout).toMatch(/^patterns strengthened: 0$/m);
    expect(stdout).toMatch(/^insight ids:\s+i1, i2$/m);
    expect(stdout).toMatch(/^promoted ids:\s+-$/m);
    expect(stdout).toMatch(/^mined fully:\s+1$/m);
  });

  it('sends its options, the mining flags under options.patterns, and prints the report with --json', async () => {
    expect(await engram('--json', 'dream', 'alice', '--promote-threshold', '-0.5', '--max-insights', '3', '--dry-run', '--min-support', '0.4', '--max-gap', '0')).toBe(0);
    expect(sent('dream')).toEqual({
      subject: 'alice',
      options: { dryRun: true, promoteThreshold: -0.5, maxInsights: 3, patterns: { relativeSupport: 0.4, maxGap: 0 } },
    });
    expect(JSON.parse(stdout)).toEqual(report);
    expect(await engram('dream', '--max-insights', '0')).toBe(2);
  });
});
