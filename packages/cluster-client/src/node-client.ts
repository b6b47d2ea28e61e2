import { status } from '@grpc/grpc-js';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { CONNECTION_WINDOW_BYTES, statusName, TENANT_METADATA_KEY } from '@engram/protocol';
import { nodeMetrics, telemetry, tracer } from '@engram/telemetry';
import type { Member } from '@engram/ring';
import { fromInternalError, isNodeFailure } from './internal-error.js';
import { H2Channel, type CancelSource } from './h2-channel.js';

export interface NodeClientOptions {
  /** Deadline of a call when the caller has none or a later one. */
  timeoutMs: number;
  /** Extra attempts of an idempotent call that failed UNAVAILABLE. */
  retries: number;
  /** Consecutive failures that open the circuit. */
  breakerThreshold: number;
  halfOpenAfterMs: number;
  maxMessageBytes: number;
}

export interface InternalCall {
  tenant: string;
  /** The caller's deadline (epoch ms), if any. */
  deadlineMs?: number;
  /** The server call this one serves: its cancellation cancels this call. */
  parent?: CancelSource;
  /** Safe to send again (reads, deletes, writes with an id). */
  idempotent?: boolean;
}

const identity = (b: Buffer) => b;
const RETRY_BACKOFF_MS = [20, 60, 150, 300];
/** Per-stream receive window of internal calls: a page of Query results arrives without waiting on WINDOW_UPDATEs. */
const STREAM_WINDOW_BYTES = 2 ** 20;

/**
 * A client of one node: one HTTP/2 channel, calls with deadlines, retries of idempotent calls within the
 * deadline, and a circuit breaker that makes calls to a node that keeps failing fail fast.
 */
export class NodeClient {
  private readonly channel: H2Channel;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(
    readonly member: Member,
    private readonly options: NodeClientOptions,
  ) {
    // Reconnect quickly after a node restarts.
    this.channel = new H2Channel(member.address, {
      maxMessageBytes: options.maxMessageBytes,
      connectionWindowBytes: CONNECTION_WINDOW_BYTES,
      streamWindowBytes: STREAM_WINDOW_BYTES,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
    });
    this.breaker = circuitBreaker(handleWhen(isNodeFailure), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
  }

  /** Calls a unary method with request bytes and returns the response bytes (for routers that forward bytes). */
  raw(path: string, request: Buffer, call: InternalCall): Promise<Buffer> {
    return this.unary(path, request, identity, identity, call);
  }

  /** Calls a unary method with its codecs. */
  async unary<Req, Res>(
    path: string,
    request: Req,
    serialize: (r: Req) => Buffer,
    deserialize: (b: Buffer) => Res,
    call: InternalCall,
  ): Promise<Res> {
    const deadline = Math.min(call.deadlineMs ?? Infinity, Date.now() + this.options.timeoutMs);
    const attempts = call.idempotent ? 1 + this.options.retries : 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.breaker.execute(() => this.once(path, request, serialize, deserialize, call, deadline));
      } catch (err) {
        const e = fromInternalError(err, this.member.id, call.deadlineMs, this.options.timeoutMs);
        const backoff = RETRY_BACKOFF_MS[Math.min(attempt, RETRY_BACKOFF_MS.length - 1)]!;
        if (attempt + 1 >= attempts || !isNodeFailure(e) || Date.now() + backoff >= deadline) throw e;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  private once<Req, Res>(
    path: string,
    request: Req,
    serialize: (r: Req) => Buffer,
    deserialize: (b: Buffer) => Res,
    call: InternalCall,
    deadline: number,
  ): Promise<Res> {
    const headers: Record<string, string> = { [TENANT_METADATA_KEY]: call.tenant };
    // A CLIENT span per attempt, child of whatever the caller is doing; its context travels as traceparent.
    const started = performance.now();
    // Without tracing there is no span to make nor context to send.
    const span = telemetry()?.tracing
      ? tracer().startSpan(path.slice(1), {
          kind: SpanKind.CLIENT,
          attributes: { 'rpc.system': 'grpc', 'server.address': this.member.address, 'engram.peer': this.member.id },
        })
      : undefined;
    if (span) propagation.inject(trace.setSpan(context.active(), span), headers);
    const method = path.slice(path.lastIndexOf('/') + 1);
    let bytes: Buffer;
    try {
      bytes = serialize(request);
    } catch (err) {
      span?.end();
      return Promise.reject(err);
    }
    return new Promise<Res>((resolve, reject) => {
      this.channel.unary(path, bytes, headers, deadline, call.parent, (err, res) => {
        const code = err ? err.code : 0;
        if (span) {
          span.setAttribute('rpc.grpc.status_code', code);
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.details });
          span.end();
        }
        nodeMetrics().rpcClient(this.member.id, method, statusName(code), (performance.now() - started) / 1000);
        if (err) return reject(fromInternalError(err, this.member.id, call.deadlineMs, this.options.timeoutMs));
        let value: Res;
        try {
          value = deserialize(res!);
        } catch (e) {
          return reject(fromInternalError({ code: status.INTERNAL, details: `cannot decode the answer of ${this.member.id}: ${e instanceof Error ? e.message : String(e)}` }, this.member.id, call.deadlineMs, this.options.timeoutMs));
        }
        resolve(value);
      });
    });
  }

  close(): void {
    this.channel.close();
  }
}
