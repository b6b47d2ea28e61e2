import type { MemoryColumns } from './memory-columns.js';

/** The memories a query considers: candidate i is row rows[i] of columns[i]. */
export interface CandidateSet {
  count: number;
  columns: MemoryColumns[];
  rows: Int32Array;
  /**
   * Frequency of each query term in each candidate, a row of as many as the query has terms per candidate
   * (candidate i's from i × terms), 0 where absent; undefined without a text cue.
   */
  tf: Float64Array | undefined;
  /** Query term → postings in the scope (subject or tenant on this shard). */
  df: Map<string, number>;
  /** Ends the set's hold on the columns it reads (SubjectColumns.acquire); nothing of it is read after. */
  release(): void;
}

const noop = (): void => {};

/** A CandidateSet filled one candidate at a time. */
export class CandidateList {
  count = 0;
  columns: MemoryColumns[];
  rows: Int32Array;
  tf: Float64Array | undefined;

  /** terms: of the text cue, undefined without one. */
  constructor(
    capacity: number,
    private readonly terms: number | undefined,
  ) {
    capacity = Math.max(capacity, 16);
    this.columns = new Array<MemoryColumns>(capacity);
    this.rows = new Int32Array(capacity);
    this.tf = terms === undefined ? undefined : new Float64Array(capacity * terms);
  }

  /** Adds row of columns, with its term frequencies from tf[at] on (text cue only). */
  push(columns: MemoryColumns, row: number, tf?: ArrayLike<number>, at = 0): void {
    const i = this.count;
    if (i === this.rows.length) this.grow(i * 2);
    this.columns[i] = columns;
    this.rows[i] = row;
    if (this.tf && tf) {
      const n = this.terms!;
      for (let t = 0; t < n; t++) this.tf[i * n + t] = tf[at + t]!;
    }
    this.count = i + 1;
  }

  toSet(df: Map<string, number>, release = noop): CandidateSet {
    return { count: this.count, columns: this.columns, rows: this.rows, tf: this.tf, df, release };
  }

  private grow(capacity: number): void {
    this.columns.length = capacity;
    const rows = new Int32Array(capacity);
    rows.set(this.rows);
    this.rows = rows;
    if (this.tf) {
      const tf = new Float64Array(capacity * this.terms!);
      tf.set(this.tf);
      this.tf = tf;
    }
  }
}
