import type { ServiceDefinition } from '@grpc/grpc-js';
import { LAYER_NAMES, writeVarint64, type RememberBatchResponse } from '@engram/protocol';

/*
 * engram.v1.RememberBatchResponse encoded by hand, byte for byte as protobufjs encodes it after proto-loader's
 * fromObject: fields in number order, a field written when its value is not null or undefined (defaults too), floats
 * as float32. protobufjs first builds a message object per result, version and timestamp, then a list of write
 * operations per field: most of the cost of answering a batch. A response this encoder does not expect (a value of
 * another type than the engine gives, a negative or fractional number, a non-ASCII string, both outcomes of a
 * result) is left to protobufjs. remember-batch-encoder.test.ts checks the bytes against protobufjs and fails when
 * the schema gains, loses or changes a field.
 */

type Result = RememberBatchResponse['results'] extends (infer R)[] | undefined ? R : never;
type Ok = NonNullable<Result['ok']>;

const LAYER_NUMBERS = new Map<unknown, number>(LAYER_NAMES.map((name, number) => [name, number]));
const MAX_UINT32 = 0xffffffff;

const isUint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_UINT32;
/** Non-negative int32 (a negative one takes ten bytes; left to protobufjs). */
const isNonNegativeInt32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
const isNonNegativeInt64 = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const present = (v: unknown) => v !== null && v !== undefined;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n += 1;
  }
  return n;
}

/** Byte length of an ASCII string, -1 when it is not a string or not ASCII. */
function asciiLength(s: unknown): number {
  if (typeof s !== 'string') return -1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return -1;
  return s.length;
}

/** Size of a length-delimited field with a one-byte tag. */
const delimited = (len: number) => 1 + varintSize(len) + len;

/** Size of a Version, -1 when unexpected. */
function versionSize(v: unknown): number {
  if (typeof v !== 'object' || v === null) return -1;
  const { wallMs, logical, node } = v as Ok['version'] & object;
  let size = 0;
  if (present(wallMs)) {
    if (!isNonNegativeInt64(wallMs)) return -1;
    size += 1 + varintSize(wallMs);
  }
  if (present(logical)) {
    if (!isUint32(logical)) return -1;
    size += 1 + varintSize(logical);
  }
  if (present(node)) {
    const len = asciiLength(node);
    if (len < 0) return -1;
    size += delimited(len);
  }
  return size;
}

/** Size of a Timestamp, -1 when unexpected. */
function timestampSize(t: unknown): number {
  if (typeof t !== 'object' || t === null) return -1;
  const { seconds, nanos } = t as { seconds?: unknown; nanos?: unknown };
  let size = 0;
  if (present(seconds)) {
    if (!isNonNegativeInt64(seconds)) return -1;
    size += 1 + varintSize(seconds);
  }
  if (present(nanos)) {
    if (!isNonNegativeInt32(nanos)) return -1;
    size += 1 + varintSize(nanos);
  }
  return size;
}

/** Sizes of each result's version and expiry (-1 when absent), reused between calls (which do not interleave). */
const versionSizes: number[] = [];
const expirySizes: number[] = [];

/** Size of result i's RememberResponse, -1 when unexpected; records its version's and expiry's sizes. */
function okSize(ok: Ok, i: number): number {
  let size = 0;
  if (present(ok.id)) {
    const len = asciiLength(ok.id);
    if (len < 0) return -1;
    size += delimited(len);
  }
  if (present(ok.layer)) {
    const layer = typeof ok.layer === 'number' ? ok.layer : LAYER_NUMBERS.get(ok.layer);
    if (!isNonNegativeInt32(layer)) return -1;
    size += 1 + varintSize(layer);
  }
  if (present(ok.deduplicated)) {
    if (typeof ok.deduplicated !== 'boolean') return -1;
    size += 2;
  }
  versionSizes[i] = -1;
  if (present(ok.version)) {
    const len = versionSize(ok.version);
    if (len < 0) return -1;
    versionSizes[i] = len;
    size += delimited(len);
  }
  expirySizes[i] = -1;
  if (present(ok.expiresAt)) {
    const len = timestampSize(ok.expiresAt);
    if (len < 0) return -1;
    expirySizes[i] = len;
    size += delimited(len);
  }
  const floats = floatSize(ok.importance) + floatSize(ok.valence) + floatSize(ok.arousal);
  return floats < 0 ? -1 : size + floats;
}

/** Size of a float field: 0 when absent, -1 when not a number. */
const floatSize = (f: unknown) => (!present(f) ? 0 : typeof f === 'number' ? 5 : -1);

/** Size of an ItemError, -1 when unexpected. */
function errorSize(error: NonNullable<Result['error']>): number {
  let size = 0;
  if (present(error.code)) {
    if (!isNonNegativeInt32(error.code)) return -1;
    size += 1 + varintSize(error.code);
  }
  if (present(error.message)) {
    const len = asciiLength(error.message);
    if (len < 0) return -1;
    size += delimited(len);
  }
  return size;
}

const F32 = new Float32Array(1);
/** F32's bytes, little-endian as protobuf writes floats (checked at load: Engram runs on little-endian machines). */
const F32_BYTES = new Uint8Array(F32.buffer);
F32[0] = 1;
if (F32_BYTES[3] !== 0x3f) throw new Error('remember-batch-encoder assumes a little-endian machine');

/** Writes into one buffer sized beforehand. */
class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** A non-negative integer up to 2^53 as a varint (the low and high 32 bits as protobufjs's writeVarint64 does). */
  varint(v: number): void {
    const lo = v >>> 0;
    this.pos = writeVarint64(this.buf, this.pos, lo, (v - lo) / 0x100000000);
  }

  ascii(s: string): void {
    this.varint(s.length);
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) buf[this.pos++] = s.charCodeAt(i);
  }

  float(tag: number, v: number): void {
    const buf = this.buf;
    buf[this.pos++] = tag;
    F32[0] = v;
    buf[this.pos++] = F32_BYTES[0]!;
    buf[this.pos++] = F32_BYTES[1]!;
    buf[this.pos++] = F32_BYTES[2]!;
    buf[this.pos++] = F32_BYTES[3]!;
  }
}

function writeOk(out: Out, ok: Ok, i: number): void {
  if (present(ok.id)) {
    out.buf[out.pos++] = 0x0a;
    out.ascii(ok.id);
  }
  if (present(ok.layer)) {
    out.buf[out.pos++] = 0x10;
    out.varint(typeof ok.layer === 'number' ? ok.layer : LAYER_NUMBERS.get(ok.layer)!);
  }
  if (present(ok.deduplicated)) {
    out.buf[out.pos++] = 0x18;
    out.buf[out.pos++] = ok.deduplicated ? 1 : 0;
  }
  const version = ok.version;
  if (present(version)) {
    out.buf[out.pos++] = 0x22;
    out.varint(versionSizes[i]!);
    if (present(version.wallMs)) {
      out.buf[out.pos++] = 0x08;
      out.varint(version.wallMs as number);
    }
    if (present(version.logical)) {
      out.buf[out.pos++] = 0x10;
      out.varint(version.logical);
    }
    if (present(version.node)) {
      out.buf[out.pos++] = 0x1a;
      out.ascii(version.node);
    }
  }
  const expiresAt = ok.expiresAt as { seconds?: number; nanos?: number } | null | undefined;
  if (present(expiresAt)) {
    out.buf[out.pos++] = 0x2a;
    out.varint(expirySizes[i]!);
    if (present(expiresAt.seconds)) {
      out.buf[out.pos++] = 0x08;
      out.varint(expiresAt.seconds);
    }
    if (present(expiresAt.nanos)) {
      out.buf[out.pos++] = 0x10;
      out.varint(expiresAt.nanos);
    }
  }
  if (present(ok.importance)) out.float(0x35, ok.importance as number);
  if (present(ok.valence)) out.float(0x3d, ok.valence as number);
  if (present(ok.arousal)) out.float(0x45, ok.arousal as number);
}

/** Sizes of each result's outcome, reused between calls (which do not interleave). */
const outcomeSizes: number[] = [];

/** The response's bytes; undefined when it holds something unexpected (then protobufjs should encode it). */
export function encodeRememberBatchResponse(res: RememberBatchResponse): Buffer | undefined {
  const results = res.results;
  if (present(results) && !Array.isArray(results)) return undefined;
  const n = results?.length ?? 0;
  let size = 0;
  const resultSizes = outcomeSizes;
  for (let i = 0; i < n; i++) {
    const r = results![i]!;
    if (typeof r !== 'object' || r === null) return undefined;
    let inner = 0;
    if (present(r.index)) {
      if (!isUint32(r.index)) return undefined;
      inner += 1 + varintSize(r.index);
    }
    const hasOk = present(r.ok);
    if (hasOk === present(r.error)) {
      if (hasOk) return undefined;
    } else {
      const len = hasOk ? (typeof r.ok === 'object' ? okSize(r.ok!, i) : -1) : typeof r.error === 'object' ? errorSize(r.error!) : -1;
      if (len < 0) return undefined;
      resultSizes[i] = len;
      inner += delimited(len);
    }
    size += delimited(inner);
  }
  for (const count of [res.succeeded, res.failed]) {
    if (!present(count)) continue;
    if (!isUint32(count)) return undefined;
    size += 1 + varintSize(count);
  }

  const out = new Out(Buffer.allocUnsafe(size));
  for (let i = 0; i < n; i++) {
    const r = results![i]!;
    const hasOutcome = present(r.ok) || present(r.error);
    const inner = (present(r.index) ? 1 + varintSize(r.index!) : 0) + (hasOutcome ? delimited(resultSizes[i]!) : 0);
    out.buf[out.pos++] = 0x0a;
    out.varint(inner);
    if (present(r.index)) {
      out.buf[out.pos++] = 0x08;
      out.varint(r.index);
    }
    if (present(r.ok)) {
      out.buf[out.pos++] = 0x12;
      out.varint(resultSizes[i]!);
      writeOk(out, r.ok, i);
    } else if (present(r.error)) {
      out.buf[out.pos++] = 0x1a;
      out.varint(resultSizes[i]!);
      const { code, message } = r.error;
      if (present(code)) {
        out.buf[out.pos++] = 0x08;
        out.varint(code);
      }
      if (present(message)) {
        out.buf[out.pos++] = 0x12;
        out.ascii(message);
      }
    }
  }
  if (present(res.succeeded)) {
    out.buf[out.pos++] = 0x10;
    out.varint(res.succeeded);
  }
  if (present(res.failed)) {
    out.buf[out.pos++] = 0x18;
    out.varint(res.failed);
  }
  if (out.pos !== size) throw new Error(`RememberBatchResponse encoder: wrote ${out.pos} bytes of ${size}`);
  return out.buf;
}

/**
 * A ShardService definition whose RememberBatch answers are encoded by encodeRememberBatchResponse (and by
 * protobufjs when it declines). Everything else is the definition as given.
 */
export function withRememberBatchEncoder(definition: ServiceDefinition): ServiceDefinition {
  const method = definition.RememberBatch;
  if (method === undefined) throw new Error('the service has no RememberBatch method');
  const generic = method.responseSerialize;
  const responseSerialize = (value: RememberBatchResponse) => encodeRememberBatchResponse(value) ?? generic(value);
  return { ...definition, RememberBatch: { ...method, responseSerialize } };
}
