import net from 'node:net';
import tls from 'node:tls';
import {
  CONNECTION_PREFACE,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  FRAME_HEADER,
  Flag,
  FrameType,
  MAX_WINDOW,
  Setting,
  frame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
  type HeaderFrames,
  type RequestBytes,
} from './framing.js';
import { decodeGrpcMessage, h2ErrorName, Status, statusFromHttp, statusFromRst } from './grpc-status.js';
import { HpackDecoder } from './hpack.js';

/** Who waits for a call: told its status once, when the call ends. */
export interface CallSink {
  /** performance.now() when the call was started (for deadlines). */
  startedAt: number;
  onDone(code: number, message: string): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  /** TLS options (ALPN h2 is added); plaintext HTTP/2 (h2c with prior knowledge) when absent. */
  tls?: tls.ConnectionOptions | undefined;
  connectTimeoutMs: number;
  /** Bytes of a write slab (default 256 KiB); tests make it small so that frames cross slabs often. */
  slabBytes?: number;
}

interface Stream {
  sink: CallSink;
  gotHeaders: boolean;
  httpStatus: number;
  /** Body bytes still to send when flow control held them back. */
  pending: Buffer | null;
  pendingOffset: number;
  sendWindow: number;
}

interface Queued {
  request: RequestBytes;
  sink: CallSink;
}

const IDLE = 0;
const CONNECTING = 1;
const READY = 2;
const DRAINING = 3;
const CLOSED = 4;

const MAX_STREAM_ID = 0x7fff_ffff;
/** Our receive window for the connection: large, topped up every REFILL bytes. */
const CONNECTION_WINDOW = 1 << 30;
const REFILL = 1 << 20;
const SLAB = 256 * 1024;
/** Marks a connection whose requests carry their headers in full (plain): the server's table is too small. */
const PRIMING_OFF: HeaderFrames = { primer: Buffer.alloc(0), plain: Buffer.alloc(0), tableSize: Number.POSITIVE_INFINITY };

/**
 * One HTTP/2 connection carrying unary gRPC calls, driven directly on a socket. Requests are pre-encoded
 * bytes (RequestBytes) copied into a write slab with only their stream id patched; everything written during
 * one turn of the event loop goes out in one socket write (at setImmediate). Responses are parsed frame by frame; the HPACK
 * decoder keeps the dynamic table the server's encoder relies on, and a call ends on its trailers
 * (grpc-status, grpc-message), a trailers-only response, RST_STREAM, GOAWAY or the loss of the connection.
 *
 * It reconnects on demand: a call started while the connection is down queues and opens it again.
 */
export class H2Connection {
  private state = IDLE;
  private socket: net.Socket | null = null;
  private lastError: Error | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly streams = new Map<number, Stream>();
  private queue: Queued[] = [];
  private blocked: number[] = [];
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerHeaderTable = 4096;
  /** The header set whose entries the server's HPACK table holds (sent with a primer on this connection). */
  private primed: HeaderFrames | null = null;
  private connSendWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private decoder = new HpackDecoder();
  private leftover: Buffer | null = null;
  private continuation: { id: number; flags: number; chunks: Buffer[] } | null = null;
  private slab: Buffer;
  private slabStart = 0;
  private slabPos = 0;
  private flushScheduled = false;
  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  private readonly onSocketData = (chunk: Buffer): void => {
    try {
      this.onData(chunk);
    } catch (err) {
      this.socket?.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  };

  constructor(private readonly options: ConnectionOptions) {
    this.slab = Buffer.allocUnsafe(this.slabBytes);
  }

  private get slabBytes(): number {
    return this.options.slabBytes ?? SLAB;
  }

  /** Calls open on this connection (sent, awaiting an answer). */
  get inFlight(): number {
    return this.streams.size + this.queue.length;
  }

  /** Starts a call; the sink hears how it ended. */
  start(request: RequestBytes, sink: CallSink): void {
    if (this.state === CLOSED) {
      sink.onDone(Status.CANCELLED, 'the load generator closed the connection');
      return;
    }
    if (this.state === READY && this.streams.size < this.peerMaxStreams && this.queue.length === 0) {
      this.open(request, sink);
      this.scheduleFlush();
      return;
    }
    this.queue.push({ request, sink });
    if (this.state === IDLE) this.connect();
  }

  /**
   * Ends the calls older than `timeoutMs` with DEADLINE_EXCEEDED (grpc-go's "context deadline exceeded"),
   * resetting their streams. Streams are visited oldest first, so this stops at the first young one.
   */
  expire(now: number, timeoutMs: number): void {
    while (this.queue.length > 0 && now - this.queue[0]!.sink.startedAt >= timeoutMs) {
      this.queue.shift()!.sink.onDone(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
    }
    for (const [id, stream] of this.streams) {
      if (now - stream.sink.startedAt < timeoutMs) break;
      this.streams.delete(id);
      this.write(rstStreamFrame(id, 0x8));
      stream.sink.onDone(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
    }
    this.flush();
  }

  /** Closes the connection for good; calls still open are dropped without being told. */
  close(): void {
    this.state = CLOSED;
    this.streams.clear();
    this.queue = [];
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    this.state = CONNECTING;
    this.lastError = null;
    const { host, port } = this.options;
    const socket = this.options.tls
      ? tls.connect({ ...this.options.tls, host, port, ALPNProtocols: ['h2'], servername: this.options.tls.servername ?? (net.isIP(host) ? undefined : host) })
      : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
    this.connectTimer.unref();
    socket.on('data', this.onSocketData);
    socket.on('error', (err) => {
      if (this.socket === socket) this.lastError = err;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.onClose();
    });
    socket.write(
      Buffer.concat([
        CONNECTION_PREFACE,
        settingsFrame([
          [Setting.ENABLE_PUSH, 0],
          [Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW],
        ]),
        windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW),
      ]),
    );
  }

  private onClose(): void {
    const wasDraining = this.state === DRAINING;
    const reason = this.lastError ? `connection error: ${this.lastError.message}` : wasDraining ? 'the connection is draining' : 'connection closed';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.socket = null;
    this.state = IDLE;
    this.resetProtocolState();
    const streams = [...this.streams.values()];
    this.streams.clear();
    // Calls that never reached a connection that was going away are sent again on a new one; the others fail.
    const queued = wasDraining ? [] : this.queue;
    if (!wasDraining) this.queue = [];
    for (const s of streams) s.sink.onDone(Status.UNAVAILABLE, reason);
    for (const q of queued) q.sink.onDone(Status.UNAVAILABLE, reason);
    if (this.state === IDLE && this.queue.length > 0) this.connect();
  }

  private resetProtocolState(): void {
    this.nextId = 1;
    this.blocked = [];
    this.peerMaxStreams = Number.POSITIVE_INFINITY;
    this.peerInitialWindow = DEFAULT_WINDOW;
    this.peerMaxFrame = DEFAULT_MAX_FRAME;
    this.peerHeaderTable = 4096;
    this.primed = null;
    this.connSendWindow = DEFAULT_WINDOW;
    this.recvUnacked = 0;
    this.decoder = new HpackDecoder();
    this.leftover = null;
    this.continuation = null;
    this.slab = Buffer.allocUnsafe(this.slabBytes);
    this.slabStart = this.slabPos = 0;
  }

  private open(request: RequestBytes, sink: CallSink): void {
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > MAX_STREAM_ID) this.drain();
    const stream: Stream = { sink, gotHeaders: false, httpStatus: 0, pending: null, pendingOffset: 0, sendWindow: this.peerInitialWindow };
    this.streams.set(id, stream);
    // The first request of a header set on this connection sends its headers in full (see RequestHeaderBlocks).
    let headers: Buffer | null = null;
    if (request.headers !== this.primed) {
      if (this.primed === null && request.headers.tableSize <= this.peerHeaderTable) {
        headers = request.headers.primer;
        this.primed = request.headers;
      } else headers = request.headers.plain;
    }
    const size = request.body.length;
    if (size <= this.connSendWindow && size <= this.peerInitialWindow && this.blocked.length === 0) {
      if (headers === null) {
        const at = this.reserve(request.bytes.length);
        request.bytes.copy(this.slab, at);
        for (const offset of request.idOffsets) this.slab.writeUInt32BE(id, at + offset);
      } else {
        const shift = headers.length - request.headersLength;
        const at = this.reserve(request.bytes.length + shift);
        headers.copy(this.slab, at);
        request.bytes.copy(this.slab, at + headers.length, request.headersLength);
        this.slab.writeUInt32BE(id, at + 5);
        for (let i = 1; i < request.idOffsets.length; i++) this.slab.writeUInt32BE(id, at + shift + request.idOffsets[i]!);
      }
      this.connSendWindow -= size;
      return;
    }
    // Flow control holds the body back: send the headers now, the body as windows open.
    const length = headers ? headers.length : request.headersLength;
    const at = this.reserve(length);
    (headers ?? request.bytes).copy(this.slab, at, 0, length);
    this.slab.writeUInt32BE(id, at + 5);
    stream.pending = request.body;
    this.blocked.push(id);
    this.pump();
  }

  /** Sends held-back bodies as far as the connection's and streams' send windows allow. */
  private pump(): void {
    let i = 0;
    while (i < this.blocked.length && this.connSendWindow > 0) {
      const id = this.blocked[i]!;
      const stream = this.streams.get(id);
      if (!stream || !stream.pending) {
        this.blocked.splice(i, 1);
        continue;
      }
      const body = stream.pending;
      while (stream.pendingOffset < body.length || body.length === 0) {
        const n = Math.min(body.length - stream.pendingOffset, this.connSendWindow, stream.sendWindow, this.peerMaxFrame);
        if (n <= 0 && body.length > 0) break;
        const last = stream.pendingOffset + n === body.length;
        const at = this.reserve(FRAME_HEADER + n);
        writeFrameHeader(this.slab, at, n, FrameType.DATA, last ? Flag.END_STREAM : 0, id);
        body.copy(this.slab, at + FRAME_HEADER, stream.pendingOffset, stream.pendingOffset + n);
        stream.pendingOffset += n;
        stream.sendWindow -= n;
        this.connSendWindow -= n;
        if (last) break;
      }
      if (stream.pendingOffset === body.length) {
        stream.pending = null;
        this.blocked.splice(i, 1);
      } else {
        i++;
      }
    }
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.state === READY && this.streams.size < this.peerMaxStreams) {
      const q = this.queue.shift()!;
      this.open(q.request, q.sink);
    }
  }

  /** No new streams on this connection: once its calls end it closes, and queued calls open a new one. */
  private drain(): void {
    this.state = DRAINING;
    if (this.streams.size === 0) this.socket?.destroy();
  }

  private finish(id: number, stream: Stream, code: number, message: string): void {
    this.streams.delete(id);
    stream.sink.onDone(code, message);
    if (this.queue.length > 0) this.drainQueue();
    else if (this.state === DRAINING && this.streams.size === 0) this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = null;
    }
    const len = buf.length;
    let pos = 0;
    while (len - pos >= FRAME_HEADER) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (len - pos - FRAME_HEADER < length) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & MAX_STREAM_ID;
      const p = pos + FRAME_HEADER;
      pos = p + length;
      if (this.continuation && type !== FrameType.CONTINUATION) throw new Error('expected CONTINUATION');
      switch (type) {
        case FrameType.DATA:
          this.onDataFrame(id, flags, length);
          break;
        case FrameType.HEADERS:
          this.onHeadersFrame(id, flags, buf, p, pos);
          break;
        case FrameType.CONTINUATION:
          this.onContinuation(id, flags, buf, p, pos);
          break;
        case FrameType.RST_STREAM:
          this.onRstStream(id, buf.readUInt32BE(p));
          break;
        case FrameType.SETTINGS:
          if ((flags & Flag.ACK) === 0) this.onSettings(buf, p, pos);
          break;
        case FrameType.PING:
          if ((flags & Flag.ACK) === 0) this.write(frame(FrameType.PING, Flag.ACK, 0, buf.subarray(p, pos)));
          break;
        case FrameType.GOAWAY:
          this.onGoaway(buf.readUInt32BE(p) & MAX_STREAM_ID, buf.readUInt32BE(p + 4), buf.toString('utf8', p + 8, pos));
          break;
        case FrameType.WINDOW_UPDATE:
          this.onWindowUpdate(id, buf.readUInt32BE(p) & MAX_STREAM_ID);
          break;
        case FrameType.PUSH_PROMISE:
          throw new Error('PUSH_PROMISE although push is disabled');
        default:
          break; // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1).
      }
      if (this.socket === null) return; // A sink closed us.
    }
    if (pos < len) this.leftover = buf.subarray(pos);
    // Not flushed at once: answers to the other reads of this turn of the event loop join the same write, and
    // fewer, larger writes cost the server less per call.
    this.scheduleFlush();
  }

  private onDataFrame(id: number, flags: number, length: number): void {
    this.recvUnacked += length;
    if (this.recvUnacked >= REFILL) {
      this.write(windowUpdateFrame(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    if (flags & Flag.END_STREAM) {
      const stream = this.streams.get(id);
      if (stream) this.finish(id, stream, Status.INTERNAL, 'server closed the stream without sending trailers');
    }
  }

  private onHeadersFrame(id: number, flags: number, buf: Buffer, start: number, end: number): void {
    if (flags & Flag.PADDED) {
      end -= buf[start]!;
      start += 1;
    }
    if (flags & Flag.PRIORITY) start += 5;
    if (flags & Flag.END_HEADERS) this.onHeaderBlock(id, flags, buf, start, end);
    else this.continuation = { id, flags, chunks: [buf.subarray(start, end)] };
  }

  private onContinuation(id: number, flags: number, buf: Buffer, start: number, end: number): void {
    const c = this.continuation;
    if (!c || c.id !== id) throw new Error('unexpected CONTINUATION');
    c.chunks.push(buf.subarray(start, end));
    if (flags & Flag.END_HEADERS) {
      this.continuation = null;
      const block = Buffer.concat(c.chunks);
      this.onHeaderBlock(id, c.flags, block, 0, block.length);
    }
  }

  private onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number): void {
    const d = this.decoder;
    d.decode(buf, start, end);
    const stream = this.streams.get(id);
    if (!stream) return;
    if (!stream.gotHeaders) {
      stream.gotHeaders = true;
      stream.httpStatus = Number(d.get(':status') ?? 0);
    }
    if ((flags & Flag.END_STREAM) === 0) return;
    // Trailers, or a trailers-only response.
    const grpcStatus = d.get('grpc-status');
    if (grpcStatus !== undefined) {
      const code = Number(grpcStatus);
      this.finish(id, stream, code, code === 0 ? '' : decodeGrpcMessage(d.get('grpc-message') ?? ''));
    } else if (stream.httpStatus !== 200) {
      this.finish(id, stream, statusFromHttp(stream.httpStatus), `unexpected HTTP status code received from server: ${stream.httpStatus}`);
    } else {
      this.finish(id, stream, Status.INTERNAL, 'server closed the stream without sending grpc-status');
    }
  }

  private onRstStream(id: number, errorCode: number): void {
    const stream = this.streams.get(id);
    if (stream) this.finish(id, stream, statusFromRst(errorCode), `stream terminated by RST_STREAM with error code: ${h2ErrorName(errorCode)}`);
  }

  private onSettings(buf: Buffer, start: number, end: number): void {
    for (let p = start; p + 6 <= end; p += 6) {
      const value = buf.readUInt32BE(p + 2);
      switch (buf.readUInt16BE(p)) {
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) s.sendWindow += delta;
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          this.peerMaxFrame = value;
          break;
        case Setting.HEADER_TABLE_SIZE:
          // Shrinking the table under entries we rely on would need a size update; send full headers from now on.
          if (this.primed && value < this.primed.tableSize) this.primed = PRIMING_OFF;
          this.peerHeaderTable = value;
          break;
        default:
          break;
      }
    }
    this.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
    if (this.state === CONNECTING) {
      this.state = READY;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.pump();
    this.drainQueue();
  }

  private onGoaway(lastStreamId: number, errorCode: number, debug: string): void {
    const reason = errorCode === 0 ? 'the connection is draining' : `received GOAWAY ${h2ErrorName(errorCode)}${debug ? `: ${debug}` : ''}`;
    this.state = DRAINING;
    for (const [id, stream] of this.streams) if (id > lastStreamId) this.finish(id, stream, Status.UNAVAILABLE, reason);
    if (this.streams.size === 0) this.socket?.destroy();
  }

  private onWindowUpdate(id: number, increment: number): void {
    if (id === 0) this.connSendWindow += increment;
    else {
      const stream = this.streams.get(id);
      if (stream) stream.sendWindow += increment;
    }
    if (this.blocked.length > 0) this.pump();
  }

  /** A place for n bytes in the write slab (flushing and starting a new slab when it is full). */
  private reserve(n: number): number {
    if (this.slabPos + n > this.slab.length) {
      this.flush();
      this.slab = Buffer.allocUnsafe(Math.max(this.slabBytes, n));
      this.slabStart = this.slabPos = 0;
    }
    const at = this.slabPos;
    this.slabPos += n;
    return at;
  }

  private write(bytes: Buffer): void {
    // reserve() first: it may flush and start a new slab, and `bytes.copy(this.slab, this.reserve(n))` would read
    // this.slab before that, copying into the old slab (over bytes already handed to the socket) and sending the
    // new slab's uninitialised bytes instead. That garbled a control frame (a PING ACK to grpc-go's BDP pings)
    // whenever one crossed a slab: etcd dropped the connection without a GOAWAY, failing every call in flight.
    const at = this.reserve(bytes.length);
    bytes.copy(this.slab, at);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushTick);
  }

  /** Writes what the slab holds since the last flush (the socket keeps that slice; the slab moves on). */
  private flush(): void {
    if (this.slabPos === this.slabStart) return;
    const bytes = this.slab.subarray(this.slabStart, this.slabPos);
    this.slabStart = this.slabPos;
    this.socket?.write(bytes);
  }
}
