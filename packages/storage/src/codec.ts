import { messageType, writeVarint64 } from '@engram/protocol';
import { encodeHashEntry, encodeMemoryRecord, varintSize } from './record-encoder.js';
import type {
  AccessRecord__Output,
  HashEntry__Output,
  MemoryRecord,
  MemoryRecord__Output,
  SubjectCounters__Output,
  TenantCounters__Output,
  WeightRecord__Output,
  Pattern,
  Pattern__Output,
  DreamState,
  DreamState__Output,
} from '@engram/protocol';

/** Encodes and decodes one engram.storage.v1 message; decoded values must be treated as immutable. */
export interface Codec<In, Out> {
  encode(value: In): Uint8Array;
  decode(bytes: Uint8Array): Out;
}

function codec<In, Out>(fullName: string): Codec<In, Out> {
  const type = messageType(fullName);
  return {
    encode: (value) => type.encode(value as object).finish(),
    decode: (bytes) => type.decode(bytes) as unknown as Out,
  };
}

/**
 * A codec for stored copies of wire messages (enums, Timestamps, maps): decoded into the same plain form
 * proto-loader gives handlers (enum names, numbers for 64-bit values, defaults filled in).
 */
function wireCodec<In, Out>(fullName: string): Codec<In, Out> {
  const type = messageType(fullName);
  return {
    encode: (value) => type.encode(type.fromObject(value as object)).finish(),
    decode: (bytes) => type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: true, oneofs: true }) as Out,
  };
}

export type StoredMemory = MemoryRecord__Output;

/** Encoded by hand (record-encoder.ts: the same bytes, without protobufjs's per-field garbage), decoded generically. */
export const recordCodec: Codec<MemoryRecord, StoredMemory> = { ...codec('engram.storage.v1.MemoryRecord'), encode: encodeMemoryRecord };
export type AccessStats = AccessRecord__Output;
export const accessCodec: Codec<AccessStats, AccessStats> = codec('engram.storage.v1.AccessRecord');
export const tenantCountersCodec: Codec<TenantCounters__Output, TenantCounters__Output> = codec('engram.storage.v1.TenantCounters');
export const subjectCountersCodec: Codec<SubjectCounters__Output, SubjectCounters__Output> = codec('engram.storage.v1.SubjectCounters');
export const hashEntryCodec: Codec<HashEntry__Output, HashEntry__Output> = { ...codec('engram.storage.v1.HashEntry'), encode: encodeHashEntry };
export const weightCodec: Codec<WeightRecord__Output, WeightRecord__Output> = codec('engram.storage.v1.WeightRecord');
export const patternCodec: Codec<Pattern, Pattern__Output> = wireCodec('engram.v1.Pattern');
export const dreamStateCodec: Codec<DreamState, DreamState__Output> = wireCodec('engram.shard.v1.DreamState');
export const tombstoneCodec: Codec<{ forgottenAtMs: number }, { forgottenAtMs: number }> = codec('engram.storage.v1.Tombstone');

/** The one-byte varints, shared: almost every term occurs fewer than 128 times in a memory. */
const SMALL_COUNTS = Array.from({ length: 0x80 }, (_, n) => Uint8Array.of(n));

/** A posting's value: the term's frequency in the memory, as a varint. Small values are shared: do not modify. */
export function encodeCount(n: number): Uint8Array {
  if ((n & 0x7f) === n) return SMALL_COUNTS[n]!;
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

export function decodeCount(bytes: Uint8Array): number {
  let result = 0;
  let shift = 0;
  for (const b of bytes) {
    result |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return result >>> 0;
}

export const EMPTY = new Uint8Array(0);

/**
 * A posting block (key space `b`): the postings of one term in one subject from one segment, as a count, then per
 * posting the id (its UTF-8 length as a varint, then its bytes) and the term's frequency in the memory (a varint).
 */
export const postingBlockCodec = {
  /** ids with their term frequencies, in that order (the caller sorts them). */
  encode(ids: readonly string[], tf: ArrayLike<number>): Uint8Array {
    return postingBlockCodec.encodeBytes(
      ids.map((id) => Buffer.from(id)),
      tf,
    );
  },

  /** Like encode, for ids already encoded to UTF-8. */
  encodeBytes(ids: readonly Uint8Array[], tf: ArrayLike<number>): Uint8Array {
    let size = varintSize(ids.length);
    for (let i = 0; i < ids.length; i++) size += varintSize(ids[i]!.length) + ids[i]!.length + varintSize(tf[i]!);
    const out = Buffer.allocUnsafe(size);
    let pos = putVarint(out, 0, ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      pos = putVarint(out, pos, id.length);
      out.set(id, pos);
      pos += id.length;
      pos = putVarint(out, pos, tf[i]!);
    }
    return out;
  },

  /** Visits each posting of a block in order. */
  decode(bytes: Uint8Array, visit: (id: string, tf: number) => void): void {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const r = { pos: 0 };
    const n = getVarint(buf, r);
    for (let i = 0; i < n; i++) {
      const len = getVarint(buf, r);
      if (r.pos + len > buf.length) throw new Error('truncated posting block');
      const id = buf.toString('utf8', r.pos, r.pos + len);
      r.pos += len;
      visit(id, getVarint(buf, r));
    }
  },
};

/** A list of strings (a journal entry's memory keys): a count, then each as a varint UTF-8 length and its bytes. */
export const stringListCodec = {
  encode(list: readonly string[]): Uint8Array {
    let size = varintSize(list.length);
    for (const s of list) {
      const len = Buffer.byteLength(s);
      size += varintSize(len) + len;
    }
    const out = Buffer.allocUnsafe(size);
    let pos = putVarint(out, 0, list.length);
    for (const s of list) {
      const len = Buffer.byteLength(s);
      pos = putVarint(out, pos, len);
      pos += out.write(s, pos, len, 'utf8');
    }
    return out;
  },

  decode(bytes: Uint8Array): string[] {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const r = { pos: 0 };
    const n = getVarint(buf, r);
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const len = getVarint(buf, r);
      if (r.pos + len > buf.length) throw new Error('truncated string list');
      out[i] = buf.toString('utf8', r.pos, r.pos + len);
      r.pos += len;
    }
    return out;
  },
};

/** Writes a uint32 varint at `at`; returns the position after it. */
const putVarint = (out: Buffer, at: number, n: number): number => writeVarint64(out, at, n >>> 0, 0);

function getVarint(buf: Buffer, r: { pos: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (r.pos >= buf.length) throw new Error('truncated varint');
    const b = buf[r.pos++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return result >>> 0;
    shift += 7;
    if (shift > 28) throw new Error('varint too long');
  }
}
