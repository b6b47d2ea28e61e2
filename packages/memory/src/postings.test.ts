import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeCount,
  indexStateKey,
  decodeCount,
  memoryKey,
  postingBlockCodec,
  postingBlockKey,
  postingKey,
  recordCodec,
  Space,
  stringListCodec,
  Store,
} from '@engram/storage';
import { input, openTestEngine, query, rawStore, testEngines } from './test-engine.js';

const engines = testEngines();
afterEach(engines.closeAll);

const HOUR = 3600_000;
const bug = () => ({ code: 2, message: 'bug' });

/** The postings of a block as [id, tf] pairs. */
function blockEntries(bytes: Uint8Array): [string, number][] {
  const out: [string, number][] = [];
  postingBlockCodec.decode(bytes, (id, tf) => out.push([id, tf]));
  return out;
}

type Engine = Awaited<ReturnType<typeof openTestEngine>>['engine'];

/** A tenant-wide query on this shard (scatter phases), as the gateway runs it: candidates, df and the ids found. */
async function tenantWide(engine: Engine, text: string) {
  const q = query({ text, limit: 1000, skipReinforce: true });
  const base = { query: q, queryId: '', asOfMs: Number.MAX_SAFE_INTEGER, globalRanges: null, after: null, limit: 1000 };
  const terms = await engine.scatter('t', { ...base, phase: 'SCATTER_PHASE_TERMS', globalTerms: null });
  const top = await engine.scatter('t', { ...base, phase: 'SCATTER_PHASE_TOP', globalTerms: terms.terms as never });
  return { candidates: terms.candidates!, df: terms.terms!.documentFrequency![text], ids: top.results!.map((r) => r.memory!.id!) };
}

/** Ids a text query returns (in one subject, or across the tenant), sorted. */
async function found(engine: Engine, text: string, subject?: string): Promise<string[]> {
  if (subject === undefined) return (await tenantWide(engine, text)).ids.sort();
  const res = await engine.query('t', query({ subject, text, limit: 1000, skipReinforce: true }));
  return res.results!.map((r) => r.memory!.id!).sort();
}

describe('posting index (segments and blocks)', () => {
  it('writes a segment as one block per term and subject, ids in order, and nothing per posting', async () => {
    const { engine, dir } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '1000000' });
    const ids: string[] = [];
    for (const content of ['heron heron lake', 'heron by the pond', 'a lake at dusk']) ids.push((await engine.remember('t', input({ subject: 's', content }))).id!);
    const other = (await engine.remember('t', input({ subject: 'o', content: 'heron flying' }))).id!;
    // In memory (the segment is open): found by subject and across the tenant.
    expect(await found(engine, 'heron', 's')).toEqual([ids[0], ids[1]].sort());
    expect(await found(engine, 'heron')).toEqual([ids[0], ids[1], other].sort());
    await engine.close(); // flushes the open segment

    const raw = await rawStore(dir);
    expect(raw.get(Space.Posting)).toBeUndefined();
    expect(raw.get(Space.IndexJournal)).toBeUndefined();
    const record = recordCodec.decode(raw.get(Space.Memory)!.get(memoryKey('t', 's', ids[0]!))!);
    expect(record.indexSegment).toBeGreaterThan(0);
    const blocks = raw.get(Space.PostingBlock)!;
    const heron = blocks.get(postingBlockKey('t', 'heron', 's', record.indexSegment))!;
    expect(blockEntries(heron)).toEqual([
      [ids[0], 2],
      [ids[1], 1],
    ]);
    expect(blockEntries(blocks.get(postingBlockKey('t', 'lake', 's', record.indexSegment))!)).toEqual([
      [ids[0], 1],
      [ids[2], 1],
    ]);
    expect(blockEntries(blocks.get(postingBlockKey('t', 'heron', 'o', record.indexSegment))!)).toEqual([[other, 1]]);
    expect(decodeCount(raw.get(Space.IndexState)!.get(indexStateKey())!)).toBe(record.indexSegment);

    // After a restart the blocks answer.
    const again = await openTestEngine({}, dir);
    engines.opened.push(again);
    expect(await found(again.engine, 'heron', 's')).toEqual([ids[0], ids[1]].sort());
    expect(await found(again.engine, 'lake')).toEqual([ids[0], ids[2]].sort());
  });

  it('seals a segment by size and by age, and reads segments in memory, flushing and written alike', async () => {
    const { engine, clock, dir } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '20', ENGRAM_STORAGE_POSTING_SEGMENT_MAX_AGE: '1s' });
    const all: string[] = [];
    for (let b = 0; b < 10; b++) {
      const res = await engine.rememberBatch('t', Array.from({ length: 7 }, (_, i) => input({ subject: `s${i % 3}`, content: `wren note ${b} ${i}` })), bug);
      all.push(...res.results!.map((r) => r.ok!.id!));
      expect(await found(engine, 'wren')).toEqual([...all].sort());
    }
    const last = (await engine.remember('t', input({ subject: 's0', content: 'wren alone' }))).id!;
    all.push(last);
    clock.advance(2000);
    // The age check runs on a timer; a forget of the newest memory would seal it too, but here time does it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await found(engine, 'wren')).toEqual([...all].sort());
    await engine.close();
    const raw = await rawStore(dir);
    const segments = new Set([...raw.get(Space.Memory)!.values()].map((v) => recordCodec.decode(v).indexSegment));
    expect(segments.size).toBeGreaterThan(5);
    // Every memory's postings are in the block of its segment.
    for (const [key, v] of raw.get(Space.Memory)!) {
      const r = recordCodec.decode(v);
      const subject = key.split('\x00')[2]!;
      for (const t of r.terms) {
        const block = raw.get(Space.PostingBlock)!.get(postingBlockKey('t', t.term, subject, r.indexSegment));
        expect(block && blockEntries(block).some(([id]) => id === r.id)).toBe(true);
      }
    }
  });

  it('writes a segment of more blocks than a write takes in parts, readable only once all are written', async () => {
    const { engine, dir } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '1000000', ENGRAM_STORAGE_POSTING_SEGMENT_MAX_AGE: '1h' });
    const ids: string[] = [];
    // Every memory has a term of its own (its number): 1,300 blocks and more, three writes' worth.
    for (let from = 0; from < 1300; from += 100) {
      const res = await engine.rememberBatch('t', Array.from({ length: 100 }, (_, i) => input({ subject: `s${i % 2}`, content: `heron ${from + i}` })), bug);
      ids.push(...res.results!.map((r) => r.ok!.id!));
    }
    // Forgetting one seals the segment and waits for every part.
    expect((await engine.forget('t', 's0', ids[0]!)).existed).toBe(true);
    const wide = await tenantWide(engine, 'heron');
    expect([wide.candidates, wide.df]).toEqual([1299, 1299]);
    expect(await found(engine, '1299')).toEqual([ids[1299]]);
    await engine.close();
    const raw = await rawStore(dir);
    expect(raw.get(Space.IndexJournal)).toBeUndefined();
    expect(raw.get(Space.PostingBlock)!.size).toBeGreaterThan(1300);
    const heron = [...raw.get(Space.PostingBlock)!.entries()].filter(([k]) => k.includes('\x00heron\x00')).flatMap(([, v]) => blockEntries(v).map(([id]) => id));
    expect(heron.sort()).toEqual(ids.slice(1).sort());
  });

  it('rebuilds postings that were not written as blocks from the journal after a crash', async () => {
    const { engine, dir } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '1000000', ENGRAM_STORAGE_POSTING_SEGMENT_MAX_AGE: '1h' });
    const res = await engine.rememberBatch('t', Array.from({ length: 50 }, (_, i) => input({ subject: `s${i % 5}`, content: `osprey sighting ${i}` })), bug);
    const ids = res.results!.map((r) => r.ok!.id!).sort();
    const forgotten = res.results![7]!.ok!.id!; // subject s2
    for (let from = 0; from < 1100; from += 100) {
      expect((await engine.rememberBatch('t', Array.from({ length: 100 }, (_, i) => input({ subject: `w${(from + i) % 3}`, content: `wagtail ${from + i}` })), bug)).succeeded).toBe(100);
    }
    // The image a crash leaves: LevelDB's files as written, without the close that flushes the segment.
    const crashed = mkdtempSync(join(tmpdir(), 'engram-crash-'));
    try {
      cpSync(dir, crashed, { recursive: true });
      const raw = await rawStore(crashed);
      expect(raw.get(Space.PostingBlock)).toBeUndefined();
      const journalled = [...raw.get(Space.IndexJournal)!.values()].flatMap((v) => stringListCodec.decode(v));
      expect(journalled).toHaveLength(1150);

      const after = await openTestEngine({}, crashed);
      expect(await found(after.engine, 'osprey')).toEqual(ids);
      // The other memory of the image, written later in a batch of its own, rebuilt with them (its records are read
      // a page at a time: this segment names more than a page).
      expect((await tenantWide(after.engine, 'wagtail')).candidates).toBe(1100);
      const subject = 's2';
      // Deleting a memory of a rebuilt segment waits for its flush, then rewrites the block.
      expect((await after.engine.forget('t', subject, forgotten)).existed).toBe(true);
      expect(await found(after.engine, 'osprey')).toEqual(ids.filter((id) => id !== forgotten));
      await after.engine.close();
      const rebuilt = await rawStore(crashed);
      expect(rebuilt.get(Space.IndexJournal)).toBeUndefined();
      // 'osprei': the stemmed term.
      const blockIds = [...rebuilt.get(Space.PostingBlock)!.entries()].filter(([k]) => k.includes('\x00osprei\x00')).flatMap(([, v]) => blockEntries(v).map(([id]) => id));
      expect(blockIds.sort()).toEqual(ids.filter((id) => id !== forgotten));
    } finally {
      rmSync(crashed, { recursive: true, force: true });
    }
  });

  it('removes a deleted memory from its blocks (open, sealed or written segment) and drops emptied blocks', async () => {
    const { engine, clock, dir } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '1000000', ENGRAM_STORAGE_POSTING_SEGMENT_MAX_AGE: '1h' });
    const a = (await engine.remember('t', input({ subject: 's', content: 'kestrel hovering', layer: 'LAYER_ETERNAL' }))).id!;
    const b = (await engine.remember('t', input({ subject: 's', content: 'kestrel diving', layer: 'LAYER_ETERNAL' }))).id!;
    // Forgetting a memory of the open segment seals and flushes it first.
    expect((await engine.forget('t', 's', a)).existed).toBe(true);
    expect(await found(engine, 'kestrel', 's')).toEqual([b]);
    expect(await found(engine, 'hovering')).toEqual([]);
    // A sensory memory in a later segment expires; the sweep rewrites its blocks.
    const c = (await engine.remember('t', input({ subject: 's', content: 'kestrel calling', layer: 'LAYER_SENSORY' }))).id!;
    expect(await found(engine, 'kestrel', 's')).toEqual([b, c].sort());
    clock.advance(25 * HOUR);
    expect(await engine.maintain()).toBe(1);
    expect(await found(engine, 'kestrel', 's')).toEqual([b]);
    // And consolidation expires through the same path.
    const d = (await engine.remember('t', input({ subject: 's', content: 'kestrel perched', layer: 'LAYER_SENSORY' }))).id!;
    clock.advance(25 * HOUR);
    expect((await engine.thoughts.consolidate('t', { subject: 's', promoteThreshold: 1e9, dryRun: false, promoteFrom: [] })).expired).toBe(1);
    expect(await found(engine, 'kestrel')).toEqual([b]);
    await engine.close();

    const raw = await rawStore(dir);
    const blocks = [...(raw.get(Space.PostingBlock) ?? new Map()).entries()];
    const ids = blocks.flatMap(([, v]) => blockEntries(v).map(([id]) => id));
    expect(new Set(ids)).toEqual(new Set([b]));
    for (const gone of [a, c, d]) expect(blocks.some(([k]) => k.includes(gone))).toBe(false);
    // b's terms only: kestrel and diving (stemmed).
    expect(blocks.map(([k]) => k.split('\x00')[2]).sort()).toEqual(['dive', 'kestrel']);
  });

  it('reads and deletes the one-key postings of a store written before segments', async () => {
    const { engine, dir } = await engines.open();
    const ids: string[] = [];
    for (const content of ['plover on the shore', 'plover chicks', 'shore crabs']) ids.push((await engine.remember('t', input({ subject: 's', content }))).id!);
    await engine.close();
    // Turn the store into one written before segments: records without a segment, a key per posting.
    const store = await Store.open(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }, { maxWrites: 100, maxBytes: 1 << 20, maxDelayMs: 0, maxPending: 100, sync: false });
    try {
      const raw: [string, Uint8Array][] = [];
      for await (const entry of store.db.iterator()) raw.push(entry);
      const ops: { type: 'put' | 'del'; key: string; value?: Uint8Array }[] = [];
      for (const [k, v] of raw) {
        if (k[0] === Space.PostingBlock || k[0] === Space.IndexState) ops.push({ type: 'del', key: k });
        if (k[0] !== Space.Memory) continue;
        const r = recordCodec.decode(v);
        ops.push({ type: 'put', key: k, value: recordCodec.encode({ ...r, indexSegment: 0, terms: r.terms, recentAccessMs: r.recentAccessMs }) });
        for (const t of r.terms) ops.push({ type: 'put', key: postingKey('t', t.term, 's', r.id), value: encodeCount(t.count) });
      }
      await store.write({ ops, priority: 0 });
    } finally {
      await store.close();
    }
    const old = await openTestEngine({}, dir);
    engines.opened.push(old);
    expect(await found(old.engine, 'plover', 's')).toEqual([ids[0], ids[1]].sort());
    const added = (await old.engine.remember('t', input({ subject: 's', content: 'plover again' }))).id!;
    expect(await found(old.engine, 'plover')).toEqual([ids[0], ids[1], added].sort());
    expect((await old.engine.forget('t', 's', ids[0]!)).existed).toBe(true);
    expect(await found(old.engine, 'shore')).toEqual([ids[2]]);
    await old.engine.close();
    const raw = await rawStore(dir);
    expect([...raw.get(Space.Posting)!.keys()].some((k) => k.includes(ids[0]!))).toBe(false);
    expect([...raw.get(Space.Posting)!.keys()].filter((k) => k.includes(ids[1]!))).toHaveLength(2);
  });

  it('reads every posting exactly once while segments flush under concurrent writes and queries', async () => {
    const { engine } = await engines.open({ ENGRAM_STORAGE_POSTING_SEGMENT: '16' });
    const written: string[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 40; i++) {
        const res = await engine.rememberBatch('t', Array.from({ length: 5 }, (_, k) => input({ subject: `s${k}`, content: `swift ${w} ${i} ${k}` })), bug);
        written.push(...res.results!.map((r) => r.ok!.id!));
      }
    });
    let done = false;
    const readers = Array.from({ length: 2 }, async () => {
      let checks = 0;
      while (!done && checks < 2000) {
        checks += 1;
        const before = new Set(written);
        // Each memory holds the term once: a posting read twice would count twice in its document frequency.
        const wide = await tenantWide(engine, 'swift');
        expect(wide.df).toBe(wide.candidates);
        expect(new Set(wide.ids).size).toBe(wide.ids.length);
        // Whatever was acknowledged before the query began is found.
        const ids = new Set(wide.ids);
        for (const id of before) expect(ids.has(id)).toBe(true);
        const own = (await engine.query('t', query({ subject: 's1', text: 'swift', limit: 1000, skipReinforce: true }))).results!.map((r) => r.memory!.id!);
        expect(new Set(own).size).toBe(own.length);
      }
      return checks;
    });
    await Promise.all(writers);
    done = true;
    expect((await Promise.all(readers)).every((n) => n > 0)).toBe(true);
    expect(await found(engine, 'swift')).toEqual([...written].sort());
  });
});
