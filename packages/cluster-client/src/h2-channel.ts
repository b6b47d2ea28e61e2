import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { statusFromHttp } from '@engram/protocol';

/** How a call failed, shaped as grpc-js's ServiceError (code and details), so the same error mapping reads both. */
export interface CallFailure {
  code: number;
  details: string;
}

/** What can cancel a call: a server call it serves (its 'cancelled' event), as grpc-js's `parent` option. */
export interface CancelSource {
  cancelled?: boolean;
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

export interface H2ChannelOptions {
  /** Largest response accepted (RESOURCE_EXHAUSTED beyond). */
  maxMessageBytes: number;
  /** Connection-level receive window given to the peer. */
  connectionWindowBytes: number;
  /** Per-stream receive window (HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindowBytes: number;
  /** After a failed connection, calls fail fast for this long before the next attempt, doubling up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export type UnaryCallback = (err: CallFailure | null, response?: Buffer) => void;

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;
/** Open a fresh connection before stream ids run out (2^31 - 1 on one connection). */
const LAST_STREAM_ID = 2 ** 31 - 1000;

function decodeMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * One HTTP/2 connection to a node carrying unary gRPC calls of bytes, on node:http2 directly. grpc-js's client spent
 * ~70 µs of CPU per internal call on its channel, load balancer, resolver and call-stack layers; a router needs none
 * of them: one address, one connection, bytes in and out. It keeps what callers rely on: the grpc-timeout deadline
 * (DEADLINE_EXCEEDED, and the stream reset), cancellation when the server call it serves is cancelled (CANCELLED),
 * the response size limit (RESOURCE_EXHAUSTED), statuses and messages as the server said them, and UNAVAILABLE
 * when the node cannot be reached, with a short backoff between connection attempts (calls meanwhile fail fast).
 * A connection that goes away (GOAWAY, error, close) is replaced on the next call.
 */
export class H2Channel {
  private session: ClientHttp2Session | null = null;
  private backoffMs = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;

  constructor(
    readonly address: string,
    private readonly options: H2ChannelOptions,
  ) {}

  /** The live connection, a new one, or why there is none (during backoff after a failure). */
  private connection(): ClientHttp2Session | CallFailure {
    const current = this.session;
    if (current && !current.closed && !current.destroyed && (current.state.nextStreamID ?? 0) < LAST_STREAM_ID) return current;
    if (current) {
      // Out of stream ids: the old connection finishes its calls and goes.
      this.session = null;
      if (!current.closed && !current.destroyed) current.close();
    }
    if (this.closed) return { code: status.UNAVAILABLE, details: 'channel closed' };
    const now = Date.now();
    if (now < this.retryAt) return { code: status.UNAVAILABLE, details: `cannot connect to ${this.address} (${this.lastError}); next attempt in ${this.retryAt - now} ms` };
    const session = http2.connect(`http://${this.address}`, {
      settings: { enablePush: false, initialWindowSize: this.options.streamWindowBytes },
      // Room for the wide windows: bytes the peer may have in flight to us before we read them.
      maxSessionMemory: Math.max(10, Math.ceil((2 * this.options.connectionWindowBytes) / 2 ** 20)),
    });
    let connected = false;
    session.once('connect', () => {
      connected = true;
      this.backoffMs = 0;
      try {
        session.setLocalWindowSize(this.options.connectionWindowBytes);
      } catch {
        // Closed meanwhile; the next call reconnects.
      }
    });
    session.on('error', (err: Error) => {
      this.lastError = err.message;
      // A connection that never came up puts off the next attempt, so a dead node costs its callers nothing.
      if (!connected) {
        this.backoffMs = Math.min(this.options.maxBackoffMs, Math.max(this.options.minBackoffMs, this.backoffMs * 2));
        this.retryAt = Date.now() + this.backoffMs;
      }
    });
    session.once('close', () => {
      if (this.session === session) this.session = null;
    });
    session.once('goaway', () => {
      // No new streams here; those in flight finish.
      if (this.session === session) this.session = null;
    });
    this.session = session;
    return session;
  }

  /**
   * Calls path with the request bytes; done hears once, with the response bytes or the failure. headers are the
   * call's metadata (ASCII values); deadlineMs is absolute (epoch ms).
   */
  unary(path: string, request: Buffer, headers: Record<string, string>, deadlineMs: number, parent: CancelSource | undefined, done: UnaryCallback): void {
    const framed = Buffer.allocUnsafe(5 + request.length);
    framed[0] = 0;
    framed.writeUInt32BE(request.length, 1);
    request.copy(framed, 5);
    this.attempt(path, framed, headers, deadlineMs, parent, done, true);
  }

  /**
   * One attempt; mayRetry allows one more, on a new connection, of a call the server provably never saw (refused by
   * a GOAWAY or REFUSED_STREAM before any answer, as grpc-js's transparent retry): safe for any call.
   */
  private attempt(path: string, framed: Buffer, headers: Record<string, string>, deadlineMs: number, parent: CancelSource | undefined, done: UnaryCallback, mayRetry: boolean): void {
    const timeoutMs = Math.ceil(deadlineMs - Date.now());
    if (timeoutMs <= 0) return done({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded before the call started' });
    if (parent?.cancelled) return done({ code: status.CANCELLED, details: 'Cancelled: the call it serves was cancelled' });
    const session = this.connection();
    if (!('request' in session)) return done(session);
    let stream: ClientHttp2Stream;
    try {
      stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
        ...headers,
      });
    } catch (err) {
      // The connection is going (GOAWAY received, closed): nothing was sent.
      if (this.session === session) this.session = null;
      if (!session.closed && !session.destroyed) session.close();
      if (mayRetry) return this.attempt(path, framed, headers, deadlineMs, parent, done, false);
      return done({ code: status.UNAVAILABLE, details: `cannot start a call on ${this.address}: ${err instanceof Error ? err.message : String(err)}` });
    }

    let finished = false;
    let httpStatus = 0;
    let grpcStatus: number | undefined;
    let grpcMessage = '';
    let first: Buffer | null = null;
    let chunks: Buffer[] | null = null;
    let received = 0;
    let streamError: Error | null = null;

    const finish = (err: CallFailure | null, response?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (parent) parent.removeListener('cancelled', onParentCancelled);
      done(err, response);
    };
    const abandon = (failure: CallFailure) => {
      finish(failure);
      if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
    };
    const onParentCancelled = () => abandon({ code: status.CANCELLED, details: 'Cancelled: the call it serves was cancelled' });
    const timer = setTimeout(() => abandon({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }), timeoutMs);
    if (parent) parent.on('cancelled', onParentCancelled);

    const readStatus = (h: IncomingHttpHeaders) => {
      const code = h['grpc-status'];
      if (code !== undefined) {
        grpcStatus = Number(code);
        grpcMessage = decodeMessage(h['grpc-message']);
      }
    };
    stream.on('response', (h) => {
      httpStatus = Number(h[HTTP2_HEADER_STATUS]);
      // A trailers-only response carries its status here.
      readStatus(h);
    });
    stream.on('trailers', readStatus);
    stream.on('data', (chunk: Buffer) => {
      if (finished) return;
      received += chunk.length;
      if (received > this.options.maxMessageBytes + 5) {
        abandon({ code: status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${received - 5} vs. ${this.options.maxMessageBytes})` });
        return;
      }
      if (first === null) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    stream.on('error', (err: Error) => {
      streamError = err;
    });
    stream.on('close', () => {
      if (finished) return;
      if (grpcStatus === undefined) {
        if (httpStatus !== 0 && httpStatus !== 200) return finish({ code: statusFromHttp(httpStatus), details: `HTTP status ${httpStatus} from ${this.address}` });
        const code = stream.rstCode;
        if (code === NGHTTP2_REFUSED_STREAM && httpStatus === 0 && mayRetry) {
          // Refused unprocessed (a GOAWAY raced with the call): once more, on a new connection.
          finished = true;
          clearTimeout(timer);
          if (parent) parent.removeListener('cancelled', onParentCancelled);
          // (A GOAWAY has already retired the connection; a stream refused on a live one may go on it again.)
          return this.attempt(path, framed, headers, deadlineMs, parent, done, false);
        }
        if (code === NGHTTP2_REFUSED_STREAM || streamError || httpStatus === 0) {
          return finish({ code: status.UNAVAILABLE, details: `connection to ${this.address} lost: ${streamError?.message ?? `stream reset (${code ?? 'no code'})`}` });
        }
        return finish({ code: code === NGHTTP2_CANCEL ? status.CANCELLED : status.INTERNAL, details: `stream from ${this.address} ended without a status (reset ${code ?? 0})` });
      }
      if (grpcStatus !== status.OK) return finish({ code: grpcStatus, details: grpcMessage });
      const body = chunks ? Buffer.concat(chunks, received) : first;
      if (body === null || body.length < 5) return finish({ code: status.INTERNAL, details: `no response message from ${this.address}` });
      if (body[0] !== 0) return finish({ code: status.INTERNAL, details: `compressed response from ${this.address} (not asked for)` });
      const length = body.readUInt32BE(1);
      if (body.length !== 5 + length) return finish({ code: status.INTERNAL, details: `malformed response framing from ${this.address}` });
      finish(null, body.subarray(5));
    });

    stream.end(framed);
  }

  /** Closes the connection; calls in flight end UNAVAILABLE or with their answer. */
  close(): void {
    this.closed = true;
    const session = this.session;
    this.session = null;
    if (session && !session.destroyed) session.close();
  }
}
