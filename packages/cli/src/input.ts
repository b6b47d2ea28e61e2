import ms from 'ms';
import {
  LAYER_NAMES,
  layerNumber,
  toTimestamp,
  type IndexingStrategy__Output,
  type ItemSource__Output,
  type LayerName,
  type MemoryInput,
  type QueryRequest,
  type TimeRange,
} from '@engram/protocol';
import type { Duration } from '@engram/protocol/generated/google/protobuf/Duration.js';

// Turns what a person or a file gives (flag values, JSONL lines) into request messages. Every function throws
// an InputError that names the offending field; nothing here talks to the server.

/** A value that cannot be used; the message names the field and what was expected. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export type RankingWeights = NonNullable<QueryRequest['weights']>;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal number within [min, max], e.g. "0.8". */
export function parseNumber(text: string, field: string, min: number, max: number): number {
  const n = NUMBER.test(text.trim()) ? Number(text) : NaN;
  return checkRange(n, field, min, max);
}

function checkRange(n: number, field: string, min: number, max: number): number {
  if (!Number.isFinite(n)) throw new InputError(`${field}: must be a number`);
  if (n < min || n > max) throw new InputError(`${field}: must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** A whole number within [min, max]. */
export function parseInteger(text: string, field: string, min: number, max: number): number {
  if (!/^[-+]?\d+$/.test(text.trim())) throw new InputError(`${field}: must be a whole number`);
  return checkRange(Number(text), field, min, max);
}

/** A positive duration in milliseconds: "250ms", "10m", "24h", "7d", or a plain number of milliseconds. */
export function parseDuration(text: string, field: string): number {
  let n: number | undefined;
  try {
    n = ms(text.trim() as ms.StringValue);
  } catch {
    n = undefined;
  }
  if (n === undefined || !Number.isFinite(n) || n <= 0) {
    throw new InputError(`${field}: must be a positive duration (e.g. 10m, 24h, 7d)`);
  }
  return n;
}

/** Milliseconds → google.protobuf.Duration. */
export function toDuration(milliseconds: number): Duration {
  const seconds = Math.floor(milliseconds / 1000);
  return { seconds, nanos: Math.round((milliseconds - seconds * 1000) * 1e6) };
}

/** An ISO 8601 date or date-time ("2024-05-01", "2024-05-01T10:00:00Z") → milliseconds since the epoch. */
export function parseTime(text: string, field: string): number {
  const t = text.trim();
  const when = /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
  if (!Number.isFinite(when)) throw new InputError(`${field}: must be an ISO 8601 date (e.g. 2024-05-01T10:00:00Z), got "${text}"`);
  return when;
}

/** "key=value" (the value may contain "="). */
export function parseKeyValue(text: string, field: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InputError(`${field}: must be key=value, got "${text}"`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A layer a memory can be stored in or filtered by: "logic", "LOGIC" or "LAYER_LOGIC". */
export function parseLayer(text: string, field: string): LayerName {
  const n = layerNumber(text.trim());
  if (n === undefined || n === 0) {
    throw new InputError(`${field}: must be one of sensory, emotion, logic, dream, eternal; got "${text}"`);
  }
  return LAYER_NAMES[n]!;
}

/** Comma-separated layers, e.g. "logic,eternal" (each as parseLayer takes it; a layer given twice counts once). */
export function parseLayerList(text: string, field: string): LayerName[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new InputError(`${field}: must name at least one layer, e.g. logic,eternal`);
  return [...new Set(parts.map((part) => parseLayer(part, field)))];
}

/** The occurred time range of --since (inclusive) and --until (exclusive), or null when neither is given. */
export function occurredRange(since: number | undefined, until: number | undefined): TimeRange | null {
  if (since !== undefined && until !== undefined && since >= until) throw new InputError('--since must be before --until');
  if (since === undefined && until === undefined) return null;
  return { start: since === undefined ? null : toTimestamp(since), end: until === undefined ? null : toTimestamp(until) };
}

const SIZE = /^(\d+\.?\d*|\.\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A byte size: a number of bytes or a number with a unit b, kb, mb, gb, tb (powers of 1024; "mib" and "m" too). */
export function parseSize(text: string, field: string): number {
  const match = SIZE.exec(text.trim());
  const n = match ? Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b')[0]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`${field}: must be a positive size in bytes or with a unit (e.g. 64mb, 1gb)`);
  return n;
}

/** Minimum support: a share of episodes (0 < x <= 1) or, above 1, a whole number of episodes. */
export type Support = { relativeSupport: number } | { absoluteSupport: number };

export function parseSupport(text: string, field: string): Support {
  const n = NUMBER.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${field}: must be a share of episodes (0 < x <= 1) or a whole number of episodes above 1`);
  if (n <= 1) return { relativeSupport: n };
  if (!Number.isInteger(n) || n > 0xffff_ffff) throw new InputError(`${field}: above 1 it is a number of episodes and must be a whole number, got ${n}`);
  return { absoluteSupport: n };
}

/** A share within (0, 1], e.g. --cpu-limit 0.5. */
export function parseShare(text: string, field: string): number {
  const n = parseNumber(text, field, 0, 1);
  if (n === 0) throw new InputError(`${field}: must be above 0 and at most 1`);
  return n;
}

/** The name of a proto enum value, by its short name in any case ("ngram") or its full name. */
function enumValue<T extends string>(text: string, field: string, prefix: string, names: readonly string[]): T {
  const t = text.trim().toUpperCase();
  const full = t.startsWith(prefix) ? t : `${prefix}${t}`;
  if (!names.includes(full)) throw new InputError(`${field}: must be one of ${names.map((n) => n.slice(prefix.length).toLowerCase()).join(', ')}; got "${text}"`);
  return full as T;
}

export const STRATEGY_NAMES: readonly IndexingStrategy__Output[] = ['INDEXING_STRATEGY_PREFIXSPAN', 'INDEXING_STRATEGY_NGRAM', 'INDEXING_STRATEGY_FPGROWTH'];
export const ITEM_SOURCE_NAMES: readonly ItemSource__Output[] = ['ITEM_SOURCE_KIND', 'ITEM_SOURCE_TAGS', 'ITEM_SOURCE_TERMS'];

/** A mining algorithm: prefixspan, ngram or fpgrowth. */
export function parseStrategy(text: string, field: string): IndexingStrategy__Output {
  return enumValue(text, field, 'INDEXING_STRATEGY_', STRATEGY_NAMES);
}

/** What makes a memory's items: kind, tags or terms. */
export function parseItemSource(text: string, field: string): ItemSource__Output {
  return enumValue(text, field, 'ITEM_SOURCE_', ITEM_SOURCE_NAMES);
}

const WEIGHT_NAMES: Record<string, keyof RankingWeights> = {
  rec: 'recency',
  recency: 'recency',
  imp: 'importance',
  importance: 'importance',
  rel: 'relevance',
  relevance: 'relevance',
  act: 'activation',
  activation: 'activation',
};

/** "rec=1,imp=1,rel=1,act=0.5" (or the long names); weights left out take the server default. */
export function parseWeights(text: string, field = '--weights'): RankingWeights {
  const weights: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key, value] = parseKeyValue(part, field);
    const name = WEIGHT_NAMES[key.trim().toLowerCase()];
    if (!name) throw new InputError(`${field}: unknown weight "${key}" (use rec, imp, rel, act)`);
    if (name in weights) throw new InputError(`${field}: ${name} is given twice`);
    weights[name] = parseNumber(value, `${field} ${key}`, 0, 1e6);
  }
  if (Object.keys(weights).length === 0) throw new InputError(`${field}: must name at least one weight, e.g. rel=1`);
  return weights as RankingWeights;
}

/** The options of `engram remember`, already parsed. */
export interface RememberFlags {
  id?: string;
  kind?: string;
  tag?: string[];
  attr?: [string, string][];
  layer?: LayerName;
  importance?: number;
  valence?: number;
  arousal?: number;
  /** Milliseconds. */
  ttl?: number;
  /** Milliseconds since the epoch. */
  occurredAt?: number;
}

/** A MemoryInput from a subject, content and the remember flags; unset flags stay unset (the server decides). */
export function memoryInputFromFlags(subject: string, content: string, flags: RememberFlags): MemoryInput {
  const input: MemoryInput = { subject, content };
  if (flags.id !== undefined) input.id = flags.id;
  if (flags.kind !== undefined) input.kind = flags.kind;
  if (flags.tag?.length) input.tags = [...flags.tag];
  if (flags.attr?.length) input.attributes = attributesOf(flags.attr, '--attr');
  if (flags.layer !== undefined) input.layer = flags.layer;
  if (flags.importance !== undefined) input.importance = checkRange(flags.importance, '--importance', 0, 1);
  if (flags.valence !== undefined) input.valence = checkRange(flags.valence, '--valence', -1, 1);
  if (flags.arousal !== undefined) input.arousal = checkRange(flags.arousal, '--arousal', 0, 1);
  if (flags.ttl !== undefined) input.ttl = toDuration(flags.ttl);
  if (flags.occurredAt !== undefined) input.occurredAt = toTimestamp(flags.occurredAt);
  return input;
}

function attributesOf(pairs: readonly [string, string][], field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (Object.hasOwn(out, key)) throw new InputError(`${field}: attribute "${key}" is given twice`);
    out[key] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// JSONL records

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How one record field becomes a MemoryInput field. */
type FieldReader = (value: Json, field: string, input: MemoryInput) => void;

const readers: Record<string, FieldReader> = {
  id: (v, f, m) => (m.id = str(v, f)),
  subject: (v, f, m) => (m.subject = str(v, f)),
  content: (v, f, m) => (m.content = str(v, f)),
  kind: (v, f, m) => (m.kind = str(v, f)),
  tags: (v, f, m) => (m.tags = strings(v, f)),
  attributes: (v, f, m) => (m.attributes = attributes(v, f)),
  layer: (v, f, m) => (m.layer = layer(v, f)),
  importance: (v, f, m) => (m.importance = num(v, f, 0, 1)),
  valence: (v, f, m) => (m.valence = num(v, f, -1, 1)),
  arousal: (v, f, m) => (m.arousal = num(v, f, 0, 1)),
  occurredAt: (v, f, m) => (m.occurredAt = toTimestamp(time(v, f))),
  expiresAt: (v, f, m) => (m.expiresAt = toTimestamp(time(v, f))),
  ttl: (v, f, m) => (m.ttl = toDuration(duration(v, f))),
  embedding: (v, f, m) => (m.embedding = numbers(v, f)),
  evidenceIds: (v, f, m) => (m.evidenceIds = strings(v, f)),
};

/** The record fields a JSONL line may hold, in camelCase (snake_case is accepted too). */
export const RECORD_FIELDS: readonly string[] = Object.keys(readers);

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * A MemoryInput from a parsed JSON record shaped like MemoryInput, in camelCase or snake_case. Times are ISO
 * strings or epoch milliseconds, ttl a duration string ("24h") or milliseconds; null means unset. Unknown
 * fields are refused, so a misspelt field is not silently dropped.
 */
export function memoryInputFromRecord(record: unknown): MemoryInput {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new InputError('must be a JSON object');
  }
  const input: MemoryInput = {};
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(record as Record<string, Json>)) {
    const name = camel(key);
    const reader = Object.hasOwn(readers, name) ? readers[name] : undefined;
    if (!reader) throw new InputError(`unknown field "${key}" (expected ${RECORD_FIELDS.join(', ')})`);
    const before = seen.get(name);
    if (before !== undefined) throw new InputError(`"${before}" and "${key}" name the same field`);
    seen.set(name, key);
    if (value !== null) reader(value, key, input);
  }
  return input;
}

/** A MemoryInput from one line of a JSONL file. */
export function parseJsonLine(line: string): MemoryInput {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (err) {
    throw new InputError(`invalid JSON: ${(err as Error).message}`);
  }
  return memoryInputFromRecord(record);
}

function str(v: Json, field: string): string {
  if (typeof v !== 'string') throw new InputError(`${field}: must be a string`);
  return v;
}

function strings(v: Json, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new InputError(`${field}: must be an array of strings`);
  return v as string[];
}

function numbers(v: Json, field: string): number[] {
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new InputError(`${field}: must be an array of numbers`);
  }
  return v as number[];
}

function num(v: Json, field: string, min: number, max: number): number {
  if (typeof v !== 'number') throw new InputError(`${field}: must be a number`);
  return checkRange(v, field, min, max);
}

function attributes(v: Json, field: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${field}: must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else throw new InputError(`${field}.${key}: must be a string`);
  }
  return out;
}

function layer(v: Json, field: string): LayerName {
  if (typeof v === 'number') {
    const n = layerNumber(v);
    if (n === undefined) throw new InputError(`${field}: must be a layer name or a number from 0 to ${LAYER_NAMES.length - 1}`);
    return LAYER_NAMES[n]!;
  }
  return parseLayer(str(v, field), field);
}

function time(v: Json, field: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new InputError(`${field}: must be an ISO 8601 date or epoch milliseconds`);
    return v;
  }
  if (typeof v !== 'string') throw new InputError(`${field}: must be an ISO 8601 date or epoch milliseconds`);
  return parseTime(v, field);
}

function duration(v: Json, field: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw new InputError(`${field}: must be a positive number of milliseconds`);
    return v;
  }
  if (typeof v !== 'string') throw new InputError(`${field}: must be a duration (e.g. "24h") or milliseconds`);
  return parseDuration(v, field);
}
