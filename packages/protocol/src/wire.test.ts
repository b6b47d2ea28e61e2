import { describe, expect, it } from 'vitest';
import {
  EngramError,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  encodeVarint,
  messageType,
  mulberry32 as prng,
  readStringPath,
  readVarint,
  scanFields,
  writeVarint64,
} from '@engram/protocol';

const INVALID_ARGUMENT = 3;

function encode(typeName: string, value: object): Uint8Array {
  const type = messageType(typeName);
  return type.encode(type.fromObject(value)).finish();
}

function decode(typeName: string, bytes: Uint8Array): Record<string, any> {
  const type = messageType(typeName);
  return type.toObject(type.decode(bytes), { defaults: true }) as Record<string, any>;
}

/** Runs fn and returns what it threw (failing the test if it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

function expectMalformed(fn: () => unknown): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(EngramError);
  expect((err as EngramError).code).toBe(INVALID_ARGUMENT);
  expect((err as EngramError).message).toBe('request: malformed protobuf message');
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  encodeVarint(value, out);
  return Uint8Array.from(out);
}


/** The bytes of a length-delimited field (tag, length, payload), for building edge-case messages by hand. */
function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  const head: number[] = [];
  encodeVarint(field * 8 + 2, head);
  encodeVarint(payload.length, head);
  return Buffer.concat([Buffer.from(head), payload]);
}

describe('readVarint', () => {
  it('reads a one-byte varint and returns the position after it', () => {
    expect(readVarint(Uint8Array.from([0x05]), 0, 1)).toEqual([5, 1]);
    expect(readVarint(Uint8Array.from([0x00]), 0, 1)).toEqual([0, 1]);
    expect(readVarint(Uint8Array.from([0x7f]), 0, 1)).toEqual([127, 1]);
  });

  it('reads a multi-byte varint (300 = ac 02)', () => {
    expect(readVarint(Uint8Array.from([0xac, 0x02]), 0, 2)).toEqual([300, 2]);
  });

  it('reads from the given position', () => {
    const buf = Uint8Array.from([0xff, 0xff, 0x96, 0x01, 0x07]);
    expect(readVarint(buf, 2, buf.length)).toEqual([150, 4]);
    expect(readVarint(buf, 4, buf.length)).toEqual([7, 5]);
  });

  it('round-trips values written by encodeVarint up to 2^53', () => {
    const values = [0, 1, 127, 128, 255, 256, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    for (const v of values) {
      const bytes = varint(v);
      expect(readVarint(bytes, 0, bytes.length)).toEqual([v, bytes.length]);
    }
  });

  it('agrees with protobufjs on the encoding of a uint64 field', () => {
    const bytes = encode('engram.v1.ForgetSubjectResponse', { deleted: 1_234_567_890_123 });
    // field 1, varint: tag 0x08, then the value
    expect(bytes[0]).toBe(0x08);
    expect(readVarint(bytes, 1, bytes.length)).toEqual([1_234_567_890_123, bytes.length]);
  });

  it('throws INVALID_ARGUMENT on an empty range', () => {
    expectMalformed(() => readVarint(new Uint8Array(0), 0, 0));
  });

  it('throws INVALID_ARGUMENT when the varint is cut off by the end of the buffer', () => {
    expectMalformed(() => readVarint(Uint8Array.from([0x80, 0x80]), 0, 2));
  });

  it('does not read past `end` even when the buffer continues', () => {
    const buf = Uint8Array.from([0x80, 0x01]);
    expect(readVarint(buf, 0, 2)).toEqual([128, 2]);
    expectMalformed(() => readVarint(buf, 0, 1));
  });

  it('throws INVALID_ARGUMENT on a varint longer than 10 bytes', () => {
    const buf = new Uint8Array(11).fill(0x80);
    buf[10] = 0x01;
    expectMalformed(() => readVarint(buf, 0, buf.length));
  });
});

describe('encodeVarint', () => {
  it('encodes the canonical protobuf varint bytes', () => {
    expect([...varint(0)]).toEqual([0x00]);
    expect([...varint(1)]).toEqual([0x01]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
  });

  it('appends to the output array', () => {
    const out = [9];
    encodeVarint(1, out);
    expect(out).toEqual([9, 1]);
  });
});

describe('writeVarint64', () => {
  const written = (lo: number, hi: number) => {
    const buf = new Uint8Array(12);
    return [...buf.subarray(0, writeVarint64(buf, 0, lo, hi))];
  };

  it('writes what encodeVarint does for values up to 2^53, from their 32-bit halves', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 1]) {
      const lo = v >>> 0;
      const out: number[] = [];
      encodeVarint(v, out);
      expect(written(lo, (v - lo) / 2 ** 32)).toEqual(out);
    }
  });

  it('writes a negative int32 as protobuf does: sign-extended, ten bytes', () => {
    expect(written(-1 >>> 0, 0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(written(-2 >>> 0, 0xffffffff)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe('scanFields', () => {
  interface Seen {
    field: number;
    wireType: number;
    valueStart: number;
    valueEnd: number;
    tagStart: number;
  }

  function scanAll(buf: Uint8Array, start?: number, end?: number): Seen[] {
    const seen: Seen[] = [];
    scanFields(buf, (field, wireType, valueStart, valueEnd, tagStart) => void seen.push({ field, wireType, valueStart, valueEnd, tagStart }), start, end);
    return seen;
  }

  it('visits every top-level field with its number, wire type and value bounds', () => {
    const bytes = encode('engram.v1.Memory', {
      id: 'm1', // 1 LEN
      layer: 3, // 3 VARINT
      importance: 0.5, // 12 I32 (float)
      activation: 1.25, // 15 I64 (double)
      accessCount: 300, // 16 VARINT (two-byte tag)
    });
    const seen = scanAll(bytes);
    expect(seen.map((s) => [s.field, s.wireType])).toEqual([
      [1, WIRE_LEN],
      [3, WIRE_VARINT],
      [12, WIRE_I32],
      [15, WIRE_I64],
      [16, WIRE_VARINT],
    ]);
    const id = seen[0]!;
    expect(Buffer.from(bytes.subarray(id.valueStart, id.valueEnd)).toString()).toBe('m1');
    expect(id.tagStart).toBe(0);
    expect(seen[2]!.valueEnd - seen[2]!.valueStart).toBe(4);
    expect(seen[3]!.valueEnd - seen[3]!.valueStart).toBe(8);
    const count = seen[4]!;
    expect(readVarint(bytes, count.valueStart, count.valueEnd)).toEqual([300, count.valueEnd]);
    // fields are contiguous: each tag starts where the previous value ended
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.tagStart).toBe(seen[i - 1]!.valueEnd);
    expect(seen.at(-1)!.valueEnd).toBe(bytes.length);
  });

  it('visits nothing in an empty message', () => {
    expect(scanAll(new Uint8Array(0))).toEqual([]);
  });

  it('stops when the visitor returns false', () => {
    const bytes = encode('engram.v1.ForgetRequest', { subject: 's', id: 'i' });
    const fields: number[] = [];
    scanFields(bytes, (field) => {
      fields.push(field);
      return false;
    });
    expect(fields).toEqual([1]);
  });

  it('scans only the given sub-range', () => {
    const inner = encode('engram.v1.MemoryInput', { subject: 'carol', kind: 'note' });
    const outer = encode('engram.v1.RememberRequest', { memory: { subject: 'carol', kind: 'note' } });
    const [memory] = scanAll(outer);
    const seen = scanAll(outer, memory!.valueStart, memory!.valueEnd);
    expect(seen.map((s) => s.field)).toEqual([2, 4]);
    expect(seen.map((s) => s.field)).toEqual(scanAll(inner).map((s) => s.field));
  });

  it('rejects field number 0', () => {
    expectMalformed(() => scanAll(Uint8Array.from([0x00, 0x01])));
    expectMalformed(() => scanAll(Uint8Array.from([0x02, 0x00])));
  });

  it.each([
    ['3 (start group)', 3],
    ['4 (end group)', 4],
    ['6', 6],
    ['7', 7],
  ])('rejects wire type %s', (_name, wireType) => {
    expectMalformed(() => scanAll(Uint8Array.from([(1 << 3) | wireType, 0, 0, 0, 0, 0, 0, 0, 0])));
  });

  it('rejects a length-delimited field longer than the message', () => {
    expectMalformed(() => scanAll(Uint8Array.from([0x0a, 0x05, 0x61, 0x62])));
  });

  it('rejects a length-delimited field that extends past `end`', () => {
    const bytes = encode('engram.v1.ForgetRequest', { subject: 'abcdef' });
    expectMalformed(() => scanAll(bytes, 0, bytes.length - 1));
  });

  it('rejects truncated fixed-width fields', () => {
    expectMalformed(() => scanAll(Uint8Array.from([(1 << 3) | WIRE_I64, 1, 2, 3, 4, 5, 6, 7])));
    expectMalformed(() => scanAll(Uint8Array.from([(1 << 3) | WIRE_I32, 1, 2, 3])));
  });

  it('rejects a truncated varint value and a truncated tag', () => {
    expectMalformed(() => scanAll(Uint8Array.from([0x08, 0x80])));
    expectMalformed(() => scanAll(Uint8Array.from([0x80])));
  });

  it('rejects a truncated length', () => {
    expectMalformed(() => scanAll(Uint8Array.from([0x0a, 0x80])));
  });

  it('never throws anything but INVALID_ARGUMENT on corrupted or truncated messages', () => {
    const random = prng(42);
    const valid = encode('engram.v1.RememberRequest', {
      memory: { subject: 'dave', content: 'hello world', tags: ['a', 'b'], embedding: [0.5, 1], importance: 0.7, payload: Buffer.from([1, 2, 3]) },
    });
    for (let round = 0; round < 500; round++) {
      const bytes = Uint8Array.from(valid);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const end = random() < 0.5 ? bytes.length : Math.floor(random() * bytes.length);
      try {
        scanFields(bytes, () => undefined, 0, end);
        readStringPath(bytes, [1, 2], 0, end);
      } catch (err) {
        expect(err).toBeInstanceOf(EngramError);
        expect((err as EngramError).code).toBe(INVALID_ARGUMENT);
      }
    }
  });
});

describe('readStringPath', () => {
  it('reads memory.subject of a RememberRequest encoded by protobufjs', () => {
    const bytes = encode('engram.v1.RememberRequest', {
      memory: { id: 'x1', subject: 'alice', kind: 'note', content: 'hi', tags: ['t'], attributes: { k: 'v' }, embedding: [1, 2, 3] },
    });
    expect(readStringPath(bytes, [1, 2])).toBe('alice');
    expect(readStringPath(bytes, [1, 5])).toBe('hi');
    expect(readStringPath(bytes, [1, 1])).toBe('x1');
  });

  it('reads a top-level string field', () => {
    expect(readStringPath(encode('engram.v1.RecallRequest', { subject: 'bob', id: 'i9', skipReinforce: true }), [1])).toBe('bob');
    expect(readStringPath(encode('engram.v1.QueryRequest', { subject: 'carol', text: 'coffee', limit: 5 }), [1])).toBe('carol');
    expect(readStringPath(encode('engram.v1.ForgetRequest', { subject: 'dan', id: 'i1' }), [2])).toBe('i1');
  });

  it('reads a subject two levels down (ScatterQueryRequest.query.subject)', () => {
    const bytes = encode('engram.shard.v1.ScatterQueryRequest', { query: { subject: 'erin', text: 'tea' }, queryId: 'q1', asOfMs: 5 });
    expect(readStringPath(bytes, [1, 1])).toBe('erin');
    expect(readStringPath(bytes, [3])).toBe('q1');
  });

  it('reads multi-byte UTF-8', () => {
    const subject = 'Zoë 🐈 東京';
    expect(readStringPath(encode('engram.v1.RememberRequest', { memory: { subject } }), [1, 2])).toBe(subject);
  });

  it('returns "" when the field or its parent is absent', () => {
    expect(readStringPath(encode('engram.v1.RememberRequest', { memory: { content: 'no subject' } }), [1, 2])).toBe('');
    expect(readStringPath(encode('engram.v1.RememberRequest', {}), [1, 2])).toBe('');
    expect(readStringPath(new Uint8Array(0), [1])).toBe('');
  });

  it('skips other fields whose bytes are not valid messages or UTF-8', () => {
    const bytes = encode('engram.v1.RememberRequest', {
      memory: { payload: Buffer.from([0xff, 0xfe, 0x00, 0x07]), subject: 'frank', embedding: [Number.NaN, 1e30] },
    });
    expect(readStringPath(bytes, [1, 2])).toBe('frank');
  });

  // The protobuf encoding spec: "For embedded message fields, the parser merges multiple instances of the same
  // field, as if with MergeFrom; for strings, the parser accepts the last value it sees." (protobufjs itself replaces
  // an embedded message instead of merging, so it is not the reference here.)
  it('reads what the shard decoder reads: a later embedded occurrence replaces an earlier one', () => {
    const first = encode('engram.v1.RememberRequest', { memory: { subject: 'alice', content: 'one' } });
    const second = encode('engram.v1.RememberRequest', { memory: { content: 'two' } });
    const merged = Buffer.concat([first, second]);
    expect(readStringPath(merged, [1, 2])).toBe(decode('engram.v1.RememberRequest', merged).memory.subject ?? '');
    expect(readStringPath(merged, [1, 2])).toBe('');
    expect(readStringPath(merged, [1, 5])).toBe('two');
  });

  it('lets a later embedded occurrence override the subject', () => {
    const merged = Buffer.concat([
      encode('engram.v1.RememberRequest', { memory: { subject: 'alice' } }),
      encode('engram.v1.RememberRequest', { memory: { subject: 'mallory' } }),
    ]);
    expect(decode('engram.v1.RememberRequest', merged).memory.subject).toBe('mallory');
    expect(readStringPath(merged, [1, 2])).toBe('mallory');
  });

  it('takes the last occurrence of a repeated scalar (last wins)', () => {
    const merged = Buffer.concat([
      encode('engram.v1.RecallRequest', { subject: 'first', id: 'a' }),
      encode('engram.v1.RecallRequest', { subject: 'second' }),
    ]);
    expect(decode('engram.v1.RecallRequest', merged).subject).toBe('second');
    expect(readStringPath(merged, [1])).toBe('second');
  });

  it('takes an explicitly encoded empty top-level string as the last value', () => {
    const bytes = Buffer.concat([encode('engram.v1.RecallRequest', { subject: 'first' }), lengthDelimited(1, Buffer.alloc(0))]);
    expect(decode('engram.v1.RecallRequest', bytes).subject).toBe('');
    expect(readStringPath(bytes, [1])).toBe('');
  });

  // Bug: an explicitly encoded empty string in a later occurrence of the embedded message is ignored, so the
  // router reads "alice" where a protobuf parser (and the shard's decoder) reads "".
  it('takes an explicitly encoded empty nested string as the last value', () => {
    const bytes = Buffer.concat([
      encode('engram.v1.RememberRequest', { memory: { subject: 'alice' } }),
      lengthDelimited(1, lengthDelimited(2, Buffer.alloc(0))),
    ]);
    expect(decode('engram.v1.RememberRequest', bytes).memory.subject).toBe('');
    expect(readStringPath(bytes, [1, 2])).toBe('');
  });

  it('agrees with the shard decoder on random concatenations of requests', () => {
    const random = prng(7);
    const subjects = [undefined, 'a', 'b', 'ab', 'abc'];
    for (let round = 0; round < 200; round++) {
      const parts: Uint8Array[] = [];
      let expected = '';
      const n = 1 + Math.floor(random() * 4);
      for (let i = 0; i < n; i++) {
        const subject = subjects[Math.floor(random() * subjects.length)];
        if (random() < 0.2) {
          parts.push(encode('engram.v1.RememberRequest', {}));
          continue;
        }
        parts.push(encode('engram.v1.RememberRequest', { memory: subject === undefined ? { content: `c${i}` } : { subject, content: `c${i}` } }));
      }
      const all = Buffer.concat(parts);
      expected = decode('engram.v1.RememberRequest', all).memory?.subject ?? '';
      expect(readStringPath(all, [1, 2])).toBe(expected);
    }
  });

  it('reads within the given sub-range only', () => {
    const a = encode('engram.v1.RecallRequest', { subject: 'inside' });
    const b = encode('engram.v1.RecallRequest', { subject: 'outside' });
    const both = Buffer.concat([a, b]);
    expect(readStringPath(both, [1], 0, a.length)).toBe('inside');
    expect(readStringPath(both, [1], a.length, both.length)).toBe('outside');
  });

  it('throws INVALID_ARGUMENT when a field on the path is not length-delimited', () => {
    // field 1 as a varint where RememberRequest has an embedded message
    expectMalformed(() => readStringPath(Uint8Array.from([0x08, 0x01]), [1, 2]));
    // field 1 as a fixed32 where RecallRequest has a string
    expectMalformed(() => readStringPath(Uint8Array.from([0x0d, 1, 2, 3, 4]), [1]));
  });

  it('throws INVALID_ARGUMENT on invalid UTF-8 in the string read', () => {
    expectMalformed(() => readStringPath(lengthDelimited(1, Buffer.from([0xc3, 0x28])), [1]));
    expectMalformed(() => readStringPath(lengthDelimited(1, lengthDelimited(2, Buffer.from([0xff]))), [1, 2]));
  });

  it('throws INVALID_ARGUMENT when the embedded message on the path is malformed', () => {
    expectMalformed(() => readStringPath(lengthDelimited(1, Buffer.from([0x12, 0x09, 0x61])), [1, 2]));
  });

  it('throws INVALID_ARGUMENT on a truncated request', () => {
    const bytes = encode('engram.v1.RememberRequest', { memory: { subject: 'alice', content: 'hello' } });
    for (let cut = 1; cut < bytes.length; cut++) {
      expectMalformed(() => readStringPath(bytes.subarray(0, cut), [1, 2]));
    }
  });
});
