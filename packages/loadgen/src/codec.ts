import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import protobuf from 'protobufjs';
import { protoRoot } from '@engram/protocol';
import type { CallContext } from './template.js';

/** How a method's requests are encoded. */
export interface MethodCodec {
  /** The HTTP/2 :path, "/pkg.Service/Method". */
  readonly path: string;
  readonly method: CallContext['method'];
  /** Encodes call data (protobuf JSON: camelCase or proto field names) into the request message. */
  encode(data: unknown): Uint8Array;
}

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Splits "pkg.Service/Method" or "pkg.Service.Method" (both forms ghz takes). */
export function parseCall(call: string): { service: string; method: string } {
  const text = call.trim().replace(/^\//, '');
  const slash = text.lastIndexOf('/');
  const cut = slash >= 0 ? slash : text.lastIndexOf('.');
  if (cut <= 0 || cut === text.length - 1) throw new CodecError(`--call: expected package.Service/Method, got "${call}"`);
  return { service: text.slice(0, cut), method: text.slice(cut + 1) };
}

export interface ProtoSource {
  /** .proto files; without them, engram.* methods come from the repository's protos. */
  proto?: string | undefined;
  importPaths?: readonly string[] | undefined;
}

function loadRoot(source: ProtoSource): protobuf.Root {
  if (!source.proto) return protoRoot();
  const paths = [...(source.importPaths ?? []), dirname(resolve(source.proto)), process.cwd()];
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    // protobufjs bundles google/protobuf/*.proto: leave those names as they are.
    for (const dir of paths) {
      const candidate = resolve(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    if (target.startsWith('google/')) return target;
    return origin ? resolve(dirname(origin), target) : resolve(target);
  };
  root.loadSync(source.proto, { keepCase: false });
  root.resolveAll();
  return root;
}

/** The codec of a unary method, found in --proto's files or, for engram.*, in the repository's protos. */
export function methodCodec(call: string, source: ProtoSource = {}): MethodCodec {
  const { service: serviceName, method: methodName } = parseCall(call);
  const root = loadRoot(source);
  let service: protobuf.Service;
  try {
    service = root.lookupService(serviceName);
  } catch {
    throw new CodecError(
      source.proto ? `service ${serviceName} is not in ${source.proto}` : `unknown service ${serviceName}: give its .proto with --proto (or a binary body with --binary-file)`,
    );
  }
  const method = service.methods[methodName];
  if (!method) throw new CodecError(`${serviceName} has no method ${methodName}`);
  if (method.requestStream || method.responseStream) throw new CodecError(`${serviceName}/${methodName} is a streaming method; only unary calls are supported`);
  method.resolve();
  const input = method.resolvedRequestType!;
  const output = method.resolvedResponseType!;
  return {
    path: `/${serviceName}/${methodName}`,
    method: { fullName: `${serviceName}.${methodName}`, name: methodName, service: serviceName, input: input.name, output: output.name },
    encode: (data) => input.encode(input.fromObject(fromJson(input, data ?? {}, input.name) as Record<string, unknown>)).finish(),
  };
}

/** A codec that sends fixed bytes (ghz's --binary): any method, no schema. */
export function binaryCodec(call: string, message: Uint8Array): MethodCodec {
  const { service, method } = parseCall(call);
  return {
    path: `/${service}/${method}`,
    method: { fullName: `${service}.${method}`, name: method, service, input: '', output: '' },
    encode: () => message,
  };
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Protobuf JSON → the object protobufjs's fromObject takes, checked against the type: unknown fields are
 * errors (fromObject would drop them silently), proto field names and camelCase both work, and Timestamp
 * (RFC 3339) and Duration ("1.5s") strings become their messages.
 */
export function fromJson(type: protobuf.Type, value: unknown, path: string): unknown {
  if (type.fullName === '.google.protobuf.Timestamp' && typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new CodecError(`${path}: not an RFC 3339 timestamp: "${value}"`);
    const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
    return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
  }
  if (type.fullName === '.google.protobuf.Duration' && typeof value === 'string') {
    const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(value.trim());
    if (!m) throw new CodecError(`${path}: not a protobuf JSON duration ("1.5s"): "${value}"`);
    const sign = m[1] ? -1 : 1;
    return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CodecError(`${path}: expected an object for ${type.name}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key] ?? type.fields[camel(key)];
    if (!field) throw new CodecError(`${path}: ${type.name} has no field "${key}"`);
    const where = `${path}.${field.name}`;
    const message = field.resolve().resolvedType instanceof protobuf.Type ? (field.resolvedType as protobuf.Type) : null;
    if (v === null || !message) out[field.name] = v;
    else if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new CodecError(`${where}: expected an object`);
      out[field.name] = Object.fromEntries(Object.entries(v as object).map(([k, item]) => [k, fromJson(message, item, `${where}[${k}]`)]));
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new CodecError(`${where}: expected an array`);
      out[field.name] = v.map((item, i) => fromJson(message, item, `${where}[${i}]`));
    } else out[field.name] = fromJson(message, v, where);
  }
  return out;
}
