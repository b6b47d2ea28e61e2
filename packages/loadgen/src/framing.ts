/** HTTP/2 frame types and flags (RFC 9113 §6) that a unary gRPC client meets. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
} as const;

export const FRAME_HEADER = 9;
/** The frame size every peer accepts (SETTINGS_MAX_FRAME_SIZE's floor). */
export const DEFAULT_MAX_FRAME = 16_384;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 0x7fff_ffff;
export const CONNECTION_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** gRPC's length-prefixed message (gRPC over HTTP/2, "Length-Prefixed-Message"): flag 0, length, bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The messages of a gRPC body (complete length-prefixed frames; throws on a truncated one). */
export function grpcMessages(body: Uint8Array): Uint8Array[] {
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < view.length) {
    if (pos + 5 > view.length) throw new Error('truncated gRPC message prefix');
    if (view[pos] !== 0) throw new Error('compressed gRPC messages are not supported');
    const length = view.readUInt32BE(pos + 1);
    if (pos + 5 + length > view.length) throw new Error('truncated gRPC message');
    out.push(view.subarray(pos + 5, pos + 5 + length));
    pos += 5 + length;
  }
  return out;
}

/** Writes a frame header at `offset`. */
export function writeFrameHeader(buf: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  buf[offset] = length >>> 16;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId, offset + 5);
}

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER);
  return out;
}

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(errorCode, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
}

/**
 * The bytes of one request, encoded once and copied per call: a HEADERS frame (the whole header block) and the
 * gRPC body in DATA frames of at most 16 KiB, the last with END_STREAM. Only the stream id differs between
 * calls; `idOffsets` say where to write it.
 */
export interface RequestBytes {
  /** HEADERS (with the indexed header block) and DATA frames. */
  readonly bytes: Buffer;
  /** Length of the HEADERS frame (the DATA frames follow). */
  readonly headersLength: number;
  /** The gRPC body (what flow control counts). */
  readonly body: Buffer;
  readonly idOffsets: readonly number[];
  /** The HEADERS frames to send instead of the indexed one, where the server's table lacks the headers. */
  readonly headers: HeaderFrames;
}

/** HEADERS frames (stream id 0, to patch) of a run's requests: see RequestHeaderBlocks. */
export interface HeaderFrames {
  readonly primer: Buffer;
  readonly plain: Buffer;
  readonly tableSize: number;
}

export function headersFrame(block: Buffer): Buffer {
  if (block.length > DEFAULT_MAX_FRAME) throw new Error(`request headers of ${block.length} bytes do not fit one frame`);
  return frame(FrameType.HEADERS, Flag.END_HEADERS, 0, block);
}

export function headerFrames(blocks: { primer: Buffer; plain: Buffer; tableSize: number }): HeaderFrames {
  return { primer: headersFrame(blocks.primer), plain: headersFrame(blocks.plain), tableSize: blocks.tableSize };
}

export function requestBytes(headerBlock: Buffer, body: Buffer, headers: HeaderFrames = headerFrames({ primer: headerBlock, plain: headerBlock, tableSize: 0 })): RequestBytes {
  if (headerBlock.length > DEFAULT_MAX_FRAME) throw new Error(`request headers of ${headerBlock.length} bytes do not fit one frame`);
  const chunks = Math.max(1, Math.ceil(body.length / DEFAULT_MAX_FRAME));
  const headersLength = FRAME_HEADER + headerBlock.length;
  const bytes = Buffer.allocUnsafe(headersLength + chunks * FRAME_HEADER + body.length);
  const idOffsets = [5];
  writeFrameHeader(bytes, 0, headerBlock.length, FrameType.HEADERS, Flag.END_HEADERS, 0);
  headerBlock.copy(bytes, FRAME_HEADER);
  let pos = headersLength;
  for (let i = 0; i < chunks; i++) {
    const from = i * DEFAULT_MAX_FRAME;
    const length = Math.min(DEFAULT_MAX_FRAME, body.length - from);
    writeFrameHeader(bytes, pos, length, FrameType.DATA, i === chunks - 1 ? Flag.END_STREAM : 0, 0);
    idOffsets.push(pos + 5);
    body.copy(bytes, pos + FRAME_HEADER, from, from + length);
    pos += FRAME_HEADER + length;
  }
  return { bytes, headersLength, body, idOffsets, headers };
}
