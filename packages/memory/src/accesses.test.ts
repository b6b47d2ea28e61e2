import { afterEach, describe, expect, it } from 'vitest';
import { accessCodec, accessKey, expiryPrefix, memoryKey, prefixEnd, recordCodec, Space } from '@engram/storage';
import { input, openTestEngine, query, rawStore, streamRequest, testEngines } from './test-engine.js';
import { MAX_PROMOTED_IDS } from '@engram/protocol';

const engines = testEngines();
afterEach(engines.closeAll);

const HOUR = 3600_000;

describe('accesses (AccessRecords)', () => {
  it('are written on their own, leaving the record as it was written, and merged into every read', async () => {
    const first = await openTestEngine();
    const a = await first.engine.remember('t', input({ subject: 's', content: 'count my visits' }));
    first.clock.advance(HOUR);
    await first.engine.recall('t', 's', a.id!, true);
    await first.engine.recall('t', 's', a.id!, true);
    await first.engine.maintain(); // writes the accesses back
    await first.engine.close();

    const raw = await rawStore(first.dir);
    const record = recordCodec.decode(raw.get(Space.Memory)!.get(memoryKey('t', 's', a.id!))!);
    expect(record.accessCount).toBe(0);
    expect(record.recentAccessMs).toEqual([]);
    const access = accessCodec.decode(raw.get(Space.Access)!.get(accessKey('t', 's', a.id!))!);
    expect(access.accessCount).toBe(2);
    expect(access.recentAccessMs).toHaveLength(2);
    expect(access.expiresAtMs).toBeGreaterThan(record.expiresAtMs);

    // After a restart nothing is cached: a Recall, a scan (a Query without a text cue) and a text Query all read the
    // access record with the memory's.
    const second = await openTestEngine({}, first.dir);
    expect((await second.engine.recall('t', 's', a.id!, false)).memory?.accessCount).toBe(2);
    await second.engine.close();
    const third = await openTestEngine({}, first.dir);
    engines.opened.push(third);
    const scanned = await third.engine.query('t', query({ subject: 's' }));
    expect(scanned.results!.map((r) => r.memory?.accessCount)).toEqual([2]);
  });

  it('keep a memory whose accesses moved its expiry out until its new expiry, and scans see that too', async () => {
    const { engine, clock, dir } = await engines.open();
    const kept = await engine.remember('t', input({ subject: 's', content: 'a passing car', layer: 'LAYER_SENSORY' }));
    const other = await engine.remember('t', input({ subject: 's', content: 'a passing bus', layer: 'LAYER_SENSORY' }));
    clock.advance(23 * HOUR);
    await engine.recall('t', 's', kept.id!, true);
    await engine.maintain();
    clock.advance(2 * HOUR); // the record's own expiry has passed; the one its access set has not

    // Scans merge the access record too (both directions), so the memory is alive for them as well.
    for (const newestFirst of [false, true]) {
      const res = await engine.thoughts.readStream('t', streamRequest({ subject: 's', newestFirst }));
      expect(res.entries!.map((e) => e!.id)).toEqual([kept.id]);
    }
    // (A Query counts an access of what it returns: the second one, at 25 h.)
    expect((await engine.query('t', query({ subject: 's' }))).results!.map((r) => r.memory?.id)).toEqual([kept.id]);

    expect(await engine.maintain()).toBe(1); // `other` expires
    expect((await engine.recall('t', 's', kept.id!, false)).memory?.accessCount).toBe(2);
    await expect(engine.recall('t', 's', other.id!, false)).rejects.toMatchObject({ code: 5 });

    clock.advance(23 * HOUR);
    expect(await engine.maintain()).toBe(0);
    clock.advance(HOUR); // 24 h after the last access
    expect(await engine.maintain()).toBe(1);
    await expect(engine.recall('t', 's', kept.id!, false)).rejects.toMatchObject({ code: 5 });
    expect((await engine.stats()).memories).toBe(0);
    await engine.close();

    // Nothing is left behind: no record, access record or expiry entry.
    const raw = await rawStore(dir);
    expect(raw.get(Space.Memory)).toBeUndefined();
    expect(raw.get(Space.Access)).toBeUndefined();
    expect([...(raw.get(Space.Expiry)?.keys() ?? [])].filter((k) => k >= expiryPrefix() && k < prefixEnd(expiryPrefix()))).toEqual([]);
  });

  it('go with the memory when it is forgotten, and are folded into the record when a consolidation rewrites it', async () => {
    const { engine, dir } = await engines.open();
    const gone = await engine.remember('t', input({ subject: 's', content: 'forget this one' }));
    const promoted = await engine.remember('t', input({ subject: 's', content: 'keep this one forever', importance: 1 }));
    for (let i = 0; i < 5; i++) {
      await engine.recall('t', 's', gone.id!, true);
      await engine.recall('t', 's', promoted.id!, true);
    }
    await engine.maintain();
    expect((await engine.forget('t', 's', gone.id!)).existed).toBe(true);
    const res = await engine.thoughts.consolidate('t', { subject: 's', promoteThreshold: 0, dryRun: false, promoteFrom: [] });
    expect(res.promotedIds).toEqual([promoted.id]);
    expect((await engine.recall('t', 's', promoted.id!, false)).memory).toMatchObject({ accessCount: 5, layer: 'LAYER_ETERNAL' });
    await engine.close();

    const raw = await rawStore(dir);
    expect(raw.get(Space.Access)).toBeUndefined();
    const record = recordCodec.decode(raw.get(Space.Memory)!.get(memoryKey('t', 's', promoted.id!))!);
    expect(record.accessCount).toBe(5);
    expect(record.recentAccessMs).toHaveLength(5);
  });
});

describe('forgetting a subject larger than a page', () => {
  it('deletes every memory, its accesses and index entries, page by page, and leaves other subjects alone', async () => {
    const { engine, dir } = await engines.open();
    const n = 700; // pages of 256: three of them, the last partial
    for (let from = 0; from < n; from += 100) {
      const res = await engine.rememberBatch('t', Array.from({ length: 100 }, (_, i) => input({ subject: 'big', content: `note ${from + i} about the garden` })), () => ({ code: 2, message: 'bug' }));
      expect(res.succeeded).toBe(100);
    }
    const kept = await engine.remember('t', input({ subject: 'other', content: 'note about the garden too' }));
    const some = (await engine.query('t', query({ subject: 'big', text: 'garden', limit: 5 }))).results!;
    for (const r of some) await engine.recall('t', 'big', r.memory!.id!, true);
    await engine.maintain();
    expect(await engine.forgetSubject('t', 'big')).toEqual({ deleted: n });
    expect((await engine.query('t', query({ subject: 'big', text: 'garden' }))).results).toHaveLength(0);
    expect((await engine.recall('t', 'other', kept.id!, false)).memory?.content).toBe('note about the garden too');
    expect((await engine.stats()).memories).toBe(1);
    await engine.close();

    const raw = await rawStore(dir);
    const ofBig = (space: string) => [...(raw.get(space)?.keys() ?? [])].filter((k) => k.includes('\x00big\x00'));
    for (const space of [Space.Memory, Space.Access, Space.Posting, Space.PostingBlock, Space.Expiry]) expect(ofBig(space)).toEqual([]);
    expect(raw.get(Space.IndexJournal)).toBeUndefined();
    expect(ofBig('z')).toHaveLength(n); // a tombstone per forgotten id
  });
});

describe('consolidating a subject larger than a page', () => {
  it('promotes and expires across pages, every memory once', async () => {
    const { engine, clock } = await engines.open();
    const batch = (layer: 'LAYER_SENSORY' | 'LAYER_LOGIC', from: number) =>
      engine.rememberBatch('t', Array.from({ length: 100 }, (_, i) => input({ subject: 's', content: `${layer} note ${from + i}`, layer })), () => ({ code: 2, message: 'bug' }));
    for (let from = 0; from < 300; from += 100) expect((await batch('LAYER_SENSORY', from)).succeeded).toBe(100);
    clock.advance(25 * 3600_000); // the sensory ones have expired (not yet swept)
    for (let from = 0; from < 400; from += 100) expect((await batch('LAYER_LOGIC', from)).succeeded).toBe(100);
    const res = await engine.thoughts.consolidate('t', { subject: 's', promoteThreshold: -1e9, dryRun: false, promoteFrom: [] });
    expect(res.expired).toBe(300);
    expect(res.promoted).toBe(400);
    expect(new Set(res.promotedIds).size).toBe(400);
    expect((await engine.stats()).memories).toBe(400);
    const page = (await engine.query('t', query({ subject: 's', limit: 500 }))).results!;
    expect(page.map((r) => r.memory?.layer)).toEqual(Array.from({ length: 400 }, () => 'LAYER_ETERNAL'));
  });

  it('counts every promoted memory but names only the first MAX_PROMOTED_IDS, in id order', async () => {
    const { engine } = await engines.open();
    const ids: string[] = [];
    for (let from = 0; from < MAX_PROMOTED_IDS + 200; from += 100) {
      const res = await engine.rememberBatch('t', Array.from({ length: 100 }, (_, i) => input({ subject: 's', content: `note ${from + i}`, layer: 'LAYER_LOGIC' })), () => ({ code: 2, message: 'bug' }));
      ids.push(...res.results!.map((r) => r.ok!.id!));
    }
    const res = await engine.thoughts.consolidate('t', { subject: 's', promoteThreshold: -1e9, dryRun: false, promoteFrom: [] });
    expect(res.promoted).toBe(MAX_PROMOTED_IDS + 200);
    expect(res.promotedIds).toEqual([...ids].sort().slice(0, MAX_PROMOTED_IDS));
  });
});
