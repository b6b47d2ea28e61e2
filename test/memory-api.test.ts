import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, credentials } from '@grpc/grpc-js';
import { TestCluster } from './harness/cluster.js';
import { adminClient, codeOf, memoryClient, type AsyncClient } from './harness/clients.js';
import { hoursAgo, only } from './harness/fixtures.js';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

let cluster: TestCluster;
let single: TestCluster;
let client: AsyncClient;
let singleClient: AsyncClient;

beforeAll(async () => {
  [cluster, single] = await Promise.all([new TestCluster({ shards: 3 }).start(), new TestCluster({ shards: 1 }).start()]);
  client = memoryClient(cluster.address);
  singleClient = memoryClient(single.address);
});

afterAll(async () => {
  client?.close();
  singleClient?.close();
  await Promise.all([cluster?.stop(), single?.stop()]);
});

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the call to fail');
}

describe('memory API through the gateway', () => {
  it('recalls what it remembered, with derived fields', async () => {
    const { id, layer } = await client.call('Remember', {
      memory: { subject: 'recall-1', kind: 'message', content: 'I am SO happy, we won the championship!!!', tags: ['sports'] },
    });
    expect(layer).toBe('LAYER_EMOTION');
    const { memory } = await client.call('Recall', { subject: 'recall-1', id });
    expect(memory).toMatchObject({ id, subject: 'recall-1', kind: 'message', tags: ['sports'], layer: 'LAYER_EMOTION' });
    expect(memory.valence).toBeGreaterThan(0.5);
    expect(memory.arousal).toBeGreaterThan(0.6);
    expect(memory.keywords.length).toBeGreaterThan(0);
    expect(Number(memory.version.wallMs)).toBeGreaterThan(0);
  });

  it('reinforces a repeated memory instead of duplicating it, and honours client ids', async () => {
    const a = await client.call('Remember', { memory: { subject: 'dup-1', kind: 'chat', content: 'Good morning!' } });
    const b = await client.call('Remember', { memory: { subject: 'dup-1', kind: 'chat', content: 'good   MORNING!' } });
    expect(b).toMatchObject({ id: a.id, deduplicated: true });
    const c1 = await client.call('Remember', { memory: { subject: 'dup-1', id: 'client-42', content: 'paid the invoice' } });
    const c2 = await client.call('Remember', { memory: { subject: 'dup-1', id: 'client-42', content: 'paid the invoice' } });
    expect(c2.id).toBe(c1.id);
    expect((await failure(client.call('Remember', { memory: { subject: 'dup-1', id: 'client-42', content: 'other' } }))).code).toBe(6);
    const all = await client.call('Query', { subject: 'dup-1', skipReinforce: true });
    expect(all.results).toHaveLength(2);
  });

  it('ranks a constructed example by recency, importance and relevance as weighted', async () => {
    const subject = 'rank-1';
    const put = async (content: string, importance: number, hours: number) =>
      (await client.call('Remember', { memory: { subject, content, importance, occurredAt: hoursAgo(hours), layer: 'LAYER_LOGIC' } })).id as string;
    const oldImportant = await put('quarterly budget review with finance', 0.95, 72);
    const recentTrivial = await put('had a sandwich for lunch', 0.05, 1);
    const middle = await put('budget spreadsheet shared with the team', 0.5, 24);
    const ids = async (request: object) =>
      (await client.call('Query', { subject, skipReinforce: true, ...request })).results.map((r: { memory: { id: string } }) => r.memory.id);
    expect(await ids({ weights: only('importance') })).toEqual([oldImportant, middle, recentTrivial]);
    expect(await ids({ weights: only('recency') })).toEqual([recentTrivial, middle, oldImportant]);
    expect(await ids({ text: 'budget', weights: only('relevance') })).toHaveLength(2);
    const scored = (await client.call('Query', { subject, text: 'budget spreadsheet', skipReinforce: true })).results;
    expect(scored[0].memory.id).toBe(middle);
    for (let i = 1; i < scored.length; i++) expect(scored[i - 1].score).toBeGreaterThanOrEqual(scored[i].score);
    expect(scored[0].components.relevance).toBe(1);
  });

  it('merges a tenant-wide query exactly as one store would rank it, page by page', async () => {
    const topics = ['garden', 'tomato', 'harvest', 'rain', 'soil', 'compost'];
    const memories = Array.from({ length: 120 }, (_, i) => ({
      subject: `tw-${i % 17}`,
      id: `tw-${i}`,
      layer: 'LAYER_LOGIC',
      content: `${topics[i % 6]} notes ${topics[(i * 7) % 6]} day ${i}`,
      importance: ((i * 37) % 100) / 100,
      occurredAt: hoursAgo((i * 13) % 96),
    }));
    expect((await client.call('RememberBatch', { memories })).succeeded).toBe(120);
    expect((await singleClient.call('RememberBatch', { memories })).succeeded).toBe(120);
    const query = { text: 'tomato harvest', weights: { recency: 1, importance: 1, relevance: 2, activation: 0 }, skipReinforce: true, limit: 15 };
    const pages = async (c: AsyncClient) => {
      const out: { id: string; score: number }[] = [];
      let pageToken = '';
      for (let page = 0; page < 20; page++) {
        const res = await c.call('Query', { ...query, pageToken });
        out.push(...res.results.map((r: { memory: { id: string }; score: number }) => ({ id: r.memory.id, score: r.score })));
        pageToken = res.nextPageToken;
        if (!pageToken) break;
      }
      return out;
    };
    const [sharded, reference] = await Promise.all([pages(client), pages(singleClient)]);
    expect(sharded.length).toBe(reference.length);
    expect(sharded.length).toBeGreaterThan(30);
    expect(new Set(sharded.map((r) => r.id)).size).toBe(sharded.length);
    expect(sharded.map((r) => r.id)).toEqual(reference.map((r) => r.id));
    sharded.forEach((r, i) => expect(r.score).toBeCloseTo(reference[i]!.score, 9));
  });

  it('writes a batch item by item: one bad item does not fail the rest', async () => {
    const res = await client.call('RememberBatch', {
      memories: [
        { subject: 'batch-a', content: 'first' },
        { subject: '', content: 'no subject' },
        { subject: 'batch-b', content: 'third', importance: 7 },
        { subject: 'batch-c', content: 'fourth' },
      ],
    });
    expect(res.succeeded).toBe(2);
    expect(res.results.map((r: { outcome: string }) => r.outcome)).toEqual(['ok', 'error', 'error', 'ok']);
    expect(res.results[1].error).toMatchObject({ code: INVALID_ARGUMENT, message: 'memories[1].subject: must not be empty' });
    expect(res.results[2].error.message).toBe('memories[2].importance: must be a number from 0 to 1');
  });

  it('answers bad input with INVALID_ARGUMENT naming the field, and keeps serving', async () => {
    const cases: [object, string][] = [
      [{ memory: { subject: '', content: 'x' } }, 'memory.subject'],
      [{ memory: { subject: 's', content: '' } }, 'memory.content'],
      [{ memory: { subject: 's', content: 'x', layer: 9 } }, 'memory.layer'],
      [{ memory: { subject: 's', content: 'x'.repeat(70_000) } }, 'memory.content'],
      [{ memory: { subject: 's', content: 'x', payload: Buffer.alloc(2 * 1024 * 1024) } }, 'memory.payload'],
      [{ memory: { subject: 's', content: 'x', embedding: [0.1, Number.NaN, 0.3] } }, 'memory.embedding[1]'],
      [{ memory: { subject: 's', content: 'x', valence: 3 } }, 'memory.valence'],
      [{ memory: { subject: 's', content: 'x', occurredAt: { seconds: Math.floor(Date.now() / 1000) + 7 * 86400, nanos: 0 } } }, 'memory.occurred_at'],
      [{ memory: { subject: 's', content: 'x', id: 'has spaces' } }, 'memory.id'],
      [{ memory: { subject: 's\u0001', content: 'x' } }, 'memory.subject'],
      [{ memory: { subject: 's', content: 'x', ttl: { seconds: 5 }, expiresAt: { seconds: 4102444800 } } }, 'memory.expires_at'],
    ];
    for (const [request, field] of cases) {
      const err = await failure(client.call('Remember', request));
      expect({ field, code: err.code }).toEqual({ field, code: INVALID_ARGUMENT });
      expect(err.details.startsWith(`${field}:`)).toBe(true);
    }
    expect((await failure(client.call('Recall', { subject: '', id: 'x' }))).details).toMatch(/^subject:/);
    expect((await failure(client.call('Query', { subject: 's', limit: 5000 }))).details).toMatch(/^limit:/);
    expect((await failure(client.call('Query', { text: 'x', pageToken: 'garbage' }))).details).toMatch(/^page_token:/);
    const raw = new Client(cluster.address, credentials.createInsecure());
    const malformed = await new Promise<{ code: number; details: string }>((resolve) =>
      raw.makeUnaryRequest(
        '/engram.v1.MemoryService/Remember',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0x01]),
        { deadline: Date.now() + 5000 },
        (err) => resolve(err as never),
      ),
    );
    raw.close();
    expect(malformed).toMatchObject({ code: INVALID_ARGUMENT, details: 'request: malformed protobuf message' });
    const admin = adminClient(cluster.address);
    const status = await admin.call('ClusterStatus', {});
    admin.close();
    expect(status.nodes.every((n: { health: string }) => n.health === 'NODE_HEALTH_SERVING')).toBe(true);
  });

  it('forgets a memory and a whole subject: gone from recall and every query', async () => {
    const keep = await client.call('Remember', { memory: { subject: 'forget-1', content: 'pelican sighting at the lake' } });
    const gone = await client.call('Remember', { memory: { subject: 'forget-1', content: 'pelican photo uploaded' } });
    expect(await client.call('Forget', { subject: 'forget-1', id: gone.id })).toEqual({ existed: true });
    expect(await client.call('Forget', { subject: 'forget-1', id: gone.id })).toEqual({ existed: false });
    expect(await codeOf(client.call('Recall', { subject: 'forget-1', id: gone.id }))).toBe(NOT_FOUND);
    const bySubject = await client.call('Query', { subject: 'forget-1', text: 'pelican', skipReinforce: true });
    expect(bySubject.results.map((r: { memory: { id: string } }) => r.memory.id)).toEqual([keep.id]);
    for (let i = 0; i < 30; i++) await client.call('Remember', { memory: { subject: 'forget-2', content: `heron note ${i}` } });
    expect(await client.call('ForgetSubject', { subject: 'forget-2' })).toEqual({ deleted: 30 });
    expect((await client.call('Query', { subject: 'forget-2', skipReinforce: true })).results).toHaveLength(0);
    const tenantWide = await client.call('Query', { text: 'heron pelican', skipReinforce: true, limit: 100 });
    expect(tenantWide.results.map((r: { memory: { id: string } }) => r.memory.id)).toEqual([keep.id]);
  });
});
