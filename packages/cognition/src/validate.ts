import type { ShardConfig } from '@engram/config';
import { fromDuration, fromTimestamp, invalidArgument, layerNumber, type MemoryInput__Output } from '@engram/protocol';
import { normalizeContent } from './text.js';

export type Limits = ShardConfig['limits'];

/** A memory input that passed validation, with its fields in canonical form. */
export interface ValidInput {
  id: string | undefined;
  subject: string;
  layer: number;
  kind: string;
  content: string;
  tags: string[];
  attributes: Record<string, string>;
  payload: Buffer;
  embedding: number[] | undefined;
  occurredAtMs: number | undefined;
  importance: number | undefined;
  valence: number | undefined;
  arousal: number | undefined;
  ttlMs: number | undefined;
  expiresAtMs: number | undefined;
  evidenceIds: string[];
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CONTROL = /\p{Cc}/u;

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** A subject: non-blank, no control characters, within the byte limit. `field` names it in errors. */
export function validateSubject(subject: string, field: string, maxBytes: number): string {
  if (subject.trim().length === 0) throw invalidArgument(field, 'must not be empty');
  if (CONTROL.test(subject)) throw invalidArgument(field, 'must not contain control characters');
  if (utf8Length(subject) > maxBytes) throw invalidArgument(field, `must be at most ${maxBytes} bytes`);
  return subject;
}

/** A memory id as clients may give it. */
export function validateId(id: string, field: string): string {
  if (!ID.test(id)) throw invalidArgument(field, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  return id;
}

function boundedFloat(value: number | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < min || value > max) throw invalidArgument(field, `must be a number from ${min} to ${max}`);
  return value;
}

function validTimestampMs(ts: MemoryInput__Output['occurredAt'], field: string): number | undefined {
  if (!ts) return undefined;
  if (ts.nanos < 0 || ts.nanos > 999_999_999) throw invalidArgument(field, 'nanos must be from 0 to 999999999');
  const ms = fromTimestamp(ts)!;
  if (!Number.isFinite(ms) || ms < 0) throw invalidArgument(field, 'must not be before 1970-01-01');
  if (ms > 253402300799000) throw invalidArgument(field, 'must not be after 9999-12-31');
  return ms;
}

function validEmbedding(values: number[], field: string, limits: Limits): number[] | undefined {
  if (values.length === 0) return undefined;
  if (values.length > limits.maxEmbeddingDimensions) {
    throw invalidArgument(field, `must have at most ${limits.maxEmbeddingDimensions} dimensions`);
  }
  if (limits.embeddingDimensions > 0 && values.length !== limits.embeddingDimensions) {
    throw invalidArgument(field, `must have ${limits.embeddingDimensions} dimensions, has ${values.length}`);
  }
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw invalidArgument(`${field}[${i}]`, 'must be a finite number');
    norm += v * v;
  }
  if (norm === 0) throw invalidArgument(field, 'must not be the zero vector');
  return values;
}

/** A query embedding: same rules as a stored one. */
export function validateEmbedding(values: number[], field: string, limits: Limits): number[] | undefined {
  return validEmbedding(values, field, limits);
}

/**
 * Checks every field of a memory input against the limits; throws INVALID_ARGUMENT naming the first bad field
 * (prefixed by `path`, e.g. "memory" or "memories[3]"). `nowMs` bounds event times.
 */
export function validateMemoryInput(input: MemoryInput__Output, path: string, limits: Limits, nowMs: number): ValidInput {
  const f = (name: string) => `${path}.${name}`;
  const id = input.id === '' ? undefined : validateId(input.id, f('id'));
  const subject = validateSubject(input.subject, f('subject'), limits.subjectBytes);

  const layer = layerNumber(input.layer);
  if (layer === undefined) throw invalidArgument(f('layer'), `unknown layer ${String(input.layer)}`);

  if (utf8Length(input.kind) > limits.kindBytes) throw invalidArgument(f('kind'), `must be at most ${limits.kindBytes} bytes`);
  if (CONTROL.test(input.kind)) throw invalidArgument(f('kind'), 'must not contain control characters');

  const content = normalizeContent(input.content);
  if (utf8Length(content) > limits.contentBytes) throw invalidArgument(f('content'), `must be at most ${limits.contentBytes} bytes`);
  if (input.payload.length > limits.payloadBytes) throw invalidArgument(f('payload'), `must be at most ${limits.payloadBytes} bytes`);

  if (input.tags.length > limits.tags) throw invalidArgument(f('tags'), `must have at most ${limits.tags} tags`);
  input.tags.forEach((tag, i) => {
    if (tag.length === 0) throw invalidArgument(`${f('tags')}[${i}]`, 'must not be empty');
    if (utf8Length(tag) > limits.tagBytes) throw invalidArgument(`${f('tags')}[${i}]`, `must be at most ${limits.tagBytes} bytes`);
    if (CONTROL.test(tag)) throw invalidArgument(`${f('tags')}[${i}]`, 'must not contain control characters');
  });
  // Duplicates dropped (first occurrence kept); none to drop in fewer than two tags.
  const tags = input.tags.length < 2 ? input.tags : [...new Set(input.tags)];

  const attributeKeys = Object.keys(input.attributes);
  if (attributeKeys.length > limits.attributes) throw invalidArgument(f('attributes'), `must have at most ${limits.attributes} entries`);
  for (const key of attributeKeys) {
    const at = `${f('attributes')}[${JSON.stringify(key)}]`;
    if (key.length === 0) throw invalidArgument(f('attributes'), 'keys must not be empty');
    if (CONTROL.test(key)) throw invalidArgument(at, 'key must not contain control characters');
    if (utf8Length(key) + utf8Length(input.attributes[key]!) > limits.attributeBytes) {
      throw invalidArgument(at, `key and value must be at most ${limits.attributeBytes} bytes`);
    }
  }

  const embedding = validEmbedding(input.embedding, f('embedding'), limits);
  if (content.length === 0 && input.payload.length === 0 && !embedding) {
    throw invalidArgument(f('content'), 'must not be empty (or give a payload or an embedding)');
  }

  const occurredAtMs = validTimestampMs(input.occurredAt, f('occurred_at'));
  if (occurredAtMs !== undefined && occurredAtMs > nowMs + limits.futureSkew) {
    throw invalidArgument(f('occurred_at'), `must not be more than ${limits.futureSkew / 1000}s in the future`);
  }

  const ttlMs = fromDuration(input.ttl);
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0)) throw invalidArgument(f('ttl'), 'must be positive');
  const expiresAtMs = validTimestampMs(input.expiresAt, f('expires_at'));
  if (ttlMs !== undefined && expiresAtMs !== undefined) throw invalidArgument(f('expires_at'), 'give ttl or expires_at, not both');
  if (expiresAtMs !== undefined && expiresAtMs <= nowMs) throw invalidArgument(f('expires_at'), 'must be in the future');

  if (input.evidenceIds.length > limits.evidenceIds) {
    throw invalidArgument(f('evidence_ids'), `must have at most ${limits.evidenceIds} ids`);
  }
  input.evidenceIds.forEach((e, i) => validateId(e, `${f('evidence_ids')}[${i}]`));

  return {
    id,
    subject,
    layer,
    kind: input.kind,
    content,
    tags,
    attributes: input.attributes,
    payload: input.payload,
    embedding,
    occurredAtMs,
    importance: boundedFloat(input.importance, f('importance'), 0, 1),
    valence: boundedFloat(input.valence, f('valence'), -1, 1),
    arousal: boundedFloat(input.arousal, f('arousal'), 0, 1),
    ttlMs,
    expiresAtMs,
    evidenceIds: input.evidenceIds,
  };
}
