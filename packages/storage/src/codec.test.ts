import { describe, expect, it } from 'vitest';
import { encodeVarint } from '@engram/protocol';
import {
  EMPTY,
  postingBlockCodec,
  stringListCodec,
  decodeCount,
  encodeCount,
  hashEntryCodec,
  recordCodec,
  subjectCountersCodec,
  tenantCountersCodec,
  tombstoneCodec,
} from '@engram/storage';

describe('recordCodec', () => {
  it('round-trips a memory record', () => {
    const record = {
      id: '01J0000000000000000000000A',
      subject: 'alice',
      layer: 3,
      kind: 'note',
      content: 'Alice prefers tea over coffee',
      tags: ['drinks', 'prefs'],
      attributes: { source: 'chat', lang: 'en' },
      payload: Buffer.from([1, 2, 3, 0, 255]),
      payloadDeflated: true,
      embedding: [0.5, -0.25, 1],
      occurredAtMs: 1_723_456_789_012,
      ingestedAtMs: 1_723_456_789_999,
      importance: 0.75,
      valence: -0.5,
      arousal: 0.25,
      accessCount: 4,
      recentAccessMs: [1_723_456_800_000, 1_723_456_900_000],
      versionWallMs: 1_723_456_789_999,
      versionLogical: 2,
      versionNode: 'shard-1',
      expiresAtMs: 1_724_000_000_000,
      expiryExplicit: true,
      evidenceIds: ['a', 'b'],
      keywords: ['tea', 'coffee'],
      contentHash: 'abcdefghijklmnopqrstuv',
      terms: [
        { term: 'tea', count: 1 },
        { term: 'coffe', count: 1 },
      ],
      length: 4,
    };
    const decoded = recordCodec.decode(recordCodec.encode(record));
    const { payload, ...rest } = record;
    expect(decoded).toMatchObject(rest);
    expect(Buffer.from(decoded.payload).equals(payload)).toBe(true);
  });

  it('decodes unset fields to their defaults', () => {
    const decoded = recordCodec.decode(recordCodec.encode({ id: 'x' }));
    expect(decoded.id).toBe('x');
    expect(decoded.subject).toBe('');
    expect(decoded.layer).toBe(0);
    expect(decoded.tags).toEqual([]);
    expect(decoded.embedding).toEqual([]);
    expect(decoded.expiresAtMs).toBe(0);
    expect(decoded.payloadDeflated).toBe(false);
  });

  it('stores embedding components as float32', () => {
    const decoded = recordCodec.decode(recordCodec.encode({ embedding: [0.1] }));
    expect(decoded.embedding[0]).toBe(Math.fround(0.1));
  });
});

describe('counter and index codecs', () => {
  it('round-trip tenant counters, including the per-layer map', () => {
    const value = { memories: 12, subjects: 3, layers: { 1: 5, 3: 7 }, totalLength: 1e12 };
    const decoded = tenantCountersCodec.decode(tenantCountersCodec.encode(value));
    expect(decoded.memories).toBe(12);
    expect(decoded.subjects).toBe(3);
    expect(decoded.totalLength).toBe(1e12);
    expect({ ...decoded.layers }).toEqual({ 1: 5, 3: 7 });
  });

  it('round-trip subject counters', () => {
    expect(subjectCountersCodec.decode(subjectCountersCodec.encode({ memories: 2 ** 40, totalLength: 7 }))).toMatchObject({ memories: 2 ** 40, totalLength: 7 });
  });

  it('round-trip hash entries', () => {
    expect(hashEntryCodec.decode(hashEntryCodec.encode({ id: '01X', ingestedAtMs: 1_723_456_789_012 }))).toMatchObject({ id: '01X', ingestedAtMs: 1_723_456_789_012 });
  });

  it('round-trip tombstones', () => {
    expect(tombstoneCodec.decode(tombstoneCodec.encode({ forgottenAtMs: 1_723_456_789_012 })).forgottenAtMs).toBe(1_723_456_789_012);
  });
});

describe('encodeCount / decodeCount', () => {
  const values = [0, 1, 2, 127, 128, 255, 300, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];

  it('round-trips counts up to 2^32 - 1', () => {
    for (const n of values) expect(decodeCount(encodeCount(n))).toBe(n);
  });

  it('round-trips every count up to 20000', () => {
    for (let n = 0; n <= 20_000; n++) expect(decodeCount(encodeCount(n))).toBe(n);
  });

  it('writes the protobuf varint encoding (minimal length)', () => {
    for (const n of values) {
      const expected: number[] = [];
      encodeVarint(n, expected);
      expect([...encodeCount(n)]).toEqual(expected);
    }
    expect([...encodeCount(1)]).toEqual([1]);
    expect([...encodeCount(300)]).toEqual([0xac, 0x02]);
  });

  it('decodes an empty value as 0', () => {
    expect(decodeCount(EMPTY)).toBe(0);
    expect(EMPTY.length).toBe(0);
  });

  it('ignores bytes after the last varint byte', () => {
    expect(decodeCount(Uint8Array.from([0x05, 0x99]))).toBe(5);
  });
});

describe('postingBlockCodec and stringListCodec', () => {
  const ids = ['01HZX0000000000000000000AB', 'a', 'Zoë-✓', '东京 1', 'x'.repeat(200), ''];
  const tf = [1, 127, 128, 300, 65_537, 2 ** 31];

  it('give back every posting in order, whatever the ids and frequencies', () => {
    const out: [string, number][] = [];
    postingBlockCodec.decode(postingBlockCodec.encode(ids, tf), (id, n) => out.push([id, n]));
    expect(out).toEqual(ids.map((id, i) => [id, tf[i]]));
    const empty: unknown[] = [];
    postingBlockCodec.decode(postingBlockCodec.encode([], []), (id) => empty.push(id));
    expect(empty).toEqual([]);
  });

  it('encode ids given as UTF-8 bytes to the same block', () => {
    expect(Buffer.from(postingBlockCodec.encodeBytes(ids.map((id) => Buffer.from(id)), tf))).toEqual(Buffer.from(postingBlockCodec.encode(ids, tf)));
  });

  it('refuse a truncated block instead of reading past it', () => {
    const bytes = postingBlockCodec.encode(ids, tf);
    expect(() => postingBlockCodec.decode(bytes.subarray(0, bytes.length - 3), () => undefined)).toThrow(/truncated/);
  });

  it('keep a list of keys as it was', () => {
    const keys = ['m\x00t\x00s\x0001HZX', 'm\x00tenänt\x00东京\x00id', ''];
    expect(stringListCodec.decode(stringListCodec.encode(keys))).toEqual(keys);
  });
});
