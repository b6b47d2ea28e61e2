import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { monotonicFactory } from 'ulid';
import { describe, expect, it } from 'vitest';
import { ByteLru } from '@engram/cache';
import { processMemory, validateMemoryInput } from '@engram/cognition';
import { memoryInput } from '@engram/cognition/testing';
import { loadConfig, shardGroups } from '@engram/config';
import { memoryKey, recordCodec, type StoredMemory } from '@engram/storage';
import { messageType } from '@engram/protocol';
import { patchRecord, recordSize, recordWithAccesses } from './records.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap plus ArrayBuffer memory after full collections. */
function usedBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const config = loadConfig(shardGroups, { env: {}, argv: [] });
const WORDS = (
  'the a to of and in for on with at from meeting call email report budget invoice project deadline review design ' +
  'customer team doctor appointment lunch dinner coffee train flight hotel ticket garden kitchen phone laptop ' +
  'contract payment holiday weekend morning evening tomorrow monday friday alice bob carol paris london berlin urgent'
).split(' ');

interface Shape {
  words?: number;
  tags?: number;
  attributes?: number;
  embedding?: number;
  payload?: number;
  accesses?: number;
  evidence?: number;
  unicode?: boolean;
}

/** The encoded record the write path stores for the i-th memory of a shape (processed as MemoryWriter does). */
function encoded(i: number, s: Shape): Uint8Array {
  const t = Date.UTC(2026, 0, 1) + i;
  const words = Array.from({ length: s.words ?? 16 }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length]!);
  const content = `${words.join(' ')} #${i}${s.unicode ? ' — café, 東京 ✓' : ''}`;
  const valid = validateMemoryInput(
    memoryInput({
      subject: `user-${i % 100}`,
      kind: 'note',
      content,
      tags: Array.from({ length: s.tags ?? 1 }, (_, k) => `tag${k}`),
      attributes: Object.fromEntries(Array.from({ length: s.attributes ?? 0 }, (_, k) => [`key${k}`, `value ${k} of ${i}`])),
      payload: Buffer.alloc(s.payload ?? 0, i & 0xff),
      embedding: Array.from({ length: s.embedding ?? 0 }, (_, k) => Math.sin(i + k)),
    }),
    'm',
    config.limits,
    t,
  );
  const p = processMemory(valid, { emotionThreshold: config.processing.emotionThreshold, maxKeywords: config.processing.maxKeywords });
  return recordCodec.encode({
    id: `01JG${String(i).padStart(22, '0')}`,
    subject: valid.subject,
    layer: p.layer,
    kind: valid.kind,
    content: valid.content,
    tags: valid.tags,
    attributes: valid.attributes,
    payload: valid.payload,
    payloadDeflated: false,
    embedding: valid.embedding ?? [],
    occurredAtMs: t,
    ingestedAtMs: t,
    importance: p.importance,
    valence: p.valence,
    arousal: p.arousal,
    accessCount: s.accesses ?? 0,
    recentAccessMs: Array.from({ length: s.accesses ?? 0 }, (_, k) => t + k * 1000.5),
    versionWallMs: t,
    versionLogical: i % 7,
    versionNode: 'shard-0',
    expiresAtMs: t + 86_400_000,
    expiryExplicit: false,
    evidenceIds: Array.from({ length: s.evidence ?? 0 }, (_, k) => `01JH${String(k).padStart(22, '0')}`),
    keywords: p.keywords,
    contentHash: p.hash,
    terms: p.terms.frequencies.map(({ term, count }) => ({ term, count })),
    length: p.terms.length,
  });
}

/**
 * Fills a cache with n records of a shape, each decoded from its own copy of the bytes (as a read from LevelDB
 * gives them) under a key built the way the engine builds it, and returns the heap it took against what the
 * cache counted.
 */
function measure(shape: Shape, n: number): { measured: number; counted: number; perRecord: number } {
  const bytes = Array.from({ length: n }, (_, i) => encoded(i, shape));
  const newId = monotonicFactory();
  const subjects = Array.from({ length: 100 }, (_, i) => `user-${i}`);
  const before = usedBytes();
  const cache = new ByteLru<StoredMemory>(2 ** 40, recordSize);
  for (let i = 0; i < n; i++) {
    const copy = new Uint8Array(bytes[i]!);
    cache.set(memoryKey('tenant-a', subjects[i % 100]!, newId()), recordCodec.decode(copy));
  }
  const measured = usedBytes() - before;
  const counted = cache.stats().bytes;
  // The originals stay alive throughout (allocated before the first measurement, not freed before the second).
  expect(bytes.length).toBe(n);
  expect(cache.stats().entries).toBe(n);
  return { measured, counted, perRecord: measured / n };
}

describe('recordSize', () => {
  // Every shape fills several MiB, so collector noise (tens of KiB) stays far inside the tolerance.
  const shapes: [string, Shape, number][] = [
    ['a typical ~100-byte note', {}, 6000],
    ['a short note', { words: 2, tags: 0 }, 8000],
    ['a long note (about 1 KB)', { words: 150 }, 2000],
    ['tags and attributes', { tags: 8, attributes: 6 }, 5000],
    ['an embedding of 384', { embedding: 384 }, 2000],
    ['a 300-byte payload', { payload: 300 }, 5000],
    ['accesses and evidence', { accesses: 8, evidence: 4 }, 5000],
    ['text outside Latin-1', { unicode: true }, 5000],
  ];
  for (const [name, shape, n] of shapes) {
    it(`counts what the heap holds for ${name}, within 15 %`, () => {
      const { measured, counted, perRecord } = measure(shape, n);
      const ratio = counted / measured;
      expect(perRecord).toBeGreaterThan(500);
      expect(ratio, `counted ${counted} vs measured ${measured} bytes (${perRecord.toFixed(0)} per record)`).toBeGreaterThan(0.85);
      expect(ratio, `counted ${counted} vs measured ${measured} bytes (${perRecord.toFixed(0)} per record)`).toBeLessThan(1.15);
    });
  }

  it('grows with every part of a record', () => {
    const base = recordCodec.decode(encoded(1, {}));
    const size = recordSize(base);
    for (const shape of [{ words: 40 }, { tags: 3 }, { attributes: 2 }, { embedding: 8 }, { payload: 10 }, { accesses: 2 }, { evidence: 1 }, { unicode: true }]) {
      expect(recordSize(recordCodec.decode(encoded(1, shape))), JSON.stringify(shape)).toBeGreaterThan(size);
    }
  });
});

describe('recordWithAccesses', () => {
  it('copies every field of the MemoryRecord schema, defaults included, and replaces the accesses and expiry', () => {
    const decoded = recordCodec.decode(recordCodec.encode({ id: 'a', subject: 's', content: 'c', importance: 0.5, terms: [{ term: 'c', count: 1 }] }));
    const copy = recordWithAccesses(decoded, 3, [1, 2, 3], 99);
    // A field added to the schema must be copied too: this fails until recordWithAccesses names it.
    expect(Object.keys(copy).sort()).toEqual(Object.keys(messageType('engram.storage.v1.MemoryRecord').fields).sort());
    expect(copy).toMatchObject({ id: 'a', subject: 's', content: 'c', importance: 0.5, valence: 0, layer: 0, kind: '', accessCount: 3, recentAccessMs: [1, 2, 3], expiresAtMs: 99 });
    // It encodes to what it holds (an absent payload decodes as an empty Buffer, where the prototype's is []).
    const { payload, ...rest } = copy;
    const { payload: decodedPayload, ...decodedRest } = { ...recordCodec.decode(recordCodec.encode(copy)) };
    expect(decodedRest).toEqual(rest);
    expect([payload.length, decodedPayload.length]).toEqual([0, 0]);
    expect(patchRecord(decoded, { layer: 5 })).toMatchObject({ layer: 5, valence: 0, importance: 0.5, accessCount: 0 });
  });
});
