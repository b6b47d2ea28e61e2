import { ByteLru, isAbsent, type Cached } from '@engram/cache';
import { Space, type StoredMemory } from '@engram/storage';
import { MemoryColumns } from './memory-columns.js';

/**
 * The cached records of one subject as columns (MemoryColumns), found by id. A query holds the subject's columns
 * (acquire/release) from its postings scan to its results: rows it found stay as they were meanwhile (a row whose
 * memory leaves the cache is reused only once no query holds the columns), though a row may be rewritten in place
 * with a newer version of its memory.
 */
export class SubjectColumns {
  columns = new MemoryColumns();
  private readonly rowOf = new Map<string, number>();
  private free: number[] = [];
  private limbo: number[] = [];
  private readers = 0;
  /** Changes whenever a memory joins or leaves the columns (not when one is rewritten in place). */
  membership = 0;
  /** Changes whenever a committed write may have changed the subject's postings (see ScoringColumns.postings). */
  postingsVersion = 0;

  constructor(
    /** The subject, one string shared by every row (ties compare it by reference first). */
    readonly subject: string,
    /** The subject's memory-key prefix (memory key = prefix + id). */
    readonly keyPrefix: string,
  ) {}

  /** The row of a memory, if it is cached. */
  row(id: string): number | undefined {
    return this.rowOf.get(id);
  }

  get memories(): number {
    return this.rowOf.size;
  }

  get idle(): boolean {
    return this.readers === 0 && this.rowOf.size === 0;
  }

  set(id: string, r: StoredMemory, usedAt: number): void {
    let row = this.rowOf.get(id);
    if (row !== undefined) {
      this.columns.put(row, r, this.subject);
    } else {
      row = this.free.pop();
      if (row === undefined) row = this.columns.add(r, this.subject);
      else this.columns.put(row, r, this.subject);
      this.rowOf.set(id, row);
      this.membership += 1;
    }
    this.columns.usedAt[row] = usedAt;
  }

  remove(id: string): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    this.rowOf.delete(id);
    this.membership += 1;
    if (this.readers > 0) this.limbo.push(row);
    else this.release(row);
    this.compactIfSparse();
  }

  acquire(): void {
    this.readers += 1;
  }

  /** Ends a hold; rows that left meanwhile become free. */
  releaseHold(): void {
    this.readers -= 1;
    if (this.readers === 0 && this.limbo.length > 0) {
      for (const row of this.limbo) this.release(row);
      this.limbo = [];
    }
  }

  private release(row: number): void {
    this.columns.clear(row);
    this.free.push(row);
  }

  /**
   * Copies the rows in use into columns of their size once most rows are free (a subject whose memories mostly
   * left the cache would otherwise keep columns of the size it once had). Only while no query holds the columns.
   */
  private compactIfSparse(): void {
    const used = this.rowOf.size;
    if (this.readers > 0 || this.free.length < 64 || this.free.length < 3 * used) return;
    const old = this.columns;
    const columns = new MemoryColumns(Math.max(16, used));
    for (const [id, row] of this.rowOf) {
      const moved = columns.add(old.records[row]!, this.subject);
      columns.usedAt[moved] = old.usedAt[row]!;
      this.rowOf.set(id, moved);
    }
    this.columns = columns;
    this.free = [];
  }
}

/** A term's postings in one subject as rows of the subject's columns, with the term's frequency in each. */
export interface PostingList {
  columns: SubjectColumns;
  /** The columns' membership and postings version when the postings were read. */
  membership: number;
  version: number;
  rows: Int32Array;
  tf: Float64Array;
}

const postingListBytes = (l: PostingList) => 96 + 12 * l.rows.length;

/**
 * The record cache's memories as per-subject columns, kept in step with the cache through its listener
 * (onCacheChange): a memory has a row exactly while the cache holds its record, so what a query reads here is what
 * a cache lookup would have returned.
 *
 * Also the postings of recently queried terms, as rows. A memory's postings are written with its record and
 * change only when a committed write changes its record's terms (or adds or deletes it), which the record cache is
 * told of (RecordReader.committed → postingsChanged); a list is used only while its subject's columns have the
 * same members and postings version as when it was read, and kept only if every posting had a row.
 */
export class ScoringColumns {
  private readonly subjects = new Map<string, SubjectColumns>();
  private readonly postingLists: ByteLru<PostingList>;

  constructor(
    /** The record cache's recency clock (see ByteLru.recencyClock), stamped on rows as they are cached. */
    private readonly clock: () => number,
    /** Budget of the posting lists kept (0: none). */
    postingsBytes: number,
  ) {
    this.postingLists = new ByteLru<PostingList>(postingsBytes, postingListBytes);
  }

  /** The postings of a term in a subject, if kept and still valid. */
  postings(s: SubjectColumns, term: string): PostingList | undefined {
    const l = this.postingLists.get(s.keyPrefix + term);
    if (l === undefined || isAbsent(l)) return undefined;
    return l.columns === s && l.membership === s.membership && l.version === s.postingsVersion ? l : undefined;
  }

  keepPostings(term: string, l: PostingList): void {
    this.postingLists.set(l.columns.keyPrefix + term, l);
  }

  /** A committed write may have changed the postings of the memory under key. */
  postingsChanged(key: string): void {
    const s = this.subjects.get(key.slice(0, key.lastIndexOf('\x00') + 1));
    if (s) s.postingsVersion += 1;
  }

  /** Listener of the record cache. */
  readonly onCacheChange = (key: string, value: Cached<StoredMemory> | undefined): void => {
    if (key[0] !== Space.Memory) return;
    // Memory key: m ␀ tenant ␀ subject ␀ id; neither subject nor id contains ␀.
    const cut = key.lastIndexOf('\x00') + 1;
    const prefix = key.slice(0, cut);
    let s = this.subjects.get(prefix);
    if (value === undefined || isAbsent(value)) {
      if (!s) return;
      s.remove(key.slice(cut));
      if (s.idle) this.subjects.delete(prefix);
      return;
    }
    if (!s) this.subjects.set(prefix, (s = new SubjectColumns(value.subject, prefix)));
    s.set(key.slice(cut), value, this.clock());
  };

  /** The columns of a subject (by its memory-key prefix), held until release(); undefined if none is cached. */
  acquire(keyPrefix: string): SubjectColumns | undefined {
    const s = this.subjects.get(keyPrefix);
    s?.acquire();
    return s;
  }

  release(s: SubjectColumns): void {
    s.releaseHold();
    if (s.idle && this.subjects.get(s.keyPrefix) === s) this.subjects.delete(s.keyPrefix);
  }

  /** Memories with a row (as many as the cache holds records). */
  get memories(): number {
    let n = 0;
    for (const s of this.subjects.values()) n += s.memories;
    return n;
  }
}
