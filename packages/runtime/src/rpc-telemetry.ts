import type { Metadata, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import { statusName } from '@engram/protocol';
import { nodeMetrics, telemetry, tracer } from '@engram/telemetry';

/** Reads W3C trace context (traceparent, tracestate) from gRPC metadata. */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (m) => Object.keys(m.getMap()),
  get: (m, key) => {
    const values = m.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};

const byteLength = (v: unknown) => (Buffer.isBuffer(v) ? v.length : 0);

/**
 * Wraps a service's unary handlers: each call is a SERVER span in the trace its caller propagated (or a new one),
 * and is recorded in the RPC metrics by method and status code, with its bytes when the service handles raw bytes.
 * The handler runs inside the span's context, so the calls it makes to other nodes become its children.
 */
export function instrumentService(service: string, implementation: UntypedServiceImplementation): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(implementation)) {
    const unary = handler as (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;
    const name = `${service}/${method}`;
    wrapped[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      const done: sendUnaryData<unknown> = (err, value) => {
        nodeMetrics().rpcServer(service, method, statusName(err ? (err.code ?? 2) : 0), (performance.now() - started) / 1000, byteLength(call.request), byteLength(value));
        callback(err, value);
      };
      // No tracing: no context to extract and no span, only the metrics.
      if (!telemetry()?.tracing) return unary(call, done);
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
      const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } }, parent);
      context.with(trace.setSpan(parent, span), () =>
        unary(call, (err, value) => {
          span.setAttribute('rpc.grpc.status_code', err ? (err.code ?? 2) : 0);
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.details ?? ('message' in err ? err.message : undefined) });
          span.end();
          done(err, value);
        }),
      );
    };
  }
  return wrapped;
}
