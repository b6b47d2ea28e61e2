import { mkdirSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { decodeCount } from './codec.js';
import { GroupCommitWriter, type BatchContributor, type BatchStats, type CommitRequest, type GroupCommitOptions } from './group-commit.js';

export type LevelOpenOptions = ConstructorParameters<typeof ClassicLevel<string, Uint8Array>>[1];

export interface KeyRange {
  gte?: string;
  gt?: string;
  lt?: string;
  lte?: string;
  limit?: number;
  reverse?: boolean;
}

const SCAN_CHUNK = 512;

/**
 * A shard's LevelDB store: reads see pending group-commit writes first (the overlay), then LevelDB; writes go
 * through the group-commit writer.
 */
export class Store<M = unknown> {
  private constructor(
    readonly db: ClassicLevel<string, Uint8Array>,
    readonly writer: GroupCommitWriter<M>,
  ) {}

  static async open<M>(
    location: string,
    levelOptions: LevelOpenOptions,
    writerOptions: GroupCommitOptions,
    contributor?: BatchContributor<M>,
    onBatch?: (stats: BatchStats) => void,
  ): Promise<Store<M>> {
    mkdirSync(location, { recursive: true });
    const db = new ClassicLevel<string, Uint8Array>(location, levelOptions);
    await db.open();
    return new Store(db, new GroupCommitWriter<M>(db, writerOptions, contributor, onBatch));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const pending = this.writer.read(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.db.get(key);
  }

  /**
   * Synchronous read for small keys that are mostly absent or hot (index entries, tombstones, counters): LevelDB
   * answers a missing key from its bloom filters and a hot one from its block cache without a thread-pool hop.
   */
  peek(key: string): Uint8Array | undefined {
    const pending = this.writer.read(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.db.getSync(key);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = new Array(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const pending = this.writer.read(keys[i]!);
      if (pending === undefined) missing.push(i);
      else out[i] = pending ?? undefined;
    }
    if (missing.length > 0) {
      const values = await this.db.getMany(missing.map((i) => keys[i]!));
      missing.forEach((i, j) => (out[i] = values[j]));
    }
    return out;
  }

  /** See GroupCommitWriter.write. */
  write(request: CommitRequest<M>, onSettled?: (ok: boolean) => void): Promise<void> {
    return this.writer.write(request, onSettled);
  }

  /**
   * Visits committed entries of a range in key order, in chunks (a LevelDB snapshot per call; pending writes are
   * not seen). Return false from visit to stop.
   */
  async scan(range: KeyRange, visit: (key: string, value: Uint8Array) => boolean | void): Promise<void> {
    const it = this.db.iterator({ ...range, highWaterMarkBytes: 256 * 1024 });
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_CHUNK);
        if (entries.length === 0) return;
        for (const [key, value] of entries) if (visit(key, value) === false) return;
      }
    } finally {
      await it.close();
    }
  }

  /**
   * Like scan, for values that are counts (encodeCount's varints, such as postings), visited as numbers. Values are
   * read as UTF-8 strings, which classic-level makes natively: a count below 128 is one ASCII character, where a
   * Buffer per value would be an allocation each. The rare larger count (its bytes are not ASCII) is read again
   * as bytes, before its chunk is visited, so the visit order is the key order still. A key deleted in between is
   * skipped.
   */
  async scanCounts(range: KeyRange, visit: (key: string, count: number) => boolean | void): Promise<void> {
    const it = this.db.iterator<string, string>({ ...range, valueEncoding: 'utf8', highWaterMarkBytes: 256 * 1024 });
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_CHUNK);
        if (entries.length === 0) return;
        const counts = new Array<number>(entries.length);
        let exact: number[] | undefined;
        for (let i = 0; i < entries.length; i++) {
          const v = entries[i]![1];
          const c = v.length === 1 ? v.charCodeAt(0) : 0x80;
          if (c < 0x80) counts[i] = c;
          else (exact ??= []).push(i);
        }
        if (exact) {
          const bytes = await this.db.getMany(exact.map((i) => entries[i]![0]));
          exact.forEach((i, j) => (counts[i] = bytes[j] ? decodeCount(bytes[j]!) : -1));
        }
        for (let i = 0; i < entries.length; i++) {
          if (counts[i]! < 0) continue;
          if (visit(entries[i]![0], counts[i]!) === false) return;
        }
      }
    } finally {
      await it.close();
    }
  }

  /** Like scan, keys only. */
  async scanKeys(range: KeyRange, visit: (key: string) => boolean | void): Promise<void> {
    const it = this.db.keys({ ...range, highWaterMarkBytes: 256 * 1024 });
    try {
      for (;;) {
        const keys = await it.nextv(SCAN_CHUNK);
        if (keys.length === 0) return;
        for (const key of keys) if (visit(key) === false) return;
      }
    } finally {
      await it.close();
    }
  }

  /** Bytes of every file of the store on disk (tables, write-ahead log, manifest): what the store really takes. */
  async diskBytes(): Promise<number> {
    const entries = await readdir(this.db.location, { withFileTypes: true });
    const sizes = await Promise.all(
      entries.filter((e) => e.isFile()).map((e) => stat(join(this.db.location, e.name)).then((s) => s.size, () => 0)),
    );
    return sizes.reduce((a, b) => a + b, 0);
  }

  compactRange(start: string, end: string): Promise<void> {
    return this.db.compactRange(start, end);
  }

  /** Waits for pending writes, then closes LevelDB. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.db.close();
  }
}
