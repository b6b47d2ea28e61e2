import { describe, expect, it } from 'vitest';
import type { MemoryInput, RememberBatchResponse__Output } from '@engram/protocol';
import { importLines, type Batcher } from './importer.js';

const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;
const quickBackoff = { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 };

async function* linesOf(lines: readonly string[]): AsyncGenerator<string> {
  yield* lines;
}

const record = (i: number, subject = `s${i % 5}`) => JSON.stringify({ subject, content: `memory ${i}` });

/**
 * A fake gateway: refuses items with an empty subject (as the real one does), marks content containing "dup"
 * as deduplicated, and records batch sizes and the most calls in flight at once.
 */
class FakeGateway implements Batcher {
  batches: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** failCall(n) → the status code (and details) with which call n fails as a whole, or undefined. */
  constructor(private readonly failCall?: (call: number) => { code: number; details: string } | undefined) {}

  async rememberBatch(memories: MemoryInput[]): Promise<RememberBatchResponse__Output> {
    const call = this.batches.length;
    this.batches.push(memories.length);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Yield to the event loop so that other batches can be dispatched meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      const failure = this.failCall?.(call);
      if (failure) throw Object.assign(new Error(`${failure.code} ${failure.details}`), { ...failure, metadata: {} });
      const results = memories.map((m, index) =>
        m.subject === ''
          ? { index, error: { code: INVALID_ARGUMENT, message: `memories[${index}].subject: must not be empty` }, outcome: 'error' as const }
          : {
              index,
              ok: {
                id: `id-${call}-${index}`,
                layer: 'LAYER_SENSORY' as const,
                deduplicated: String(m.content).includes('dup'),
                version: null,
                expiresAt: null,
                importance: 0.5,
                valence: 0,
                arousal: 0,
              },
              outcome: 'ok' as const,
            },
      );
      const failed = results.filter((r) => 'error' in r).length;
      return { results, succeeded: results.length - failed, failed };
    } finally {
      this.inFlight--;
    }
  }
}

describe('importLines', () => {
  it('sends full batches, at most `concurrency` at once, and counts every item', async () => {
    const gateway = new FakeGateway();
    const lines = Array.from({ length: 1050 }, (_, i) => record(i));
    const summary = await importLines(linesOf(lines), gateway, { batchSize: 100, concurrency: 3, maxErrors: 20 });
    expect(gateway.batches).toEqual([...Array(10).fill(100), 50]);
    expect(gateway.maxInFlight).toBe(3);
    expect(summary).toMatchObject({ total: 1050, succeeded: 1050, failed: 0, deduplicated: 0, errors: [] });
    expect(summary.writesPerSecond).toBeGreaterThan(0);
  });

  it('attributes bad JSON and refused items to their line numbers, in line order', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => record(i));
    lines[4] = '{oops';
    lines[21] = JSON.stringify({ subject: '', content: 'no subject' });
    lines[7] = JSON.stringify({ subject: 's', content: 'dup content' });
    const summary = await importLines(linesOf(lines), new FakeGateway(), { batchSize: 8, concurrency: 2, maxErrors: 20 });
    expect(summary).toMatchObject({ total: 30, succeeded: 28, failed: 2, deduplicated: 1 });
    expect(summary.errors).toEqual([
      { line: 5, message: expect.stringMatching(/^invalid JSON: /) },
      { line: 22, status: 'INVALID_ARGUMENT', message: 'subject: must not be empty' },
    ]);
  });

  it('skips blank lines (still counting them as lines) and a leading byte order mark', async () => {
    const lines = ['\uFEFF' + record(1), '', '   ', record(2), '{bad'];
    const summary = await importLines(linesOf(lines), new FakeGateway(), { batchSize: 10, concurrency: 1, maxErrors: 20 });
    expect(summary).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    expect(summary.errors.map((e) => e.line)).toEqual([5]);
  });

  it('fails every item of a call that failed, with its status', async () => {
    const gateway = new FakeGateway((call) => (call === 1 ? { code: UNAVAILABLE, details: 'down' } : undefined));
    const lines = Array.from({ length: 25 }, (_, i) => record(i));
    const summary = await importLines(linesOf(lines), gateway, { batchSize: 10, concurrency: 2, maxErrors: 100 });
    expect(summary).toMatchObject({ total: 25, succeeded: 15, failed: 10 });
    expect(summary.errors.map((e) => e.line)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(summary.errors[0]).toEqual({ line: 11, status: 'UNAVAILABLE', message: 'down' });
  });

  it('keeps only the first maxErrors errors by line number, but counts them all', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? '{bad' : record(i, '')));
    const summary = await importLines(linesOf(lines), new FakeGateway(), { batchSize: 7, concurrency: 4, maxErrors: 20 });
    expect(summary.failed).toBe(500);
    expect(summary.errors.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('sends a batch again when the cluster refused it as busy, a bounded number of times', async () => {
    const busy = { code: RESOURCE_EXHAUSTED, details: 'shard busy: a batch of 10 could not start within 1000 ms; retry with backoff' };
    // Calls 1 and 2 (the second batch and its first retry) are refused as busy; the next retry goes through.
    const gateway = new FakeGateway((call) => (call === 1 || call === 2 ? busy : undefined));
    const lines = Array.from({ length: 20 }, (_, i) => record(i));
    const summary = await importLines(linesOf(lines), gateway, { batchSize: 10, concurrency: 1, maxErrors: 100, busyBackoff: quickBackoff });
    expect(summary).toMatchObject({ total: 20, succeeded: 20, failed: 0 });
    expect(gateway.batches).toEqual([10, 10, 10, 10]);

    // Always busy: the batch fails after maxAttempts retries, with the refusal as its status.
    const always = new FakeGateway(() => busy);
    const refused = await importLines(linesOf(lines.slice(0, 5)), always, { batchSize: 10, concurrency: 1, maxErrors: 100, busyBackoff: quickBackoff });
    expect(refused).toMatchObject({ total: 5, succeeded: 0, failed: 5 });
    expect(always.batches).toHaveLength(1 + quickBackoff.maxAttempts);
    expect(refused.errors[0]).toMatchObject({ status: 'RESOURCE_EXHAUSTED' });
  });

  it('does not retry a limit the request broke (RESOURCE_EXHAUSTED that is not "busy")', async () => {
    const gateway = new FakeGateway(() => ({ code: RESOURCE_EXHAUSTED, details: 'memories: a batch may hold at most 5 items, got 10' }));
    const lines = Array.from({ length: 10 }, (_, i) => record(i));
    const summary = await importLines(linesOf(lines), gateway, { batchSize: 10, concurrency: 1, maxErrors: 100, busyBackoff: quickBackoff });
    expect(summary).toMatchObject({ succeeded: 0, failed: 10 });
    expect(gateway.batches).toHaveLength(1);
  });
});
