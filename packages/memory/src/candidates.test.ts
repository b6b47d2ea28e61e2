import { afterEach, describe, expect, it } from 'vitest';
import { recordCodec, subjectMemoryPrefix } from '@engram/storage';
import type { ShardContext } from './context.js';
import { input, query, testEngines } from './test-engine.js';

const engines = testEngines({ ENGRAM_DEDUP_WINDOW: '0' });
afterEach(engines.closeAll);

const scatterTerms = (q: ReturnType<typeof query>) =>
  ({ query: q, phase: 'SCATTER_PHASE_TERMS', queryId: '', asOfMs: Date.UTC(2026, 0, 1), globalTerms: null, globalRanges: null, after: null, limit: 0 }) as const;

describe('collectCandidates', () => {
  it('matches a posting to its memory whatever the tenant and subject hold (multi-byte text, separators of ids)', async () => {
    const { engine } = await engines.open();
    const tenant = 'tenänt-✓';
    const subjects = ['ü 🙂 s', 's', 's:x'];
    const ids: string[] = [];
    for (const subject of subjects) {
      for (const content of ['heron lake', 'heron', 'lake shore']) ids.push((await engine.remember(tenant, input({ subject, content }))).id!);
    }
    for (const subject of subjects) {
      const results = (await engine.query(tenant, query({ subject, text: 'heron lake', skipReinforce: true }))).results ?? [];
      expect(results.map((r) => r.memory!.subject)).toEqual([subject, subject, subject]);
      // The memory holding both terms ranks first: both postings were matched to it.
      expect(results[0]!.memory!.content).toBe('heron lake');
    }
    const terms = await engine.scatter(tenant, scatterTerms(query({ text: 'heron lake', skipReinforce: true })));
    expect(terms.candidates).toBe(ids.length);
    expect(terms.terms!.documentFrequency).toEqual({ heron: 6, lake: 6 });
  });
});

describe('candidates while writes are pending', () => {
  /** Holds every LevelDB batch write of the engine's store until the returned release is called. */
  const holdWrites = (ctx: ShardContext) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const db = ctx.store.db as unknown as { batch: () => { _write: (o: unknown) => Promise<void> } };
    const batch = db.batch.bind(db);
    db.batch = () => {
      const b = batch();
      const write = b._write.bind(b);
      b._write = async (o) => {
        await gate;
        return write(o);
      };
      return b;
    };
    return () => {
      db.batch = batch;
      release();
    };
  };

  // Few pending keys: the subject's pending ids are found with one walk over them. Many (more than the query's
  // hits): each hit is looked up. Either way a hit answers as its pending write says.
  for (const [label, others] of [
    ['few pending keys', 0],
    ['more pending keys than hits', 50],
  ] as const) {
    it(`answers a hit from its pending write (${label})`, async () => {
      const { engine } = await engines.open();
      const ctx = (engine as unknown as { ctx: ShardContext }).ctx;
      const ids: string[] = [];
      for (const content of ['heron lake', 'heron pond', 'heron marsh', 'heron river']) {
        ids.push((await engine.remember('t', input({ subject: 's', content }))).id!);
      }
      const heron = async () => ((await engine.query('t', query({ subject: 's', text: 'heron', skipReinforce: true }))).results ?? []).map((r) => r.memory!.id);
      expect((await heron()).sort()).toEqual([...ids].sort());

      // Written to the store directly (the cache is not told): only what a query sees while they are pending counts.
      const release = holdWrites(ctx);
      const [gone, rewritten] = [ids[0]!, ids[1]!];
      const key = (id: string) => subjectMemoryPrefix('t', 's') + id;
      const record = (await ctx.records.get(key(rewritten)))!;
      const writes = [
        ctx.store.writer.write({ ops: [{ type: 'del', key: key(gone) }], priority: 1 }),
        ctx.store.writer.write({ ops: [{ type: 'put', key: key(rewritten), value: recordCodec.encode({ ...record, importance: 0.99 }) }], priority: 1 }),
        ...Array.from({ length: others }, (_, i) => ctx.store.writer.write({ ops: [{ type: 'put', key: `z-other-${i}`, value: new Uint8Array(1) }], priority: 1 })),
      ];
      expect(ctx.store.writer.pendingKeys).toBe(2 + others);
      try {
        const results = (await engine.query('t', query({ subject: 's', text: 'heron', skipReinforce: true }))).results ?? [];
        expect(results.map((r) => r.memory!.id).sort()).toEqual(ids.slice(1).sort());
        expect(results.find((r) => r.memory!.id === rewritten)!.memory!.importance).toBeCloseTo(0.99);
        expect(ctx.store.writer.pending).toBe(writes.length);
      } finally {
        release();
        await Promise.all(writes);
      }
    });
  }
});
