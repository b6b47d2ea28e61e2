import { writeVarint64, type HashEntry__Output, type MemoryRecord } from '@engram/protocol';

type TermCount = NonNullable<MemoryRecord['terms']>[number];

/*
 * Encoders for the two messages every Remember writes (engram.storage.v1.MemoryRecord and HashEntry) that give
 * byte for byte what protobufjs's generated encoders give, in two passes (sizes, then bytes) into one buffer.
 * protobufjs builds a linked list of operations per field and per sub-message before it writes anything: for a
 * record with a dozen terms that was the largest source of garbage on the write path. Field presence follows
 * protobufjs: a singular field is written when it is an own property that is not null or undefined (even when it
 * holds the default), a repeated one when it is not empty. record-encoder.test.ts checks the bytes against
 * protobufjs and fails when the schema gains, loses or changes a field, so that this file is updated with it.
 */

/**
 * Whether the message being encoded is a plain object: then a field that reads as a value is an own property
 * (Object.prototype has none of these names), and the own-property check, a fifth of the encoding time, is
 * skipped. Decoded messages keep their defaults on a prototype; for them it is made.
 */
let plain = false;
const present = (m: object, key: string, value: unknown) => value != null && (plain || Object.prototype.hasOwnProperty.call(m, key));
const isPlain = (m: object) => Object.getPrototypeOf(m) === Object.prototype;

/** Strings shorter than this are measured and written in JS, as protobufjs does (and with its exact bytes). */
const SHORT_STRING = 40;

/** Bytes of a uint32's varint. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** UTF-8 length as Buffer.byteLength counts it (a lone surrogate takes 3 bytes). */
function utf8Length(s: string): number {
  if (s.length >= SHORT_STRING) return Buffer.byteLength(s);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i += 1;
      n += 4;
    } else n += 3;
  }
  return n;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Measures then writes: the sizing pass records each string's byte length (and each sub-message's length) in
 * order, and the writing pass consumes them in the same order. One instance serves every call (calls do not
 * nest or interleave).
 */
class TwoPassWriter {
  private readonly lengths: number[] = [];
  private recorded = 0;
  private next = 0;
  buf: Buffer = NO_BYTES;
  pos = 0;

  reset(): void {
    this.recorded = 0;
    this.next = 0;
  }

  /** Size of a length-delimited string field (tag included); remembers the string's length. */
  sizeString(tagSize: number, s: string): number {
    const len = utf8Length(s);
    this.lengths[this.recorded++] = len;
    return tagSize + varintSize(len) + len;
  }

  /** Reserves the length of a sub-message measured next; fill it in with setLength. */
  reserveLength(): number {
    return this.recorded++;
  }

  /** Records a reserved sub-message length; returns the size of its field (tag included). */
  setLength(at: number, tagSize: number, len: number): number {
    this.lengths[at] = len;
    return tagSize + varintSize(len) + len;
  }

  start(size: number): void {
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
  }

  varint(v: number): void {
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** A negative int32 as protobuf has it: sign-extended to 64 bits, 10 bytes. */
  negativeInt32(v: number): void {
    this.pos = writeVarint64(this.buf, this.pos, v >>> 0, 0xffffffff);
  }

  /** A length prefix recorded by the sizing pass. */
  prefix(): void {
    this.varint(this.lengths[this.next++]!);
  }

  string(s: string): void {
    const len = this.lengths[this.next++]!;
    this.varint(len);
    if (s.length >= SHORT_STRING) {
      this.buf.write(s, this.pos, len, 'utf8');
      this.pos += len;
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) buf[pos++] = c;
      else if (c < 0x800) {
        buf[pos++] = (c >> 6) | 0xc0;
        buf[pos++] = (c & 0x3f) | 0x80;
      } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
        buf[pos++] = (c >> 18) | 0xf0;
        buf[pos++] = ((c >> 12) & 0x3f) | 0x80;
        buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
        buf[pos++] = (c & 0x3f) | 0x80;
      } else {
        buf[pos++] = (c >> 12) | 0xe0;
        buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
        buf[pos++] = (c & 0x3f) | 0x80;
      }
    }
    this.pos = pos;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  float(v: number): void {
    this.pos = this.buf.writeFloatLE(v, this.pos);
  }

  double(v: number): void {
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  tag(b: number): void {
    this.buf[this.pos++] = b;
  }

  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** A two-byte tag (field numbers 16 and up). */
  tag2(b1: number, b2: number): void {
    this.buf[this.pos++] = b1;
    this.buf[this.pos++] = b2;
  }

  /** The finished bytes (the writer lets go of them). */
  finish(): Buffer {
    const out = this.buf;
    this.buf = NO_BYTES;
    return out;
  }
}

const w = new TwoPassWriter();

const int32Size = (v: number) => ((v | 0) < 0 ? 10 : varintSize(v | 0));

function writeInt32(v: number): void {
  if ((v | 0) < 0) w.negativeInt32(v | 0);
  else w.varint(v | 0);
}

/** bytes fields as protobufjs takes them: a string is base64. */
const asBytes = (v: Buffer | Uint8Array | string): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'base64') : v);

function termSize(t: TermCount): number {
  const outer = plain;
  plain = isPlain(t);
  let n = 0;
  if (present(t, 'term', t.term)) n += w.sizeString(1, t.term!);
  if (present(t, 'count', t.count)) n += 1 + varintSize(t.count! >>> 0);
  plain = outer;
  return n;
}

function writeTerm(t: TermCount): void {
  const outer = plain;
  plain = isPlain(t);
  if (present(t, 'term', t.term)) {
    w.tag(10);
    w.string(t.term!);
  }
  if (present(t, 'count', t.count)) {
    w.tag(16);
    w.varint(t.count! >>> 0);
  }
  plain = outer;
}

/** Size of the record's fields (the sizing pass); records string and sub-message lengths in write order. */
function recordSize(m: MemoryRecord): number {
  let n = 0;
  if (present(m, 'id', m.id)) n += w.sizeString(1, m.id!);
  if (present(m, 'subject', m.subject)) n += w.sizeString(1, m.subject!);
  if (present(m, 'layer', m.layer)) n += 1 + int32Size(m.layer!);
  if (present(m, 'kind', m.kind)) n += w.sizeString(1, m.kind!);
  if (present(m, 'content', m.content)) n += w.sizeString(1, m.content!);
  if (m.tags != null && m.tags.length) for (const tag of m.tags) n += w.sizeString(1, tag);
  if (present(m, 'attributes', m.attributes)) {
    const attributes = m.attributes!;
    for (const key of Object.keys(attributes)) {
      const at = w.reserveLength();
      n += w.setLength(at, 1, w.sizeString(1, key) + w.sizeString(1, attributes[key]!));
    }
  }
  if (present(m, 'payload', m.payload)) {
    const len = asBytes(m.payload!).length;
    n += 1 + varintSize(len) + len;
  }
  if (present(m, 'payloadDeflated', m.payloadDeflated)) n += 2;
  if (m.embedding != null && m.embedding.length) n += w.setLength(w.reserveLength(), 1, 4 * m.embedding.length);
  if (present(m, 'occurredAtMs', m.occurredAtMs)) n += 9;
  if (present(m, 'ingestedAtMs', m.ingestedAtMs)) n += 9;
  if (present(m, 'importance', m.importance)) n += 5;
  if (present(m, 'valence', m.valence)) n += 5;
  if (present(m, 'arousal', m.arousal)) n += 5;
  if (present(m, 'accessCount', m.accessCount)) n += 2 + varintSize(m.accessCount! >>> 0);
  if (m.recentAccessMs != null && m.recentAccessMs.length) n += w.setLength(w.reserveLength(), 2, 8 * m.recentAccessMs.length);
  if (present(m, 'versionWallMs', m.versionWallMs)) n += 10;
  if (present(m, 'versionLogical', m.versionLogical)) n += 2 + varintSize(m.versionLogical! >>> 0);
  if (present(m, 'versionNode', m.versionNode)) n += w.sizeString(2, m.versionNode!);
  if (present(m, 'expiresAtMs', m.expiresAtMs)) n += 10;
  if (present(m, 'expiryExplicit', m.expiryExplicit)) n += 3;
  if (m.evidenceIds != null && m.evidenceIds.length) for (const id of m.evidenceIds) n += w.sizeString(2, id);
  if (m.keywords != null && m.keywords.length) for (const k of m.keywords) n += w.sizeString(2, k);
  if (present(m, 'contentHash', m.contentHash)) n += w.sizeString(2, m.contentHash!);
  if (m.terms != null && m.terms.length) {
    for (const t of m.terms) {
      const at = w.reserveLength();
      n += w.setLength(at, 2, termSize(t));
    }
  }
  if (present(m, 'length', m.length)) n += 2 + varintSize(m.length! >>> 0);
  if (present(m, 'indexSegment', m.indexSegment)) n += 2 + varintSize(m.indexSegment! >>> 0);
  return n;
}

function writeRecord(m: MemoryRecord): void {
  if (present(m, 'id', m.id)) {
    w.tag(10);
    w.string(m.id!);
  }
  if (present(m, 'subject', m.subject)) {
    w.tag(18);
    w.string(m.subject!);
  }
  if (present(m, 'layer', m.layer)) {
    w.tag(24);
    writeInt32(m.layer!);
  }
  if (present(m, 'kind', m.kind)) {
    w.tag(34);
    w.string(m.kind!);
  }
  if (present(m, 'content', m.content)) {
    w.tag(42);
    w.string(m.content!);
  }
  if (m.tags != null && m.tags.length) {
    for (const t of m.tags) {
      w.tag(50);
      w.string(t);
    }
  }
  if (present(m, 'attributes', m.attributes)) {
    const attributes = m.attributes!;
    for (const key of Object.keys(attributes)) {
      w.tag(58);
      w.prefix();
      w.tag(10);
      w.string(key);
      w.tag(18);
      w.string(attributes[key]!);
    }
  }
  if (present(m, 'payload', m.payload)) {
    w.tag(66);
    w.bytes(asBytes(m.payload!));
  }
  if (present(m, 'payloadDeflated', m.payloadDeflated)) {
    w.tag(72);
    w.bool(m.payloadDeflated!);
  }
  if (m.embedding != null && m.embedding.length) {
    w.tag(82);
    w.prefix();
    for (const v of m.embedding) w.float(Number(v));
  }
  if (present(m, 'occurredAtMs', m.occurredAtMs)) {
    w.tag(89);
    w.double(Number(m.occurredAtMs));
  }
  if (present(m, 'ingestedAtMs', m.ingestedAtMs)) {
    w.tag(97);
    w.double(Number(m.ingestedAtMs));
  }
  if (present(m, 'importance', m.importance)) {
    w.tag(109);
    w.float(Number(m.importance));
  }
  if (present(m, 'valence', m.valence)) {
    w.tag(117);
    w.float(Number(m.valence));
  }
  if (present(m, 'arousal', m.arousal)) {
    w.tag(125);
    w.float(Number(m.arousal));
  }
  if (present(m, 'accessCount', m.accessCount)) {
    w.tag2(128, 1);
    w.varint(m.accessCount! >>> 0);
  }
  if (m.recentAccessMs != null && m.recentAccessMs.length) {
    w.tag2(138, 1);
    w.prefix();
    for (const t of m.recentAccessMs) w.double(Number(t));
  }
  if (present(m, 'versionWallMs', m.versionWallMs)) {
    w.tag2(145, 1);
    w.double(Number(m.versionWallMs));
  }
  if (present(m, 'versionLogical', m.versionLogical)) {
    w.tag2(152, 1);
    w.varint(m.versionLogical! >>> 0);
  }
  if (present(m, 'versionNode', m.versionNode)) {
    w.tag2(162, 1);
    w.string(m.versionNode!);
  }
  if (present(m, 'expiresAtMs', m.expiresAtMs)) {
    w.tag2(169, 1);
    w.double(Number(m.expiresAtMs));
  }
  if (present(m, 'expiryExplicit', m.expiryExplicit)) {
    w.tag2(176, 1);
    w.bool(m.expiryExplicit!);
  }
  if (m.evidenceIds != null && m.evidenceIds.length) {
    for (const id of m.evidenceIds) {
      w.tag2(186, 1);
      w.string(id);
    }
  }
  if (m.keywords != null && m.keywords.length) {
    for (const k of m.keywords) {
      w.tag2(194, 1);
      w.string(k);
    }
  }
  if (present(m, 'contentHash', m.contentHash)) {
    w.tag2(202, 1);
    w.string(m.contentHash!);
  }
  if (m.terms != null && m.terms.length) {
    for (const t of m.terms) {
      w.tag2(210, 1);
      w.prefix();
      writeTerm(t);
    }
  }
  if (present(m, 'length', m.length)) {
    w.tag2(216, 1);
    w.varint(m.length! >>> 0);
  }
  if (present(m, 'indexSegment', m.indexSegment)) {
    w.tag2(224, 1);
    w.varint(m.indexSegment! >>> 0);
  }
}

/** engram.storage.v1.MemoryRecord, as protobufjs encodes it. */
export function encodeMemoryRecord(m: MemoryRecord): Uint8Array {
  plain = isPlain(m);
  w.reset();
  w.start(recordSize(m));
  writeRecord(m);
  return w.finish();
}

/** engram.storage.v1.HashEntry, as protobufjs encodes it. */
export function encodeHashEntry(m: HashEntry__Output): Uint8Array {
  plain = isPlain(m);
  w.reset();
  const hasId = present(m, 'id', m.id);
  const hasTime = present(m, 'ingestedAtMs', m.ingestedAtMs);
  w.start((hasId ? w.sizeString(1, m.id) : 0) + (hasTime ? 9 : 0));
  if (hasId) {
    w.tag(10);
    w.string(m.id);
  }
  if (hasTime) {
    w.tag(17);
    w.double(Number(m.ingestedAtMs));
  }
  return w.finish();
}
