import { randomUUID } from 'node:crypto';

/**
 * ghz's call-data templates (Go text/template over the data), for the actions ghz documents: fields of the
 * call ({{.RequestNumber}}, {{.WorkerID}}, {{.TimestampUnix}}, {{.UUID}}, ...) and the functions randomString,
 * randomInt and newUUID. Templates are expanded inside the strings of the JSON data (a string that is one number
 * after expansion stays a string: protobuf's JSON form accepts numbers as strings for numeric fields).
 */
export interface CallContext {
  requestNumber: number;
  workerId: string;
  /** Call names, as ghz's FullyQualifiedName, MethodName, ServiceName, InputName and OutputName. */
  method: { fullName: string; name: string; service: string; input: string; output: string };
}

type Part = string | ((ctx: CallContext) => string);

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const CHARSET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomString(length: number): string {
  const n = length > 0 ? length : 2 + Math.floor(Math.random() * 15);
  let out = '';
  for (let i = 0; i < n; i++) out += CHARSET[Math.floor(Math.random() * CHARSET.length)];
  return out;
}

/** An integer in [min, max), as ghz's randomInt. */
export function randomInt(min: number, max: number): number {
  if (max <= min) return min;
  return min + Math.floor(Math.random() * (max - min));
}

/** The template fields whose value changes with every call (so a ring of bodies only approximates them). */
export const PER_CALL_FIELDS = ['RequestNumber', 'Timestamp', 'TimestampUnix', 'TimestampUnixMilli', 'TimestampUnixNano', 'UUID'];

const FIELDS: Record<string, (ctx: CallContext) => string> = {
  RequestNumber: (c) => String(c.requestNumber),
  WorkerID: (c) => c.workerId,
  FullyQualifiedName: (c) => c.method.fullName,
  MethodName: (c) => c.method.name,
  ServiceName: (c) => c.method.service,
  InputName: (c) => c.method.input,
  OutputName: (c) => c.method.output,
  IsClientStreaming: () => 'false',
  IsServerStreaming: () => 'false',
  Timestamp: () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  TimestampUnix: () => String(Math.floor(Date.now() / 1000)),
  TimestampUnixMilli: () => String(Date.now()),
  TimestampUnixNano: () => (BigInt(Date.now()) * 1_000_000n).toString(),
  UUID: () => randomUUID(),
};

function integerArg(text: string | undefined, action: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n)) throw new TemplateError(`{{${action}}}: expected integer arguments`);
  return n;
}

function compileAction(action: string): (ctx: CallContext) => string {
  const words = action.trim().split(/\s+/);
  const head = words[0] ?? '';
  if (head.startsWith('.')) {
    const field = FIELDS[head.slice(1)];
    if (!field || words.length > 1) throw new TemplateError(`unknown template field {{${action}}}`);
    return field;
  }
  switch (head) {
    case 'randomString': {
      const n = integerArg(words[1], action);
      return () => randomString(n);
    }
    case 'randomInt': {
      const min = integerArg(words[1], action);
      const max = integerArg(words[2], action);
      return () => String(randomInt(min, max));
    }
    case 'newUUID':
      return () => randomUUID();
    default:
      throw new TemplateError(`unknown template action {{${action}}}`);
  }
}

/** A compiled string template. */
export class StringTemplate {
  private readonly parts: Part[];
  readonly dynamic: boolean;
  /** Whether it uses a value of the call itself (RequestNumber, timestamps, UUID) rather than random ones. */
  readonly perCall: boolean;

  constructor(readonly source: string) {
    this.parts = [];
    let perCall = false;
    let pos = 0;
    for (const m of source.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/g)) {
      if (m.index > pos) this.parts.push(source.slice(pos, m.index));
      this.parts.push(compileAction(m[1]!));
      if (PER_CALL_FIELDS.some((f) => m[1]!.trim() === `.${f}`) || m[1]!.trim() === 'newUUID') perCall = true;
      pos = m.index + m[0].length;
    }
    if (pos < source.length) this.parts.push(source.slice(pos));
    this.dynamic = this.parts.some((p) => typeof p !== 'string');
    this.perCall = perCall;
  }

  expand(ctx: CallContext): string {
    let out = '';
    for (const p of this.parts) out += typeof p === 'string' ? p : p(ctx);
    return out;
  }
}

type Node = { kind: 'value'; value: unknown } | { kind: 'string'; template: StringTemplate } | { kind: 'array'; items: Node[] } | { kind: 'object'; entries: [string, Node][] };

/** A JSON value (call data or metadata) whose strings (and object keys, as plain text) may hold templates. */
export class DataTemplate {
  private readonly root: Node;
  readonly dynamic: boolean;
  readonly perCall: boolean;

  constructor(data: unknown) {
    const flags = { dynamic: false, perCall: false };
    this.root = compileNode(data, flags);
    this.dynamic = flags.dynamic;
    this.perCall = flags.perCall;
  }

  expand(ctx: CallContext): unknown {
    return expandNode(this.root, ctx);
  }
}

function compileNode(value: unknown, flags: { dynamic: boolean; perCall: boolean }): Node {
  if (typeof value === 'string') {
    const template = new StringTemplate(value);
    flags.dynamic ||= template.dynamic;
    flags.perCall ||= template.perCall;
    return template.dynamic ? { kind: 'string', template } : { kind: 'value', value };
  }
  if (Array.isArray(value)) return { kind: 'array', items: value.map((v) => compileNode(v, flags)) };
  if (value !== null && typeof value === 'object') {
    return { kind: 'object', entries: Object.entries(value).map(([k, v]) => [k, compileNode(v, flags)]) };
  }
  return { kind: 'value', value };
}

function expandNode(node: Node, ctx: CallContext): unknown {
  switch (node.kind) {
    case 'value':
      return node.value;
    case 'string':
      return node.template.expand(ctx);
    case 'array':
      return node.items.map((n) => expandNode(n, ctx));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, n] of node.entries) out[k] = expandNode(n, ctx);
      return out;
    }
  }
}
