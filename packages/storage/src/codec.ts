import { messageType } from '@engram/protocol';
import { encodeHashEntry, encodeMemoryRecord } from './record-encoder.js';
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
