import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2Connection } from './connection.js';
import { CONNECTION_PREFACE, DEFAULT_MAX_FRAME, Flag, FRAME_HEADER, frame, FrameType, grpcFrame, headerFrames, requestBytes, settingsFrame } from './framing.js';
import { encodeRequestHeaders } from './hpack.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/**
 * A raw TCP peer that speaks just enough HTTP/2 to take requests it never answers: it sends its SETTINGS, and a PING
 * with a numbered payload every time bytes arrive (as grpc-go's BDP estimator pings), so that the client's PING
 * ACKs are written between its requests. It parses every byte the client sends into frames.
 */
async function pingingPeer(): Promise<{ port: number; frames: Frame[]; pingsSent: () => number; problems: string[] }> {
  const frames: Frame[] = [];
  const problems: string[] = [];
  let pings = 0;
  const server = createServer((socket: Socket) => {
    let buf = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on('error', () => {});
    socket.write(settingsFrame([]));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!prefaceSeen) {
        if (buf.length < CONNECTION_PREFACE.length) return;
        if (!buf.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE)) problems.push('bad preface');
        buf = buf.subarray(CONNECTION_PREFACE.length);
        prefaceSeen = true;
      }
      while (buf.length >= FRAME_HEADER) {
        const length = buf.readUIntBE(0, 3);
        const type = buf[3]!;
        if (length > DEFAULT_MAX_FRAME || type > FrameType.CONTINUATION) {
          problems.push(`not a frame: ${buf.subarray(0, FRAME_HEADER).toString('hex')}`);
          socket.destroy();
          return;
        }
        if (buf.length < FRAME_HEADER + length) break;
        frames.push({ type, flags: buf[4]!, streamId: buf.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(buf.subarray(FRAME_HEADER, FRAME_HEADER + length)) });
        buf = buf.subarray(FRAME_HEADER + length);
      }
      const payload = Buffer.alloc(8);
      payload.writeUInt32BE(++pings, 4);
      socket.write(frame(FrameType.PING, 0, 0, payload));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, frames, pingsSent: () => pings, problems };
}

describe('H2Connection', () => {
  it('writes control frames (PING ACKs) intact when they start a new write slab', async () => {
    const peer = await pingingPeer();
    // A slab smaller than one request: every request fills a slab of its own, so a PING ACK written after one starts
    // a new slab (the case that once sent the new slab's uninitialised bytes instead of the ACK, and made etcd drop
    // the connection).
    const conn = new H2Connection({ host: '127.0.0.1', port: peer.port, connectTimeoutMs: 5000, slabBytes: 64 });
    const blocks = encodeRequestHeaders([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/test.Echo/Call'],
      [':authority', `127.0.0.1:${peer.port}`],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
    const request = requestBytes(blocks.plain, grpcFrame(Buffer.alloc(100, 7)), headerFrames(blocks));
    const sink = { startedAt: performance.now(), onDone: () => {} };
    const acks = () => peer.frames.filter((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0).length;
    try {
      // One request per turn of the event loop, so that pings and requests interleave, until 50 PINGs were answered.
      const end = Date.now() + 10_000;
      for (let i = 0; i < 2000 && acks() < 50 && Date.now() < end && peer.problems.length === 0; i++) {
        conn.start(request, sink);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const deadline = Date.now() + 5000;
      while (acks() < peer.pingsSent() && Date.now() < deadline && peer.problems.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      conn.close();
    }
    expect(peer.problems).toEqual([]);
    const answered = peer.frames.filter((f) => f.type === FrameType.PING).map((f) => f.payload.readUInt32BE(4));
    expect(answered.length).toBeGreaterThanOrEqual(50);
    // Every PING was answered, in order, with its own payload.
    expect(answered).toEqual(Array.from({ length: answered.length }, (_, i) => i + 1));
    const types = new Set(peer.frames.map((f) => f.type));
    expect([...types].every((t) => t === FrameType.SETTINGS || t === FrameType.WINDOW_UPDATE || t === FrameType.HEADERS || t === FrameType.DATA || t === FrameType.PING)).toBe(true);
  });
});
