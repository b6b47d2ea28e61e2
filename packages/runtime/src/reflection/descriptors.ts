import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

/** A proto file as clients import it ("engram/v1/memory.proto") and where it lives on disk. */
export interface ProtoSource {
  name: string;
  path: string;
}

export interface FileDescriptors {
  /** Serialized google.protobuf.FileDescriptorProto by file name. */
  files: Map<string, Uint8Array>;
  /** Imports by file name. */
  dependencies: Map<string, string[]>;
  /** The file defining each fully-qualified symbol (messages, enums, services, methods). */
  symbols: Map<string, string>;
}

// google.protobuf.FieldDescriptorProto.Type and .Label numbers.
const SCALAR: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;

const lowerCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const upperCamel = (s: string) => lowerCamel(s).replace(/^[a-z]/, (c) => c.toUpperCase());
const qualified = (o: protobuf.ReflectionObject) => o.fullName; // protobufjs full names start with "."

function typeOf(f: protobuf.Field): { type: number; typeName?: string } {
  const resolved = f.resolvedType;
  if (resolved instanceof protobuf.Type) return { type: TYPE_MESSAGE, typeName: qualified(resolved) };
  if (resolved instanceof protobuf.Enum) return { type: TYPE_ENUM, typeName: qualified(resolved) };
  const scalar = SCALAR[f.type];
  if (scalar === undefined) throw new Error(`cannot describe field ${f.fullName} of type ${f.type}`);
  return { type: scalar };
}

function enumDescriptor(e: protobuf.Enum) {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

/** A message as protoc describes it: fully-qualified type names, map fields with <Name>Entry types. */
function messageDescriptor(t: protobuf.Type): Record<string, unknown> {
  const nestedType: Record<string, unknown>[] = [];
  const enumType: Record<string, unknown>[] = [];
  const oneofs = t.oneofsArray;
  const field = t.fieldsArray.map((f) => {
    const base: Record<string, unknown> = { name: f.name, number: f.id, jsonName: lowerCamel(f.name) };
    if (f.partOf) base.oneofIndex = oneofs.indexOf(f.partOf);
    if (f instanceof protobuf.MapField) {
      const entry = `${upperCamel(f.name)}Entry`;
      nestedType.push({
        name: entry,
        field: [
          { name: 'key', number: 1, label: LABEL_OPTIONAL, jsonName: 'key', type: SCALAR[f.keyType] },
          { name: 'value', number: 2, label: LABEL_OPTIONAL, jsonName: 'value', ...typeOf(f) },
        ],
        options: { mapEntry: true },
      });
      return { ...base, label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: `${qualified(t)}.${entry}` };
    }
    return { ...base, label: f.repeated ? LABEL_REPEATED : LABEL_OPTIONAL, ...typeOf(f) };
  });
  for (const n of t.nestedArray) {
    if (n instanceof protobuf.Type) nestedType.push(messageDescriptor(n));
    else if (n instanceof protobuf.Enum) enumType.push(enumDescriptor(n));
  }
  return { name: t.name, field, nestedType, enumType, oneofDecl: oneofs.map((o) => ({ name: o.name })) };
}

function serviceDescriptor(s: protobuf.Service) {
  return {
    name: s.name,
    method: s.methodsArray.map((m) => ({
      name: m.name,
      inputType: qualified(m.resolvedRequestType!),
      outputType: qualified(m.resolvedResponseType!),
      clientStreaming: m.requestStream === true,
      serverStreaming: m.responseStream === true,
    })),
  };
}

/** Package, imports and top-level names of a file, from its source (or protobufjs's bundled well-known types). */
function outline(source: ProtoSource): { pkg: string; imports: string[]; names: string[] } {
  interface JsonNamespace {
    nested?: Record<string, JsonNamespace>;
  }
  const common = (protobuf.common as unknown as { get(name: string): JsonNamespace | null }).get(source.name);
  if (common) {
    // Bundled well-known types: descend the single-child namespaces to the package.
    let ns: JsonNamespace = common;
    const path: string[] = [];
    for (;;) {
      const keys = Object.keys(ns.nested ?? {});
      const only = keys.length === 1 ? ns.nested![keys[0]!]! : undefined;
      if (!only?.nested) break;
      path.push(keys[0]!);
      ns = only;
    }
    return { pkg: path.join('.'), imports: [], names: Object.keys(ns.nested ?? {}) };
  }
  const parsed = protobuf.parse(readFileSync(source.path, 'utf8'), new protobuf.Root(), { keepCase: true });
  const pkg = parsed.package ?? '';
  const ns = pkg ? parsed.root.lookup(pkg) : parsed.root;
  const names = ns instanceof protobuf.Namespace ? ns.nestedArray.map((n) => n.name) : [];
  return { pkg, imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])], names };
}

function collectSymbols(o: protobuf.ReflectionObject, file: string, symbols: Map<string, string>): void {
  symbols.set(o.fullName.slice(1), file);
  if (o instanceof protobuf.Service) for (const m of o.methodsArray) symbols.set(m.fullName.slice(1), file);
  if (o instanceof protobuf.Type) for (const n of o.nestedArray) collectSymbols(n, file, symbols);
}

/**
 * FileDescriptorProtos of the given proto files and everything they import, one per source file with its real
 * name and its imports as dependencies, as protoc would produce them. Reflection clients (grpcurl, ghz)
 * resolve a service by fetching its file and then each dependency by name, so both must be right.
 */
export function describeFiles(sources: readonly ProtoSource[]): FileDescriptors {
  const byName = new Map(sources.map((s) => [s.name, s]));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => byName.get(target)?.path ?? target;
  root.loadSync(
    sources.map((s) => s.path),
    { keepCase: true },
  );
  root.resolveAll();
  const files = new Map<string, Uint8Array>();
  const dependencies = new Map<string, string[]>();
  const symbols = new Map<string, string>();
  const queue = sources.map((s) => s.name);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (files.has(name)) continue;
    const source = byName.get(name) ?? { name, path: name };
    const { pkg, imports, names } = outline(source);
    const file: Record<string, unknown> = { name, package: pkg, dependency: imports, syntax: 'proto3', messageType: [], enumType: [], service: [] };
    for (const n of names) {
      const o = root.lookup(pkg ? `${pkg}.${n}` : n);
      if (!o) continue;
      collectSymbols(o, name, symbols);
      if (o instanceof protobuf.Type) (file.messageType as unknown[]).push(messageDescriptor(o));
      else if (o instanceof protobuf.Enum) (file.enumType as unknown[]).push(enumDescriptor(o));
      else if (o instanceof protobuf.Service) (file.service as unknown[]).push(serviceDescriptor(o));
    }
    const message = descriptor.FileDescriptorProto.fromObject(file);
    files.set(name, descriptor.FileDescriptorProto.encode(message).finish());
    dependencies.set(name, imports);
    queue.push(...imports);
  }
  return { files, dependencies, symbols };
}
