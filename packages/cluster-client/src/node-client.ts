import { Client, credentials, Metadata, type CallOptions, type ChannelOptions } from '@grpc/grpc-js';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapSetter } from '@opentelemetry/api';
import { CONNECTION_WINDOW_BYTES, statusName, TENANT_METADATA_KEY } from '@engram/protocol';
import { nodeMetrics, telemetry, tracer } from '@engram/telemetry';
import type { Member } from '@engram/ring';
import { fromInternalError, isNodeFailure } from './internal-error.js';

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
  parent?: CallOptions['parent'];
  /** Safe to send again (reads, deletes, writes with an id). */
  idempotent?: boolean;
}

const identity = (b: Buffer) => b;

/** Writes W3C trace context into gRPC metadata. */
const metadataSetter: TextMapSetter<Metadata> = { set: (m, key, value) => m.set(key, value) };
const RETRY_BACKOFF_MS = [20, 60, 150, 300];

/** Channel settings of internal hops: reconnect quickly after a node restarts. */
export function internalChannelOptions(maxMessageBytes: number): ChannelOptions {
  return {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.min_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.enable_retries': 0,
    // Wide receive window for answers (a page of Query results), as the servers give their peers.
    'grpc-node.flow_control_window': CONNECTION_WINDOW_BYTES,
  };
}

/**
 * A client of one node: one HTTP/2 channel, calls with deadlines, retries of idempotent calls within the
 * deadline, and a circuit breaker that makes calls to a node that keeps failing fail fast.
 */
export class NodeClient {
  private readonly client: Client;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(
    readonly member: Member,
    private readonly options: NodeClientOptions,
  ) {
    this.client = new Client(member.address, credentials.createInsecure(), internalChannelOptions(options.maxMessageBytes));
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
    const metadata = new Metadata();
    metadata.set(TENANT_METADATA_KEY, call.tenant);
    const options: CallOptions = { deadline };
    if (call.parent) options.parent = call.parent;
    // A CLIENT span per attempt, child of whatever the caller is doing; its context travels as traceparent.
    const started = performance.now();
    // Without tracing there is no span to make nor context to send.
    const span = telemetry()?.tracing
      ? tracer().startSpan(path.slice(1), {
          kind: SpanKind.CLIENT,
          attributes: { 'rpc.system': 'grpc', 'server.address': this.member.address, 'engram.peer': this.member.id },
        })
      : undefined;
    if (span) propagation.inject(trace.setSpan(context.active(), span), metadata, metadataSetter);
    const method = path.slice(path.lastIndexOf('/') + 1);
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest(path, serialize, deserialize, request, metadata, options, (err, res) => {
        const code = err ? err.code : 0;
        if (span) {
          span.setAttribute('rpc.grpc.status_code', code);
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.details });
          span.end();
        }
        nodeMetrics().rpcClient(this.member.id, method, statusName(code), (performance.now() - started) / 1000);
        if (err) reject(fromInternalError(err, this.member.id, call.deadlineMs, this.options.timeoutMs));
        else resolve(res!);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
