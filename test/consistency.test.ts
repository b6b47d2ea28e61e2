import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClassicLevel } from 'classic-level';
import { hashEntryCodec, postingBlockCodec, recordCodec, stringListCodec } from '@engram/storage';
import { TestCluster } from './harness/cluster.js';
import { memoryClient, shardClient, type AsyncClient } from './harness/clients.js';

/**
 * A bounded mixed workload from many concurrent clients (writes, duplicates, batches, recalls, queries,
 * forgets, whole-subject forgets), then a check of what every shard holds: its counters equal the memories
 * actually stored, and no index entry points to a memory that is gone.
 */
let cluster: TestCluster;
let client: AsyncClient;

beforeAll(async () => {
  cluster = await new TestCluster({ shards: 2, shardEnv: { ENGRAM_BATCH_MAX_DELAY: '2ms' } }).start();
  client = memoryClient(cluster.address);
});
afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const words = ['apple', 'river', 'stone', 'cloud', 'ember', 'frost', 'grove', 'harbor'];

async function worker(seed: number, operations: number, ids: Map<string, string[]>) {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  for (let i = 0; i < operations; i++) {
    const subject = `c-${Math.floor(random() * 12)}`;
    const r = random();
    try {
      if (r < 0.4) {
        const res = await client.call('Remember', { memory: { subject, kind: 'k', content: `${pick(words)} ${pick(words)} ${Math.floor(random() * 30)}` } });
        ids.set(subject, [...(ids.get(subject) ?? []), res.id]);
      } else if (r < 0.5) {
        await client.call('RememberBatch', {
          memories: Array.from({ length: 5 }, () => ({ subject: `c-${Math.floor(random() * 12)}`, content: `${pick(words)} batch ${Math.floor(random() * 50)}` })),
        });
      } else if (r < 0.65) {
        const known = ids.get(subject) ?? [];
        if (known.length > 0) await client.call('Recall', { subject, id: pick(known) }).catch(() => undefined);
      } else if (r < 0.8) {
        await client.call('Query', { subject: random() < 0.5 ? subject : '', text: pick(words), limit: 5 });
      } else if (r < 0.95) {
        const known = ids.get(subject) ?? [];
        if (known.length > 0) await client.call('Forget', { subject, id: pick(known) });
      } else {
        await client.call('ForgetSubject', { subject });
      }
    } catch (err) {
      throw new Error(`operation ${i} of worker ${seed} failed: ${(err as Error).message}`);
    }
  }
}

describe('consistency under concurrent mixed load', () => {
  it('keeps counters equal to what is stored and leaves no dangling index entry', async () => {
    const ids = new Map<string, string[]>();
    await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w + 1, 60, ids)));

    for (const [i] of cluster.shards.entries()) {
      const stats = await shardClient(cluster.shards[i]!.address).call('Stats', {});
      expect(await cluster.stopShard(i)).toBe(0);
      const db = new ClassicLevel<string, Uint8Array>(cluster.shardDir(i), { keyEncoding: 'utf8', valueEncoding: 'view' });
      const keys = await db.keys().all();
      const hashEntries = await db.iterator({ gte: 'h\x00', lt: 'h\x01' }).all();
      const blocks = await db.iterator({ gte: 'b\x00', lt: 'b\x01' }).all();
      const journal = await db.iterator({ gte: 'j\x00', lt: 'j\x01' }).all();
      const records = await db.iterator({ gte: 'm\x00', lt: 'm\x01' }).all();
      await db.close();
      const memories = new Set(keys.filter((k) => k.startsWith('m\x00')).map((k) => k.slice(2)));
      const subjects = new Set([...memories].map((k) => k.split('\x00').slice(0, 2).join('\x00')));
      expect(Number(stats.memories)).toBe(memories.size);
      expect(Number(stats.subjects)).toBe(subjects.size);
      for (const k of keys.filter((key) => key.startsWith('p\x00'))) {
        const [, tenant, , subject, id] = k.split('\x00');
        expect(memories.has(`${tenant}\x00${subject}\x00${id}`)).toBe(true);
      }
      // Every posting names a live memory, and every live memory is indexed under each of its terms: in the block
      // of its segment, or listed in its segment's journal (not yet written as blocks).
      const indexed = new Set<string>();
      for (const [k, v] of blocks) {
        const [, tenant, term, subject, segment] = k.split('\x00');
        postingBlockCodec.decode(v, (id) => {
          expect(memories.has(`${tenant}\x00${subject}\x00${id}`)).toBe(true);
          indexed.add(`${tenant}\x00${subject}\x00${id}\x00${term}\x00${Number(segment)}`);
        });
      }
      const journalled = new Set(journal.flatMap(([, v]) => stringListCodec.decode(v)));
      for (const [k, v] of records) {
        const r = recordCodec.decode(v);
        if (journalled.has(k)) continue;
        for (const t of r.terms) expect(indexed.has(`${k.slice(2)}\x00${t.term}\x00${r.indexSegment}`)).toBe(true);
      }
      for (const k of keys.filter((key) => key.startsWith('x\x00'))) {
        const [, , tenant, subject, id] = k.split('\x00');
        expect(memories.has(`${tenant}\x00${subject}\x00${id}`)).toBe(true);
      }
      for (const k of keys.filter((key) => key.startsWith('a\x00'))) {
        // A memory's AccessRecord goes with it.
        expect(memories.has(k.slice(2))).toBe(true);
      }
      for (const [k, v] of hashEntries) {
        const [, tenant, subject] = k.split('\x00');
        expect(memories.has(`${tenant}\x00${subject}\x00${hashEntryCodec.decode(v).id}`)).toBe(true);
      }
      const subjectCounters = keys.filter((k) => k.startsWith('s\x00')).map((k) => k.slice(2));
      expect(new Set(subjectCounters)).toEqual(subjects);
      await cluster.restartShard(i);
    }
  });
});
