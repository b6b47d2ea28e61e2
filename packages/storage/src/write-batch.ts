import type { ClassicLevel } from 'classic-level';
import type { BatchPuts } from './group-commit.js';

/** The implementation side of classic-level's chained batch (abstract-level's private API), which we call directly. */
interface NativeChainedBatch {
  _put(key: string, value: Uint8Array): void;
  _del(key: string): void;
  _write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A LevelDB write batch filled through classic-level's own put and del, which hand a string key and a byte value
 * to the native batch as they are. abstract-level's public put validates, transcodes and builds an options object
 * per op, for features the store does not use (hooks, write events, sublevels, per-op encodings): that was a fifth
 * of a put's main-thread cost, ~15 puts per memory. The bytes written are the same, as long as the database keeps
 * its utf8 keys and view values (checked once, by checkEncodings).
 */
export class WriteBatch implements BatchPuts {
  private readonly native: NativeChainedBatch;
  private ops = 0;
  private written = false;

  constructor(db: ClassicLevel<string, Uint8Array>) {
    this.native = db.batch() as unknown as NativeChainedBatch;
  }

  get length(): number {
    return this.ops;
  }

  put(key: string, value: Uint8Array): void {
    this.native._put(key, value);
    this.ops += 1;
  }

  del(key: string): void {
    this.native._del(key);
    this.ops += 1;
  }

  /** Writes the batch (fsync'd if sync) and releases it, also when the write fails. */
  async write(sync: boolean): Promise<void> {
    if (this.written) throw new Error('WriteBatch: written already');
    this.written = true;
    try {
      if (this.ops > 0) await this.native._write({ sync });
    } finally {
      await this.native.close();
    }
  }

  /**
   * Throws unless keys are utf8 and values views, which classic-level passes to LevelDB untransformed: the only
   * encodings under which skipping abstract-level's transcoding writes the same bytes.
   */
  static checkEncodings(db: ClassicLevel<string, Uint8Array>): void {
    const keys = db.keyEncoding().format;
    const values = db.valueEncoding().format;
    if (keys !== 'utf8' || values !== 'view') throw new Error(`WriteBatch needs utf8 keys and view values, the database has ${keys} and ${values}`);
  }
}
