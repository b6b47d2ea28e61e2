import { describe, expect, it } from 'vitest';
import { messageType, type HashEntry__Output, type MemoryRecord } from '@engram/protocol';
import { hashEntryCodec, recordCodec } from '@engram/storage';

const recordType = messageType('engram.storage.v1.MemoryRecord');
const hashEntryType = messageType('engram.storage.v1.HashEntry');
const protobufjs = (type: typeof recordType, m: object) => Buffer.from(type.encode(m).finish());

/** A deterministic PRNG, so that a failure can be replayed. */
function prng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

const CHARS = ['a', 'Z', '0', ' ', '\n', 'é', 'ß', '€', '東', '京', '😀', '\ud800', '\udfff', '\u0000'];

function generator(seed: number) {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const string = () => {
    // Lengths on both sides of 40 characters, where protobufjs switches how it writes strings.
    const length = pick([0, 1, 5, 39, 40, 41, 120, int(300)]);
    let s = '';
    while (s.length < length) s += random() < 0.7 ? 'abcdefghij'[int(10)] : pick(CHARS);
    return s;
  };
  const number = () => pick([0, -0, 1, -1, 0.1, 1 / 3, 2 ** 31, 2 ** 32 + 5, -(2 ** 31), 1_764_000_000_123.5, NaN, Infinity, random() * 1e6]);
  const strings = () => Array.from({ length: int(4) }, string);
  /** A field's value: usually a value, sometimes absent, null or undefined (protobufjs writes only present ones). */
  const maybe = <T>(value: () => T): T | null | undefined | typeof ABSENT => {
    const r = random();
    return r < 0.1 ? ABSENT : r < 0.15 ? null : r < 0.2 ? undefined : value();
  };
  return { random, int, pick, string, number, strings, maybe };
}

const ABSENT = Symbol('absent');

function randomRecord(seed: number): MemoryRecord {
  const g = generator(seed);
  const fields: Record<string, () => unknown> = {
    id: g.string,
    subject: g.string,
    layer: () => g.pick([0, 1, 5, -1, -(2 ** 31), 2 ** 31 - 1]),
    kind: g.string,
    content: g.string,
    tags: g.strings,
    attributes: () => Object.fromEntries(Array.from({ length: g.int(4) }, (_, i) => [g.pick([`k${i}`, String(i), g.string()]), g.string()])),
    payload: () => g.pick([Buffer.alloc(0), Buffer.from(g.string()), new Uint8Array([1, 2, 3]), Buffer.from('payload').toString('base64')]),
    payloadDeflated: () => g.random() < 0.5,
    embedding: () => Array.from({ length: g.int(5) }, g.number),
    occurredAtMs: g.number,
    ingestedAtMs: g.number,
    importance: g.number,
    valence: g.number,
    arousal: g.number,
    accessCount: () => g.pick([0, 1, 127, 128, 300, 2 ** 32 - 1, 2 ** 32 + 3, -1, 1.5]),
    recentAccessMs: () => Array.from({ length: g.int(4) }, g.number),
    versionWallMs: g.number,
    versionLogical: () => g.pick([0, 1, 16_384, 2 ** 28]),
    versionNode: g.string,
    expiresAtMs: g.number,
    expiryExplicit: () => g.random() < 0.5,
    evidenceIds: g.strings,
    keywords: g.strings,
    contentHash: g.string,
    terms: () =>
      Array.from({ length: g.int(14) }, () => {
        const t: Record<string, unknown> = {};
        const term = g.maybe(g.string);
        const count = g.maybe(() => g.pick([0, 1, 2, 200, 2 ** 31]));
        if (term !== ABSENT) t.term = term;
        if (count !== ABSENT) t.count = count;
        return t;
      }),
    length: () => g.pick([0, 14, 1000, 2 ** 31]),
  };
  const m: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const v = g.maybe(value);
    if (v !== ABSENT) m[name] = v;
  }
  return m as MemoryRecord;
}

describe('recordCodec.encode', () => {
  it('gives the bytes protobufjs gives, for records with any mix of fields', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const m = randomRecord(seed);
      const ours = Buffer.from(recordCodec.encode(m));
      if (!ours.equals(protobufjs(recordType, m))) expect.fail(`record of seed ${seed} encodes differently`);
    }
  });

  it('gives the bytes protobufjs gives for decoded records (defaults on the prototype, not written)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const decoded = recordType.decode(protobufjs(recordType, randomRecord(seed))) as unknown as MemoryRecord;
      const ours = Buffer.from(recordCodec.encode(decoded));
      if (!ours.equals(protobufjs(recordType, decoded))) expect.fail(`decoded record of seed ${seed} encodes differently`);
      // Spread, as the write path updates records: own fields only, and term instances inside.
      const updated = { ...decoded, accessCount: 1 };
      if (!Buffer.from(recordCodec.encode(updated)).equals(protobufjs(recordType, updated))) expect.fail(`updated record of seed ${seed} encodes differently`);
    }
    const bare = Object.assign(Object.create(null) as object, { id: 'x', layer: 2 }) as MemoryRecord;
    expect(Buffer.from(recordCodec.encode(bare))).toEqual(protobufjs(recordType, bare));
  });

  it('gives the bytes protobufjs gives for a complete record as the write path builds it', () => {
    const record: MemoryRecord = {
      id: '01KB0000000000000000000000',
      subject: 'user-1',
      layer: 1,
      kind: 'note',
      content: 'met the budget team over coffee to plan the garden project before the family trip',
      tags: ['work'],
      attributes: { source: 'chat' },
      payload: Buffer.alloc(0),
      payloadDeflated: false,
      embedding: [],
      occurredAtMs: 1_764_000_000_000,
      ingestedAtMs: 1_764_000_000_000,
      importance: Math.fround(0.35),
      valence: 0,
      arousal: Math.fround(0.12),
      accessCount: 0,
      recentAccessMs: [],
      versionWallMs: 1_764_000_000_000,
      versionLogical: 3,
      versionNode: 'shard-0',
      expiresAtMs: 1_764_086_400_000,
      expiryExplicit: false,
      evidenceIds: [],
      keywords: ['met', 'budget'],
      contentHash: 'abcdefghijklmnopqrstuv',
      terms: [
        { term: 'budget', count: 1 },
        { term: 'coffe', count: 2 },
      ],
      length: 3,
    };
    expect(Buffer.from(recordCodec.encode(record))).toEqual(protobufjs(recordType, record));
    expect(recordCodec.decode(recordCodec.encode(record))).toMatchObject({ content: record.content, terms: record.terms, keywords: record.keywords });
  });

  it('covers every field of the schema (update record-encoder.ts with the schema)', () => {
    const fields = recordType.fieldsArray.map((f) => `${f.id} ${f.name} ${f.repeated ? 'repeated ' : ''}${f.map ? 'map ' : ''}${f.type}`);
    expect(fields).toEqual([
      '1 id string',
      '2 subject string',
      '3 layer int32',
      '4 kind string',
      '5 content string',
      '6 tags repeated string',
      '7 attributes map string',
      '8 payload bytes',
      '9 payloadDeflated bool',
      '10 embedding repeated float',
      '11 occurredAtMs double',
      '12 ingestedAtMs double',
      '13 importance float',
      '14 valence float',
      '15 arousal float',
      '16 accessCount uint32',
      '17 recentAccessMs repeated double',
      '18 versionWallMs double',
      '19 versionLogical uint32',
      '20 versionNode string',
      '21 expiresAtMs double',
      '22 expiryExplicit bool',
      '23 evidenceIds repeated string',
      '24 keywords repeated string',
      '25 contentHash string',
      '26 terms repeated TermCount',
      '27 length uint32',
      '28 indexSegment uint32',
    ]);
    const termFields = messageType('engram.storage.v1.TermCount').fieldsArray.map((f) => `${f.id} ${f.name} ${f.type}`);
    expect(termFields).toEqual(['1 term string', '2 count uint32']);
    const hashFields = hashEntryType.fieldsArray.map((f) => `${f.id} ${f.name} ${f.type}`);
    expect(hashFields).toEqual(['1 id string', '2 ingestedAtMs double']);
  });
});

describe('hashEntryCodec.encode', () => {
  it('gives the bytes protobufjs gives', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const g = generator(seed);
      const m: Record<string, unknown> = {};
      const id = g.maybe(g.string);
      const ingestedAtMs = g.maybe(g.number);
      if (id !== ABSENT) m.id = id;
      if (ingestedAtMs !== ABSENT) m.ingestedAtMs = ingestedAtMs;
      const ours = Buffer.from(hashEntryCodec.encode(m as unknown as HashEntry__Output));
      if (!ours.equals(protobufjs(hashEntryType, m))) expect.fail(`hash entry of seed ${seed} encodes differently`);
    }
  });
});
