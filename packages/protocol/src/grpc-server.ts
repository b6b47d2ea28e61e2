import type { ServiceDefinition, MethodDefinition, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { packageDefinition } from './protos.js';
import { invalidArgument } from './errors.js';
import { toServiceError, type BugReporter } from './server-errors.js';

/** Metadata entry that carries the tenant on internal hops (set by gateways, never by clients). */
export const TENANT_METADATA_KEY = 'engram-tenant';

const TENANT = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * HTTP/2 connection-level window every node gives its peers, as a server (NodeServer) and
 * as an internal client (NodeClient). Node's default is 64 KiB, and it reopens only as
 * the event loop reads: a busy node then receives at most 64 KiB per loop turn on a connection. A gateway multiplexes
 * all its calls to a shard on one connection, so under load requests queued in the pipe for seconds before the
 * shard saw them (its own queue and deadline never knew). With a wide window they arrive, and the node's admission
 * control decides.
 */
export const CONNECTION_WINDOW_BYTES = 16 * 2 ** 20;

/** The tenant a gateway put in an internal call's metadata. */
export function tenantOf(call: ServerUnaryCall<unknown, unknown>): string {
  const value = call.metadata.get(TENANT_METADATA_KEY)[0];
  if (typeof value !== 'string' || !TENANT.test(value)) throw invalidArgument(`${TENANT_METADATA_KEY} metadata`, 'must name the tenant');
  return value;
}

/** The service definition of a fully-qualified service, e.g. "engram.v1.MemoryService". */
export function serviceDefinition(files: readonly string[], fullName: string): ServiceDefinition {
  const def = packageDefinition(files)[fullName];
  if (!def || 'format' in def) throw new Error(`unknown service ${fullName}`);
  return def as unknown as ServiceDefinition;
}

const identity = (b: Buffer): Buffer => b;

/** A unary method of bytes in and bytes out at path (for routers, tests and benchmarks of the transport). */
export function rawUnaryMethod(path: string): MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
}

/**
 * The same service with every request and response left as bytes, for routers that read routing fields from
 * the wire and forward the bytes untouched.
 */
export function rawServiceDefinition(def: ServiceDefinition): ServiceDefinition<Record<string, MethodDefinition<Buffer, Buffer>>> {
  const raw: Record<string, MethodDefinition<Buffer, Buffer>> = {};
  for (const [name, method] of Object.entries(def)) {
    raw[name] = {
      ...(method as MethodDefinition<unknown, unknown>),
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  return raw;
}

/**
 * Adapts an async function to a grpc-js unary handler: its result is the response, anything it throws becomes
 * a status through toServiceError (domain codes kept, bugs reported and answered UNKNOWN).
 */
export function unary<Req, Res>(
  method: string,
  fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  report: BugReporter,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err, method, report)),
    );
  };
}
