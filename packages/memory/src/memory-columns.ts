import type { StoredMemory } from '@engram/storage';

/** The access history of a memory without accesses: one array shared by all of them. */
const NO_ACCESSES: readonly number[] = Object.freeze([]);

const INITIAL_ROWS = 16;

function grown(a: Float64Array, capacity: number): Float64Array {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

/**
 * What a query reads of each memory to filter and score it, a column per field and a row per memory: scoring a
 * few thousand candidates reads a few typed arrays instead of touching a few thousand records scattered over the
 * heap (each with its numbers boxed apart from it). The record itself is kept for the rest (kind, tags, attributes,
 * embedding, the result's memory).
 */
export class MemoryColumns {
  /** Rows written so far; rows at and past it are unused. */
  rows = 0;
  readonly records: (StoredMemory | undefined)[] = [];
  readonly ids: string[] = [];
  readonly subjects: string[] = [];
  readonly recentAccessMs: (readonly number[])[] = [];
  ingestedAtMs: Float64Array;
  occurredAtMs: Float64Array;
  /** 0: never expires. */
  expiresAtMs: Float64Array;
  importance: Float64Array;
  /** Document length for BM25. */
  length: Float64Array;
  accessCount: Float64Array;
  layer: Uint8Array;
  /** Free for the owner's bookkeeping (the record cache's recency clock when the row was last used). */
  usedAt: Float64Array;

  constructor(capacity = INITIAL_ROWS) {
    this.ingestedAtMs = new Float64Array(capacity);
    this.occurredAtMs = new Float64Array(capacity);
    this.expiresAtMs = new Float64Array(capacity);
    this.importance = new Float64Array(capacity);
    this.length = new Float64Array(capacity);
    this.accessCount = new Float64Array(capacity);
    this.layer = new Uint8Array(capacity);
    this.usedAt = new Float64Array(capacity);
  }

  /** Appends a row for r; returns its index. subject: r.subject, or an equal string to share between rows. */
  add(r: StoredMemory, subject = r.subject): number {
    const row = this.rows;
    if (row === this.layer.length) this.grow(row * 2);
    this.rows += 1;
    this.put(row, r, subject);
    return row;
  }

  /** (Re)writes row for r. */
  put(row: number, r: StoredMemory, subject = r.subject): void {
    this.records[row] = r;
    this.ids[row] = r.id;
    this.subjects[row] = subject;
    this.recentAccessMs[row] = r.recentAccessMs.length === 0 ? NO_ACCESSES : r.recentAccessMs;
    this.ingestedAtMs[row] = r.ingestedAtMs;
    this.occurredAtMs[row] = r.occurredAtMs;
    this.expiresAtMs[row] = r.expiresAtMs;
    this.importance[row] = r.importance;
    this.length[row] = r.length;
    this.accessCount[row] = r.accessCount;
    this.layer[row] = r.layer;
  }

  /** Takes back the last row added (a memory that did not pass a query's filters). */
  dropLast(): void {
    this.rows -= 1;
    this.clear(this.rows);
  }

  /** Drops what row references (its record and history), so that a freed row keeps nothing alive. */
  clear(row: number): void {
    this.records[row] = undefined;
    this.recentAccessMs[row] = NO_ACCESSES;
  }

  private grow(capacity: number): void {
    this.ingestedAtMs = grown(this.ingestedAtMs, capacity);
    this.occurredAtMs = grown(this.occurredAtMs, capacity);
    this.expiresAtMs = grown(this.expiresAtMs, capacity);
    this.importance = grown(this.importance, capacity);
    this.length = grown(this.length, capacity);
    this.accessCount = grown(this.accessCount, capacity);
    this.usedAt = grown(this.usedAt, capacity);
    const layer = new Uint8Array(capacity);
    layer.set(this.layer);
    this.layer = layer;
  }
}
