import { invalidArgument } from './errors.js';

/**
 * Minimal protobuf wire scanning, so that a router can read a routing field (a subject) from request bytes
 * and forward the bytes untouched instead of decoding and re-encoding the whole message.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Called per field; return false to stop scanning. */
export type FieldVisitor = (field: number, wireType: number, valueStart: number, valueEnd: number, tagStart: number) => boolean | void;

function malformed(): never {
  throw invalidArgument('request', 'malformed protobuf message');
}

/** Reads a varint at pos; returns [value, nextPos]. Values above 2^53 lose precision (only lengths and tags are read). */
export function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let result = 0;
  let shift = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) malformed();
    const b = buf[pos++]!;
    result += (b & 0x7f) * shift;
    if (b < 0x80) return [result, pos];
    shift *= 128;
  }
  return malformed();
}

/** Visits the top-level fields of the message in buf[start, end). Throws INVALID_ARGUMENT on malformed input. */
export function scanFields(buf: Uint8Array, visit: FieldVisitor, start = 0, end = buf.length): void {
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, afterTag] = readVarint(buf, pos, end);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) malformed();
    let valueStart = afterTag;
    let valueEnd: number;
    switch (wireType) {
      case WIRE_VARINT:
        valueEnd = readVarint(buf, afterTag, end)[1];
        break;
      case WIRE_I64:
        valueEnd = afterTag + 8;
        break;
      case WIRE_LEN: {
        const [len, afterLen] = readVarint(buf, afterTag, end);
        valueStart = afterLen;
        valueEnd = afterLen + len;
        break;
      }
      case WIRE_I32:
        valueEnd = afterTag + 4;
        break;
      default:
        return malformed();
    }
    if (valueEnd > end) malformed();
    if (visit(field, wireType, valueStart, valueEnd, tagStart) === false) return;
    pos = valueEnd;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(buf: Uint8Array, start: number, end: number): string {
  try {
    return decoder.decode(buf.subarray(start, end));
  } catch {
    return malformed();
  }
}

/**
 * Reads a string field reached through a path of field numbers, e.g. [1, 2] for `memory.subject`, as the
 * shards' decoder (protobufjs) will see it: the last occurrence of each field on the path wins, an embedded
 * message included (protobufjs replaces rather than merges a repeated embedded message). Returns "" when the
 * field is absent.
 */
export function readStringPath(buf: Uint8Array, path: readonly number[], start = 0, end = buf.length): string {
  let last: [number, number] | undefined;
  const [head, ...rest] = path;
  scanFields(
    buf,
    (field, wireType, vs, ve) => {
      if (field !== head) return;
      if (wireType !== WIRE_LEN) malformed();
      last = [vs, ve];
    },
    start,
    end,
  );
  if (!last) return '';
  return rest.length === 0 ? utf8(buf, last[0], last[1]) : readStringPath(buf, rest, last[0], last[1]);
}

/** Encodes a varint (non-negative integers below 2^53). */
export function encodeVarint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * Writes the varint of a 64-bit value given as its unsigned low and high 32-bit halves at pos (as protobufjs's
 * writeVarint64 does; a negative int32 is hi = 0xffffffff) and returns the position after it. For encoders that
 * write into a buffer sized beforehand.
 */
export function writeVarint64(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  while (hi) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}
