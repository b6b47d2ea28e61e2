import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME, Flag, FrameType, grpcFrame, grpcMessages, headerFrames, requestBytes } from './framing.js';

describe('gRPC framing', () => {
  it('prefixes a message with flag 0 and its big-endian length', () => {
    expect([...grpcFrame(Buffer.from('hi'))]).toEqual([0, 0, 0, 0, 2, 0x68, 0x69]);
    expect([...grpcFrame(new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
    expect(grpcFrame(Buffer.alloc(300)).readUInt32BE(1)).toBe(300);
  });

  it('splits a body into its messages and rejects a truncated one', () => {
    const body = Buffer.concat([grpcFrame(Buffer.from('a')), grpcFrame(Buffer.from('bcd'))]);
    expect(grpcMessages(body).map((m) => Buffer.from(m).toString())).toEqual(['a', 'bcd']);
    expect(() => grpcMessages(body.subarray(0, body.length - 1))).toThrow(/truncated/);
  });
});

describe('requestBytes', () => {
  it('is a HEADERS frame (END_HEADERS) then one DATA frame with END_STREAM, stream ids to patch', () => {
    const block = Buffer.from([0x83, 0x86]);
    const body = grpcFrame(Buffer.from('hello'));
    const r = requestBytes(block, body);
    expect(r.headersLength).toBe(9 + 2);
    // HEADERS: length 2, type 1, flags END_HEADERS, stream 0.
    expect([...r.bytes.subarray(0, 9)]).toEqual([0, 0, 2, FrameType.HEADERS, Flag.END_HEADERS, 0, 0, 0, 0]);
    expect([...r.bytes.subarray(9, 11)]).toEqual([0x83, 0x86]);
    // DATA: length 10, type 0, END_STREAM.
    expect([...r.bytes.subarray(11, 20)]).toEqual([0, 0, 10, FrameType.DATA, Flag.END_STREAM, 0, 0, 0, 0]);
    expect(r.bytes.subarray(20).equals(body)).toBe(true);
    expect(r.idOffsets).toEqual([5, 16]);
    expect(r.bytes.length).toBe(9 + 2 + 9 + 10);
  });

  it('cuts a large body into 16 KiB DATA frames, END_STREAM on the last only', () => {
    const body = Buffer.alloc(DEFAULT_MAX_FRAME * 2 + 100, 7);
    const r = requestBytes(Buffer.from([0x83]), body, headerFrames({ primer: Buffer.from([0x83]), plain: Buffer.from([0x83]), tableSize: 0 }));
    expect(r.idOffsets).toHaveLength(4);
    const frames: { length: number; flags: number }[] = [];
    for (let pos = r.headersLength; pos < r.bytes.length; ) {
      const length = r.bytes.readUIntBE(pos, 3);
      frames.push({ length, flags: r.bytes[pos + 4]! });
      pos += 9 + length;
    }
    expect(frames).toEqual([
      { length: DEFAULT_MAX_FRAME, flags: 0 },
      { length: DEFAULT_MAX_FRAME, flags: 0 },
      { length: 100, flags: Flag.END_STREAM },
    ]);
  });
});
