import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { binaryCodec, methodCodec, type MethodCodec } from './codec.js';
import { grpcFrame, headerFrames, requestBytes, type RequestBytes } from './framing.js';
import { encodeRequestHeaders } from './hpack.js';
import type { RequestSource } from './load.js';
import type { RunSpec } from './spec.js';
import { DataTemplate, StringTemplate, type CallContext } from './template.js';

export const USER_AGENT = 'engram-loadgen/0.1.0';

/** grpc-timeout's value: at most 8 digits, in the finest unit that fits. */
export function grpcTimeout(ms: number): string {
  if (ms < 1e5) return `${Math.max(1, Math.round(ms * 1000))}u`;
  if (ms < 1e8) return `${Math.round(ms)}m`;
  return `${Math.min(99_999_999, Math.round(ms / 1000))}S`;
}

export interface PreparedRequests {
  source: RequestSource;
  codec: MethodCodec;
  /** Distinct request bodies encoded before the run (0 when each call encodes its own). */
  distinctBodies: number;
}

/**
 * The requests of one process. The data template is expanded and encoded ahead of the run into a ring of
 * `bodyRing` bodies (one when the data has no template), each with its HEADERS and DATA frames built once, so
 * a call only copies bytes: the generator stays off the critical path. Headers go in HPACK-indexed form (see
 * encodeRequestHeaders), so the server's cost per request is what h2load's requests cost it. The ring repeats: with
 * {{.RequestNumber}} call n carries the value of body n mod ring (the distinct values cycle), and timestamps are
 * those of the expansion. `exactTemplates` expands and encodes every call instead (exact per-call values, a few
 * microseconds of protobuf encoding per call). Metadata is expanded once per process.
 */
export function prepareRequests(spec: RunSpec, worker: { index: number; count: number }): PreparedRequests {
  const codec = spec.binary ? binaryCodec(spec.call, spec.binary) : methodCodec(spec.call, { proto: spec.proto, importPaths: spec.importPaths });
  const template = new DataTemplate(spec.data ?? {});
  const context = (requestNumber: number, slot: number): CallContext => ({
    requestNumber,
    workerId: `w${worker.index}s${slot}`,
    method: codec.method,
  });
  const metadata = Object.entries(spec.metadata ?? {}).map(
    ([k, v]) => [k.toLowerCase(), new StringTemplate(String(v)).expand(context(0, 0))] as const,
  );
  const headers = encodeRequestHeaders([
    [':method', 'POST'],
    [':scheme', spec.tls ? 'https' : 'http'],
    [':path', codec.path],
    [':authority', spec.target],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['user-agent', USER_AGENT],
    ...(spec.timeoutMs > 0 ? [['grpc-timeout', grpcTimeout(spec.timeoutMs)] as const] : []),
    ...metadata,
  ]);
  const frames = headerFrames(headers);
  const build = (n: number, slot: number): RequestBytes =>
    requestBytes(headers.indexed, grpcFrame(codec.encode(template.dynamic ? template.expand(context(n, slot)) : spec.data ?? {})), frames);
  // Request numbers are unique across processes: process i of n takes i, i + n, i + 2n, ...
  const globalNumber = (n: number): number => n * worker.count + worker.index;

  if (template.dynamic && spec.exactTemplates) {
    return { codec, distinctBodies: 0, source: { next: (n, slot) => build(globalNumber(n), slot) } };
  }
  const size = template.dynamic ? Math.max(1, Math.min(spec.bodyRing, Number.isFinite(spec.total) ? spec.total : spec.bodyRing)) : 1;
  const ring = Array.from({ length: size }, (_, i) => build(globalNumber(i), i % Math.max(1, spec.concurrency)));
  return { codec, distinctBodies: size, source: size === 1 ? { next: () => ring[0]! } : { next: (n) => ring[n % size]! } };
}

/** TLS options of the spec (ALPN is the connection's business). */
export function tlsOptions(spec: RunSpec): TlsOptions | undefined {
  if (!spec.tls) return undefined;
  return {
    ...(spec.tls.cacert ? { ca: readFileSync(spec.tls.cacert) } : {}),
    rejectUnauthorized: !spec.tls.skipVerify,
    ...(spec.tls.servername ? { servername: spec.tls.servername } : {}),
  };
}
