import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { EngramError } from '@engram/protocol';
import {
  GroupCommitWriter,
  decodeCount,
  encodeCount,
  type BatchContributor,
  type BatchOp,
  type BatchStats,
  type GroupCommitOptions,
} from '@engram/storage';

const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

type Db = ClassicLevel<string, Uint8Array>;

const dirs: string[] = [];
const dbs: Db[] = [];
const writers: GroupCommitWriter<any>[] = [];

afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  for (const db of dbs.splice(0)) await db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openDb(): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-group-commit-'));
  dirs.push(dir);
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  dbs.push(db);
  return db;
}

const OPTIONS: GroupCommitOptions = { maxWrites: 512, maxBytes: 8 * 2 ** 20, maxDelayMs: 0, maxPending: 10_000, sync: false };

async function setup<M = string>(options: Partial<GroupCommitOptions> = {}, contributor?: BatchContributor<M>, onBatch?: (s: BatchStats) => void) {
  const db = await openDb();
  const writer = new GroupCommitWriter<M>(db, { ...OPTIONS, ...options }, contributor, onBatch);
  writers.push(writer);
  return { db, writer };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (v: Uint8Array | null | undefined) => (v == null ? v : Buffer.from(v).toString());
const put = (key: string, value: string): BatchOp => ({ type: 'put', key, value: bytes(value) });
const del = (key: string): BatchOp => ({ type: 'del', key });

async function rejection(p: Promise<unknown>): Promise<EngramError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngramError);
  return err as EngramError;
}

/** Records the metas of each batch in commit order; `during` runs while the first batch is being formed. */
class Recorder implements BatchContributor<string> {
  readonly batches: string[][] = [];
  readonly settledCalls: { metas: string[]; ok: boolean }[] = [];
  during?: (metas: readonly string[]) => void;

  contribute(metas: readonly string[]): BatchOp[] {
    this.batches.push([...metas]);
    if (this.batches.length === 1) this.during?.(metas);
    return [];
  }

  settled(metas: readonly string[], ok: boolean): void {
    this.settledCalls.push({ metas: [...metas], ok });
  }
}

describe('GroupCommitWriter batching', () => {
  it('groups writes issued together into fewer batches than writes', async () => {
    const { db, writer } = await setup();
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write({ ops: [put(`k${i}`, `v${i}`)], priority: 1 })));
    expect(writer.totals.writes).toBe(50);
    expect(writer.totals.batches).toBeLessThan(50);
    expect(writer.totals.batches).toBe(1);
    expect(text(await db.get('k49'))).toBe('v49');
  });

  it('puts at most maxWrites writes in a batch', async () => {
    const { writer } = await setup({ maxWrites: 10 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write({ ops: [put(`k${i}`, 'v')], priority: 1 })));
    expect(writer.totals).toEqual({ batches: 5, writes: 50, failedBatches: 0 });
  });

  it('keeps a batch within maxBytes, but commits a single larger write alone', async () => {
    const stats: BatchStats[] = [];
    const { db, writer } = await setup({ maxBytes: 10 }, undefined, (s) => stats.push(s));
    // each write: key 2 bytes + value 4 bytes = 6 bytes; two would exceed 10
    await Promise.all(['k1', 'k2', 'k3'].map((k) => writer.write({ ops: [put(k, 'vvvv')], priority: 1 })));
    expect(stats.map((s) => s.writes)).toEqual([1, 1, 1]);
    await writer.write({ ops: [put('big', 'x'.repeat(100))], priority: 1 });
    expect(stats.at(-1)).toMatchObject({ writes: 1, bytes: 103, ok: true });
    expect(text(await db.get('big'))).toBe('x'.repeat(100));
  });

  it('reports each batch: writes, ops and bytes', async () => {
    const stats: BatchStats[] = [];
    const { writer } = await setup({}, undefined, (s) => stats.push(s));
    await Promise.all([
      writer.write({ ops: [put('ab', '123'), put('cd', '4')], priority: 2 }),
      writer.write({ ops: [del('efg')], priority: 2 }),
    ]);
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ writes: 2, ops: 3, bytes: 2 + 3 + 2 + 1 + 3, ok: true });
    expect(stats[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('commits a full batch at once even when a delay is configured', async () => {
    const { writer } = await setup({ maxDelayMs: 600_000, maxWrites: 3 });
    await Promise.all(['a', 'b', 'c'].map((k) => writer.write({ ops: [put(k, k)], priority: 1 })));
    expect(writer.totals.batches).toBe(1);
  });

  it('accepts out-of-range and fractional priorities', async () => {
    const { db, writer } = await setup();
    await Promise.all([
      writer.write({ ops: [put('p1', 'x')], priority: 42 }),
      writer.write({ ops: [put('p2', 'x')], priority: -3 }),
      writer.write({ ops: [put('p3', 'x')], priority: 2.7 }),
    ]);
    expect(await db.getMany(['p1', 'p2', 'p3'])).toHaveLength(3);
    expect((await db.getMany(['p1', 'p2', 'p3'])).every((v) => v !== undefined)).toBe(true);
  });
});

describe('GroupCommitWriter failures', () => {
  it('fails only the batch whose index entries could not be put, and writes the later ones', async () => {
    const { db, writer } = await setup();
    const filled: string[] = [];
    const entries = (name: string, fail = false) => ({
      bytes: 1,
      putInto(batch: { put(key: string, value: Uint8Array): unknown }) {
        filled.push(name);
        if (fail) throw new Error('cannot encode');
        batch.put(`idx-${name}`, bytes(name));
        return 1;
      },
    });
    const bad = writer.write({ ops: [put('x', 'x')], indexOps: entries('x', true), priority: 1 });
    const err = await rejection(bad);
    expect(err.code).toBe(UNAVAILABLE);
    // Writes over several turns, some while a batch is written.
    const later: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      later.push(writer.write({ ops: [put(`y${i}`, 'y')], indexOps: entries(`y${i}`), priority: 1 }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(later);
    expect(filled).toEqual(['x', 'y0', 'y1', 'y2', 'y3', 'y4']);
    expect(await db.get('x')).toBeUndefined();
    expect((await db.getMany(['idx-y0', 'idx-y4', 'y4'])).map(text)).toEqual(['y0', 'y4', 'y']);
  });
});

describe('GroupCommitWriter durability', () => {
  it('resolves a write only once its data is readable from the database', async () => {
    const { db, writer } = await setup({ maxWrites: 4 });
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => writer.write({ ops: [put(`k${i}`, `v${i}`)], priority: i % 8 }).then(async () => text(await db.get(`k${i}`)))),
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  it('resolves a delete only once the key is gone from the database', async () => {
    const { db, writer } = await setup();
    await db.put('doomed', bytes('x'));
    const after = await writer.write({ ops: [del('doomed')], priority: 7 }).then(() => db.get('doomed'));
    expect(after).toBeUndefined();
  });

  it('commits the ops of one write atomically, in one batch', async () => {
    const stats: BatchStats[] = [];
    const { db, writer } = await setup({ maxWrites: 1 }, undefined, (s) => stats.push(s));
    await writer.write({ ops: [put('a', '1'), put('b', '2'), put('c', '3')], priority: 1 });
    expect(stats).toEqual([expect.objectContaining({ writes: 1, ops: 3 })]);
    expect((await db.getMany(['a', 'b', 'c'])).map(text)).toEqual(['1', '2', '3']);
  });

  it('drain resolves at once when idle, and after every queued write otherwise', async () => {
    const { db, writer } = await setup({ maxWrites: 2 });
    await writer.drain();
    for (let i = 0; i < 7; i++) void writer.write({ ops: [put(`d${i}`, 'x')], priority: 1 });
    expect(writer.pending).toBe(7);
    await writer.drain();
    expect(writer.pending).toBe(0);
    expect((await db.getMany(Array.from({ length: 7 }, (_, i) => `d${i}`))).every((v) => v !== undefined)).toBe(true);
  });
});

describe('GroupCommitWriter overlay', () => {
  it('shows pending puts and deletes before commit and forgets them after', async () => {
    const { db, writer } = await setup();
    await db.put('gone', bytes('old'));
    const first = writer.write({ ops: [put('a', '1'), del('gone')], priority: 1 });
    expect(text(writer.read('a'))).toBe('1');
    expect(writer.read('gone')).toBeNull();
    expect(writer.read('untouched')).toBeUndefined();
    expect(writer.pending).toBe(1);

    const second = writer.write({ ops: [put('a', '2')], priority: 1 });
    expect(text(writer.read('a'))).toBe('2');
    expect(writer.pending).toBe(2);

    await Promise.all([first, second]);
    expect(writer.read('a')).toBeUndefined();
    expect(writer.read('gone')).toBeUndefined();
    expect(writer.pending).toBe(0);
    expect(text(await db.get('a'))).toBe('2');
    expect(await db.get('gone')).toBeUndefined();
  });

  it('keeps showing a newer pending value when an older write of the same key commits', async () => {
    const recorder = new Recorder();
    const { db, writer } = await setup({ maxWrites: 1 }, recorder);
    let newer: Promise<void> | undefined;
    recorder.during = () => {
      newer = writer.write({ ops: [put('a', 'newer')], priority: 1, meta: 'newer' });
    };
    await writer.write({ ops: [put('a', 'older')], priority: 1, meta: 'older' });
    expect(text(writer.read('a'))).toBe('newer');
    await newer;
    expect(writer.read('a')).toBeUndefined();
    expect(text(await db.get('a'))).toBe('newer');
  });
});

describe('GroupCommitWriter priorities', () => {
  it('commits higher priorities first when writes queue behind an in-flight batch', async () => {
    const recorder = new Recorder();
    const { writer } = await setup({ maxWrites: 1 }, recorder);
    const queued: Promise<void>[] = [];
    recorder.during = () => {
      queued.push(writer.write({ ops: [put('low', 'x')], priority: 1, meta: 'low' }));
      queued.push(writer.write({ ops: [put('mid', 'x')], priority: 3, meta: 'mid' }));
      queued.push(writer.write({ ops: [put('high', 'x')], priority: 6, meta: 'high' }));
      queued.push(writer.write({ ops: [put('mid2', 'x')], priority: 3, meta: 'mid2' }));
    };
    await writer.write({ ops: [put('first', 'x')], priority: 0, meta: 'first' });
    await Promise.all(queued);
    expect(recorder.batches).toEqual([['first'], ['high'], ['mid'], ['mid2'], ['low']]);
  });

  it('orders a batch by priority, and FIFO within a priority', async () => {
    const recorder = new Recorder();
    const { writer } = await setup({}, recorder);
    const queued: Promise<void>[] = [];
    recorder.during = () => {
      queued.push(writer.write({ ops: [put('low', 'x')], priority: 0, meta: 'low' }));
      queued.push(writer.write({ ops: [put('high', 'x')], priority: 7, meta: 'high' }));
      queued.push(writer.write({ ops: [put('mid', 'x')], priority: 4, meta: 'mid' }));
      queued.push(writer.write({ ops: [put('high2', 'x')], priority: 7, meta: 'high2' }));
    };
    await writer.write({ ops: [put('first', 'x')], priority: 0, meta: 'first' });
    await Promise.all(queued);
    expect(recorder.batches).toEqual([['first'], ['high', 'high2', 'mid', 'low']]);
  });

  it('does not let a later write of the same key overtake a pending lower-priority one', async () => {
    const recorder = new Recorder();
    const { db, writer } = await setup({ maxWrites: 1 }, recorder);
    const queued: Promise<void>[] = [];
    recorder.during = () => {
      queued.push(writer.write({ ops: [put('k', 'old')], priority: 1, meta: 'low-k' }));
      queued.push(writer.write({ ops: [put('other', 'x')], priority: 6, meta: 'high-other' }));
      queued.push(writer.write({ ops: [put('k', 'new'), put('k2', 'y')], priority: 6, meta: 'high-k' }));
      // k2 now waits at the demoted priority, so a later write of k2 must wait behind it too
      queued.push(writer.write({ ops: [put('k2', 'z')], priority: 7, meta: 'top-k2' }));
    };
    await writer.write({ ops: [put('first', 'x')], priority: 0, meta: 'first' });
    await Promise.all(queued);
    expect(recorder.batches).toEqual([['first'], ['high-other'], ['low-k'], ['high-k'], ['top-k2']]);
    expect(text(await db.get('k'))).toBe('new');
    expect(text(await db.get('k2'))).toBe('z');
  });

  it('keeps the later value of a key when both writes land in one batch', async () => {
    const recorder = new Recorder();
    const { db, writer } = await setup({}, recorder);
    const queued: Promise<void>[] = [];
    recorder.during = () => {
      queued.push(writer.write({ ops: [put('k', 'old')], priority: 0, meta: 'low-k' }));
      queued.push(writer.write({ ops: [put('k', 'new')], priority: 7, meta: 'high-k' }));
      queued.push(writer.write({ ops: [del('gone')], priority: 0, meta: 'low-del' }));
      queued.push(writer.write({ ops: [put('gone', 'back')], priority: 7, meta: 'high-put' }));
    };
    await writer.write({ ops: [put('first', 'x')], priority: 0, meta: 'first' });
    await Promise.all(queued);
    expect(text(await db.get('k'))).toBe('new');
    expect(text(await db.get('gone'))).toBe('back');
  });

  it('commits the highest priority first among writes issued together', async () => {
    const recorder = new Recorder();
    const { writer } = await setup({ maxWrites: 1 }, recorder);
    await Promise.all([
      writer.write({ ops: [put('a', 'x')], priority: 0, meta: 'p0' }),
      writer.write({ ops: [put('b', 'x')], priority: 5, meta: 'p5' }),
      writer.write({ ops: [put('c', 'x')], priority: 2, meta: 'p2' }),
    ]);
    expect(recorder.batches).toEqual([['p5'], ['p2'], ['p0']]);
  });
});

describe('GroupCommitWriter back-pressure and shutdown', () => {
  it('refuses writes beyond maxPending with RESOURCE_EXHAUSTED', async () => {
    const { writer } = await setup({ maxPending: 3 });
    const accepted = [0, 1, 2].map((i) => writer.write({ ops: [put(`k${i}`, 'x')], priority: 1 }));
    const err = await rejection(writer.write({ ops: [put('overflow', 'x')], priority: 7 }));
    expect(err.code).toBe(RESOURCE_EXHAUSTED);
    expect(err.message).toContain('3');
    expect(writer.read('overflow')).toBeUndefined();
    expect(writer.pending).toBe(3);
    await Promise.all(accepted);
    await expect(writer.write({ ops: [put('later', 'x')], priority: 1 })).resolves.toBeUndefined();
  });

  it('close() commits queued writes, then refuses new ones with UNAVAILABLE', async () => {
    const { db, writer } = await setup({ maxWrites: 2 });
    const writes = Array.from({ length: 5 }, (_, i) => writer.write({ ops: [put(`c${i}`, `v${i}`)], priority: 1 }));
    await writer.close();
    expect(writer.pending).toBe(0);
    await Promise.all(writes);
    expect((await db.getMany(['c0', 'c1', 'c2', 'c3', 'c4'])).map(text)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    const err = await rejection(writer.write({ ops: [put('late', 'x')], priority: 7 }));
    expect(err.code).toBe(UNAVAILABLE);
    expect(writer.read('late')).toBeUndefined();
    expect(await db.get('late')).toBeUndefined();
  });

  it('close() does not wait out the batching delay', async () => {
    const { db, writer } = await setup({ maxDelayMs: 600_000 });
    const write = writer.write({ ops: [put('delayed', 'x')], priority: 1 });
    await writer.close();
    await write;
    expect(text(await db.get('delayed'))).toBe('x');
  });
});

describe('GroupCommitWriter contributor', () => {
  /** Keeps a running total of the metas in a "counter" key, contributed to each batch. */
  class Counter implements BatchContributor<number> {
    total = 0;
    readonly calls: number[][] = [];
    readonly settledCalls: { metas: number[]; ok: boolean }[] = [];
    failNext = false;

    contribute(metas: readonly number[]): BatchOp[] {
      this.calls.push([...metas]);
      if (this.failNext) {
        this.failNext = false;
        throw new Error('contributor broke');
      }
      this.total += metas.reduce((a, b) => a + b, 0);
      return [{ type: 'put', key: 'counter', value: encodeCount(this.total) }];
    }

    settled(metas: readonly number[], ok: boolean): void {
      this.settledCalls.push({ metas: [...metas], ok });
    }
  }

  it('commits the contributed ops in the same batch as the writes', async () => {
    const counter = new Counter();
    const stats: BatchStats[] = [];
    const { db, writer } = await setup<number>({}, counter, (s) => stats.push(s));
    const seen = await Promise.all(
      [1, 2, 3, undefined, 4].map((meta, i) => writer.write({ ops: [put(`w${i}`, 'x')], priority: 1, meta }).then(async () => decodeCount((await db.get('counter'))!))),
    );
    expect(counter.calls).toEqual([[1, 2, 3, 4]]);
    expect(seen).toEqual([10, 10, 10, 10, 10]);
    expect(stats).toEqual([expect.objectContaining({ writes: 5, ops: 6, ok: true })]);
    expect(counter.settledCalls).toEqual([{ metas: [1, 2, 3, 4], ok: true }]);
  });

  it('hands the contributor each batch\'s metas in commit order', async () => {
    const counter = new Counter();
    const { db, writer } = await setup<number>({ maxWrites: 2 }, counter);
    await Promise.all([10, 20, 30, 40, 50].map((meta, i) => writer.write({ ops: [put(`w${i}`, 'x')], priority: i === 4 ? 7 : 1, meta })));
    expect(counter.calls).toEqual([[50, 10], [20, 30], [40]]);
    expect(writer.totals.batches).toBe(counter.calls.length);
    expect(decodeCount((await db.get('counter'))!)).toBe(150);
  });

  it('rejects the writes of a failed batch with UNAVAILABLE and leaves no trace of them', async () => {
    const counter = new Counter();
    const { db, writer } = await setup<number>({}, counter);
    counter.failNext = true;
    const failed = [writer.write({ ops: [put('f1', 'x')], priority: 1, meta: 1 }), writer.write({ ops: [put('f2', 'x')], priority: 1, meta: 2 })];
    expect(text(writer.read('f1'))).toBe('x');
    for (const p of failed) {
      const err = await rejection(p);
      expect(err.code).toBe(UNAVAILABLE);
      expect((err.cause as Error).message).toBe('contributor broke');
    }
    expect(writer.read('f1')).toBeUndefined();
    expect(await db.get('f1')).toBeUndefined();
    expect(await db.get('counter')).toBeUndefined();
    expect(writer.totals.failedBatches).toBe(1);
    expect(counter.settledCalls).toEqual([{ metas: [1, 2], ok: false }]);
    expect(writer.pending).toBe(0);

    await writer.write({ ops: [put('ok', 'x')], priority: 1, meta: 5 });
    expect(decodeCount((await db.get('counter'))!)).toBe(5);
  });
});

/** A contributor that fails every batch. */
const failing = (): BatchContributor<number> => ({
  contribute: () => {
    throw new Error('contributor broke');
  },
});

describe('GroupCommitWriter index ops', () => {
  it('commits index ops with the write, atomically, without showing them as pending', async () => {
    const stats: BatchStats[] = [];
    const { db, writer } = await setup({}, undefined, (s) => stats.push(s));
    const written = writer.write({ ops: [put('rec', 'r')], indexOps: [put('idx1', '1'), put('idx2', '22')], priority: 1 });
    expect(text(writer.read('rec'))).toBe('r');
    expect(writer.read('idx1')).toBeUndefined();
    await written;
    expect((await db.getMany(['rec', 'idx1', 'idx2'])).map(text)).toEqual(['r', '1', '22']);
    expect(stats[0]).toMatchObject({ writes: 1, ops: 3, bytes: 3 + 1 + 4 + 1 + 4 + 2 });
  });

  it('keeps a later write of an index key behind the earlier one through the key they share', async () => {
    const recorder = new Recorder();
    const { db, writer } = await setup({ maxWrites: 1 }, recorder);
    const queued: Promise<void>[] = [];
    recorder.during = () => {
      queued.push(writer.write({ ops: [put('rec', 'v1')], indexOps: [put('idx', 'old')], priority: 1, meta: 'insert' }));
      // Deletes the index entry along with the record it belongs to, at a higher priority.
      queued.push(writer.write({ ops: [del('rec'), del('idx')], priority: 7, meta: 'forget' }));
    };
    await writer.write({ ops: [put('first', 'x')], priority: 0, meta: 'first' });
    await Promise.all(queued);
    expect(recorder.batches).toEqual([['first'], ['insert'], ['forget']]);
    expect(await db.getMany(['rec', 'idx'])).toEqual([undefined, undefined]);
  });

  it('takes index entries described instead of listed, put when the batch is formed', async () => {
    const stats: BatchStats[] = [];
    const { db, writer } = await setup({}, undefined, (s) => stats.push(s));
    let putAt: string | null | undefined;
    const described = {
      bytes: 4 + 1 + 4 + 2,
      putInto(batch: { put(key: string, value: Uint8Array): unknown }) {
        putAt = text(writer.read('rec'));
        batch.put('idx1', bytes('1'));
        batch.put('idx2', bytes('22'));
        return 2;
      },
    };
    const written = writer.write({ ops: [put('rec', 'r')], indexOps: described, priority: 1 });
    expect(putAt).toBeUndefined();
    await written;
    expect(putAt).toBe('r');
    expect((await db.getMany(['rec', 'idx1', 'idx2'])).map(text)).toEqual(['r', '1', '22']);
    expect(stats[0]).toMatchObject({ writes: 1, ops: 3, bytes: 3 + 1 + 4 + 1 + 4 + 2 });
  });

  it('does not write the index ops of a failed batch', async () => {
    const { db, writer } = await setup<number>({}, failing());
    await rejection(writer.write({ ops: [put('rec', 'x')], indexOps: [put('idx', 'y')], priority: 1, meta: 1 }));
    expect(await db.getMany(['rec', 'idx'])).toEqual([undefined, undefined]);
  });
});

describe('GroupCommitWriter onSettled', () => {
  it('is called once before the write resolves, when its data is readable', async () => {
    const { db, writer } = await setup();
    const calls: [boolean, string | null | undefined][] = [];
    let resolved = false;
    const done = writer
      .write({ ops: [put('k', 'v')], priority: 1 }, (ok) => {
        expect(resolved).toBe(false);
        calls.push([ok, text(db.getSync('k'))]);
      })
      .then(() => (resolved = true));
    await done;
    expect(calls).toEqual([[true, 'v']]);
  });

  it('is told a failed batch did not commit, before the write rejects', async () => {
    const { writer } = await setup<number>({}, failing());
    const calls: boolean[] = [];
    const err = await rejection(writer.write({ ops: [put('k', 'v')], priority: 1, meta: 1 }, (ok) => calls.push(ok)));
    expect(err.code).toBe(UNAVAILABLE);
    expect(calls).toEqual([false]);
  });

  it('is told at once when a write is refused', async () => {
    const { writer } = await setup({ maxPending: 1 });
    const accepted = writer.write({ ops: [put('a', 'x')], priority: 1 });
    const calls: boolean[] = [];
    const refused = writer.write({ ops: [put('b', 'x')], priority: 1 }, (ok) => calls.push(ok));
    expect(calls).toEqual([false]);
    expect((await rejection(refused)).code).toBe(RESOURCE_EXHAUSTED);
    await accepted;
  });

  it('fails the write when it throws, and leaves the other writes of the batch alone', async () => {
    const { db, writer } = await setup();
    const broken = writer.write({ ops: [put('a', 'x')], priority: 1 }, () => {
      throw new Error('publish failed');
    });
    const fine = writer.write({ ops: [put('b', 'x')], priority: 1 });
    await expect(broken).rejects.toThrow('publish failed');
    await expect(fine).resolves.toBeUndefined();
    // The batch itself committed.
    expect((await db.getMany(['a', 'b'])).map(text)).toEqual(['x', 'x']);
  });
});
