import {
  decodeCount,
  encodeCount,
  indexJournalKey,
  indexJournalPrefix,
  indexStateKey,
  memoryKey,
  postingBlockCodec,
  postingBlockKey,
  postingBlockPrefix,
  postingKey,
  postingPrefix,
  postingSpacePrefix,
  prefixRange,
  segmentOfBlockKey,
  segmentOfJournalKey,
  stringListCodec,
  subjectOfBlockKey,
  tenantOfMemoryKey,
  type BatchOp,
  type BatchPuts,
  type IndexEntries,
  type Store,
  type StoredMemory,
} from '@engram/storage';
import type { TermFrequency } from '@engram/cognition';
import type { Logger } from '@engram/telemetry';

/** A new memory's postings, carried by its write (WriteMeta.postings) until it commits. */
export interface NewPostings {
  segment: number;
  tenant: string;
  subject: string;
  id: string;
  terms: readonly TermFrequency[];
}

export interface PostingIndexOptions {
  /** Postings after which the open segment is sealed and flushed. */
  segmentPostings: number;
  /** Age after which an open segment with postings is sealed and flushed. */
  segmentMaxAgeMs: number;
  /** Priority of a segment's flush in the group-commit queue. */
  flushPriority: number;
}

/**
 * A segment whose postings are in memory: open (taking new memories), sealed (waiting to flush) or flushing. Its
 * memories are kept as their writes carried them, in commit order; grouping by term happens once, at the flush.
 */
class Segment {
  readonly memories: NewPostings[] = [];
  postings = 0;
  /** Writes carrying postings of this segment that are queued and not yet settled. */
  inFlight = 0;
  /** Journal entries of this segment (deleted when its blocks are written). */
  readonly journal: string[] = [];
  sealed = false;
  /** Whether its flush is queued (until it commits or fails). */
  flushing = false;
  private flushedWaiters: (() => void)[] = [];
  private settledWaiters: (() => void)[] = [];

  constructor(
    readonly id: number,
    readonly openedAtMs: number,
  ) {}

  add(p: NewPostings): void {
    this.memories.push(p);
    this.postings += p.terms.length;
  }

  /** Resolves once its blocks are written (its flush committed). */
  whenFlushed(): Promise<void> {
    return new Promise((resolve) => this.flushedWaiters.push(resolve));
  }

  /** Resolves when its next flush settles, committed or not. */
  whenFlushSettled(): Promise<void> {
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  flushSettled(ok: boolean): void {
    this.flushing = false;
    if (ok) for (const wake of this.flushedWaiters.splice(0)) wake();
    for (const wake of this.settledWaiters.splice(0)) wake();
  }
}

/** Records read at a time when a restart rebuilds a segment from its journal. */
const RECOVERY_PAGE = 1024;

/** A posting of a segment in memory matched by a scan: the memory and the term's frequency in it. */
type Match = [memory: NewPostings, tf: number];

/**
 * The term index of a shard's memories, written in segments instead of a key per posting.
 *
 * A new memory's postings go to the open segment in memory when its write commits; its record names the segment,
 * and the write also puts a journal entry (one per batch: the keys of the memories it wrote), so that a restart
 * rebuilds what was not flushed from the records. A segment is sealed when it holds segmentPostings postings or is
 * segmentMaxAgeMs old, and once its last write has settled it is flushed: a block per term and subject
 * (`b ␀ tenant ␀ term ␀ subject ␀ segment`, ids with term frequencies), in writes of PART_BLOCKS blocks, the last
 * with the deletion of its journal entries and the last segment number written. Until that write has committed the
 * segment is read from memory and its blocks are skipped; scans capture which segments those are when they open their LevelDB snapshot, so every posting is read
 * exactly once. Deleting a memory rewrites its blocks, once they are written (a deletion of a memory whose segment
 * is in memory seals it and waits for its flush); stores written before segments keep their one-key postings (`p`),
 * read and deleted as before.
 */
export class PostingIndex {
  private store!: Store<unknown>;
  private readonly buffered = new Map<number, Segment>();
  private open!: Segment;
  private lastSegment = 0;
  /** Highest segment number whose flush was queued (written as the index state with every flush). */
  private lastFlushed = 0;
  private journalSeq = 0;
  /** Whether the store holds one-key postings (space `p`) from before segments. */
  private legacy = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Segment flushes queued (retries included). */
  flushes = 0;

  constructor(
    private readonly options: PostingIndexOptions,
    private readonly clock: () => number,
    private readonly logger?: Logger,
  ) {}

  /**
   * Opens the index on a store: reads the last segment number, rebuilds unflushed segments from their journal
   * entries and records (and queues their flush), and opens a new segment.
   */
  async attach(store: Store<unknown>, readRecords: (keys: string[]) => Promise<(StoredMemory | undefined)[]>): Promise<void> {
    this.store = store;
    const state = await store.get(indexStateKey());
    this.lastSegment = state ? decodeCount(state) : 0;
    this.lastFlushed = this.lastSegment;
    await store.scanKeys({ ...prefixRange(postingSpacePrefix()), limit: 1 }, () => {
      this.legacy = true;
      return false;
    });
    const journals = new Map<number, { keys: string[]; memories: string[] }>();
    await store.scan(prefixRange(indexJournalPrefix()), (key, value) => {
      const segment = segmentOfJournalKey(key);
      let j = journals.get(segment);
      if (!j) journals.set(segment, (j = { keys: [], memories: [] }));
      j.keys.push(key);
      for (const m of stringListCodec.decode(value)) j.memories.push(m);
    });
    for (const [id, j] of [...journals].sort((a, b) => a[0] - b[0])) {
      const segment = new Segment(id, this.clock());
      segment.journal.push(...j.keys);
      // Read a page of records at a time: a segment of small memories can name tens of thousands.
      for (let from = 0; from < j.memories.length; from += RECOVERY_PAGE) {
        const keys = j.memories.slice(from, from + RECOVERY_PAGE);
        const records = await readRecords(keys);
        records.forEach((r, i) => {
          if (!r || r.indexSegment !== id) return;
          segment.add({ segment: id, tenant: tenantOfMemoryKey(keys[i]!), subject: r.subject, id: r.id, terms: r.terms });
        });
      }
      segment.sealed = true;
      this.buffered.set(id, segment);
      this.lastSegment = Math.max(this.lastSegment, id);
    }
    if (journals.size > 0) this.logger?.info({ segments: journals.size }, 'posting segments rebuilt from the journal');
    this.openNext();
    for (const s of this.buffered.values()) if (s.sealed) this.flushIfReady(s);
  }

  /** Seals open segments by age (from a timer, at most every second). */
  start(): void {
    this.timer = setInterval(() => this.tick(), Math.min(1000, Math.max(10, this.options.segmentMaxAgeMs))).unref();
  }

  /**
   * Seals the open segment and waits until every segment in memory is written as blocks (or its flush failed), so
   * that a restart has nothing to rebuild. Call before closing the store, once no new memory is written.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.open.postings > 0 || this.open.inFlight > 0) this.seal();
    const sealed = [...this.buffered.values()].filter((s) => s.sealed);
    const done = sealed.map((s) => s.whenFlushSettled());
    // A flush that failed is retried now rather than by the timer.
    for (const s of sealed) if (!s.flushing) this.flushIfReady(s);
    await Promise.all(done);
    this.closed = true;
  }

  /** Seals the open segment if it is old enough, and retries flushes that failed. */
  tick(): void {
    if (this.open.postings > 0 && this.clock() - this.open.openedAtMs >= this.options.segmentMaxAgeMs) this.seal();
    for (const s of this.buffered.values()) if (s.sealed && !s.flushing) this.flushIfReady(s);
  }

  /** Postings in memory (open, sealed and flushing segments). */
  get bufferedPostings(): number {
    let n = 0;
    for (const s of this.buffered.values()) n += s.postings;
    return n;
  }

  /** The segment new memories' postings join now. */
  get openSegment(): number {
    return this.open.id;
  }

  /**
   * Counts a write queued with new postings of the open segment (whose number its record holds), so that the
   * segment is not flushed before it settles; settled() must follow, whether or not it commits.
   */
  begin(segment: number): void {
    if (segment !== this.open.id) throw new Error(`posting segment ${segment} is not open`);
    this.open.inFlight += 1;
  }

  /** The journal entry of a batch forming (its writes' new postings), as an op; none if it has none. */
  journalOps(postings: readonly NewPostings[]): BatchOp[] {
    if (postings.length === 0) return [];
    const bySegment = new Map<number, string[]>();
    for (const p of postings) {
      let keys = bySegment.get(p.segment);
      if (!keys) bySegment.set(p.segment, (keys = []));
      keys.push(memoryKey(p.tenant, p.subject, p.id));
    }
    const ops: BatchOp[] = [];
    for (const [segment, keys] of bySegment) {
      const key = indexJournalKey(segment, ++this.journalSeq);
      ops.push({ type: 'put', key, value: stringListCodec.encode(keys) });
      // Known written only when the batch commits; a journal key that is deleted without having been written is
      // harmless, so it is listed now.
      this.buffered.get(segment)?.journal.push(key);
    }
    return ops;
  }

  /** A write that carried new postings has settled: they join their segment if it committed. */
  settled(postings: NewPostings, ok: boolean): void {
    const segment = this.buffered.get(postings.segment);
    // Cannot happen: a segment is flushed only once all its writes have settled.
    if (!segment) return this.logger?.error({ segment: postings.segment }, 'postings of a flushed segment');
    segment.inFlight -= 1;
    if (ok) segment.add(postings);
    if (segment === this.open) {
      if (segment.postings >= this.options.segmentPostings) this.seal();
    } else if (segment.sealed) this.flushIfReady(segment);
  }

  private openNext(): void {
    this.lastSegment += 1;
    this.open = new Segment(this.lastSegment, this.clock());
    this.buffered.set(this.open.id, this.open);
  }

  /** Seals the open segment (a new one takes new memories) and flushes it once its writes have settled. */
  private seal(): void {
    const segment = this.open;
    segment.sealed = true;
    this.openNext();
    this.flushIfReady(segment);
  }

  private flushIfReady(segment: Segment): void {
    if (!segment.sealed || segment.flushing || segment.inFlight > 0 || this.closed) return;
    segment.flushing = true;
    this.flushes += 1;
    // Grouped into blocks in a turn of its own: flushIfReady runs where a write settles, before its callers resume,
    // and grouping a segment takes milliseconds.
    setImmediate(() => this.writePart(segment, blocksOf(segment), 0));
  }

  /**
   * Writes part k of a segment's blocks; the last part also deletes the segment's journal entries and records it as
   * written. One part per write keeps each group commit small: the parts go one after another, and a segment stays
   * read from memory (its blocks skipped) until the last has committed, so a part written alone is never read. A
   * failure leaves the journal and the segment in memory; the timer writes it again from the first part.
   */
  private writePart(segment: Segment, parts: BlockEntries[], k: number): void {
    const last = k >= parts.length - 1;
    const ops: BatchOp[] = [];
    if (last) {
      for (const key of segment.journal) ops.push({ type: 'del', key });
      this.lastFlushed = Math.max(this.lastFlushed, segment.id);
      ops.push({ type: 'put', key: indexStateKey(), value: encodeCount(this.lastFlushed) });
    }
    // The blocks are index entries: scans read the segment from memory until the last part commits, and a deletion
    // of one of its memories waits for that before it rewrites a block.
    this.store
      .write({ ops, indexOps: parts[k], priority: this.options.flushPriority }, (ok) => {
        if (ok && !last) return this.writePart(segment, parts, k + 1);
        if (ok) this.buffered.delete(segment.id);
        segment.flushSettled(ok);
      })
      .catch((err: unknown) => this.logger?.warn({ err, segment: segment.id }, 'posting segment flush failed; retrying'));
  }

  /**
   * Visits the postings of a term in one subject (subject given) or across a tenant: one-key postings, then blocks
   * in key order (subject, segment), then segments in memory. Postings of memories deleted meanwhile may be
   * visited; their records are gone.
   */
  async scan(tenant: string, term: string, subject: string | undefined, visit: (subject: string, id: string, tf: number) => void): Promise<void> {
    if (this.legacy) {
      const prefix = postingPrefix(tenant, term, subject);
      const termPrefixLength = postingPrefix(tenant, term).length;
      await this.store.scanCounts(prefixRange(prefix), (key, tf) => {
        const ref = key.slice(termPrefixLength);
        const cut = ref.indexOf('\x00');
        visit(ref.slice(0, cut), ref.slice(cut + 1), tf);
      });
    }
    // The segments in memory now are read from memory, and their blocks (if their flush committed since) skipped:
    // which they are is decided in the same turn as the scan's snapshot is taken.
    const matches = this.matches(tenant, term, subject);
    const buffered = new Set(this.buffered.keys());
    const prefix = postingBlockPrefix(tenant, term, subject);
    const termPrefixLength = postingBlockPrefix(tenant, term).length;
    await this.store.scan(prefixRange(prefix), (key, value) => {
      if (buffered.has(segmentOfBlockKey(key))) return;
      const s = subject ?? subjectOfBlockKey(key, termPrefixLength);
      postingBlockCodec.decode(value, (id, tf) => visit(s, id, tf));
    });
    for (const [m, tf] of matches) visit(m.subject, m.id, tf);
  }

  /** The postings of a term in the segments in memory, by subject (as the blocks' keys order them), then segment. */
  private matches(tenant: string, term: string, subject: string | undefined): Match[] {
    const out: Match[] = [];
    for (const segment of this.buffered.values()) {
      for (const m of segment.memories) {
        if (m.tenant !== tenant || (subject !== undefined && m.subject !== subject)) continue;
        for (const t of m.terms) {
          if (t.term !== term) continue;
          out.push([m, t.count]);
          break;
        }
      }
    }
    if (subject === undefined) out.sort(([a], [b]) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.segment - b.segment));
    return out;
  }

  /**
   * Ops that remove the postings of memories of one subject, all deleted by the write the caller queues next, in
   * the same turn as this resolves: their one-key postings, or their blocks rewritten without them (deleted when
   * empty). Waits first for the flush of any of their segments still in memory to commit. The caller holds the
   * subject's lock, which every other writer of its blocks but a flush takes.
   */
  async deletionOps(tenant: string, records: readonly StoredMemory[]): Promise<BatchOp[]> {
    const waits: Promise<void>[] = [];
    for (const r of records) {
      const segment = r.indexSegment ? this.buffered.get(r.indexSegment) : undefined;
      if (!segment) continue;
      if (segment === this.open) this.seal();
      // A flush that fails is retried by the timer until it commits.
      waits.push(segment.whenFlushed());
    }
    if (waits.length > 0) await Promise.all(waits);
    return this.deletionOpsNow(tenant, records);
  }

  private deletionOpsNow(tenant: string, records: readonly StoredMemory[]): BatchOp[] {
    const ops: BatchOp[] = [];
    /** Block key → ids to remove. */
    const edits = new Map<string, Set<string>>();
    for (const r of records) {
      if (!r.indexSegment) {
        for (const t of r.terms) ops.push({ type: 'del', key: postingKey(tenant, t.term, r.subject, r.id) });
        continue;
      }
      for (const t of r.terms) {
        const key = postingBlockKey(tenant, t.term, r.subject, r.indexSegment);
        let ids = edits.get(key);
        if (!ids) edits.set(key, (ids = new Set()));
        ids.add(r.id);
      }
    }
    for (const [key, ids] of edits) {
      const bytes = this.store.peek(key);
      if (!bytes) continue;
      const keep: string[] = [];
      const tf: number[] = [];
      postingBlockCodec.decode(bytes, (id, count) => {
        if (ids.has(id)) return;
        keep.push(id);
        tf.push(count);
      });
      ops.push(keep.length === 0 ? { type: 'del', key } : { type: 'put', key, value: postingBlockCodec.encode(keep, tf) });
    }
    return ops;
  }
}

/**
 * A segment's postings as blocks (one per tenant, term and subject: ids in order with their term frequencies).
 * Each id is encoded to UTF-8 once, however many blocks it is in.
 */
function blocksOf(segment: Segment): BlockEntries[] {
  const memories = segment.memories;
  const idBytes: Buffer[] = new Array(memories.length);
  /** `tenant ␀ subject` → term → [memory index, tf, memory index, tf, …]. */
  const groups = new Map<string, Map<string, number[]>>();
  for (let index = 0; index < memories.length; index++) {
    const m = memories[index]!;
    idBytes[index] = Buffer.from(m.id);
    const groupKey = `${m.tenant}\x00${m.subject}`;
    let terms = groups.get(groupKey);
    if (!terms) groups.set(groupKey, (terms = new Map()));
    for (const t of m.terms) {
      const list = terms.get(t.term);
      if (list) list.push(index, t.count);
      else terms.set(t.term, [index, t.count]);
    }
  }
  const parts: BlockEntries[] = [];
  let part: Block[] = [];
  for (const [groupKey, terms] of groups) {
    const cut = groupKey.indexOf('\x00');
    const tenant = groupKey.slice(0, cut);
    const subject = groupKey.slice(cut + 1);
    for (const [term, list] of terms) {
      part.push({ tenant, subject, term, list });
      if (part.length === PART_BLOCKS) {
        parts.push(new BlockEntries(segment.id, part, memories, idBytes));
        part = [];
      }
    }
  }
  if (part.length > 0 || parts.length === 0) parts.push(new BlockEntries(segment.id, part, memories, idBytes));
  return parts;
}

/** Blocks per write of a segment's flush (see writePart). */
const PART_BLOCKS = 512;

/** One block of a flush: a term's postings in one subject, as [memory index, tf] pairs. */
interface Block {
  tenant: string;
  subject: string;
  term: string;
  list: number[];
}

/** A part of a flush's blocks, described: encoded when its batch forms (IndexEntries). */
class BlockEntries implements IndexEntries {
  readonly bytes: number;

  constructor(
    private readonly segment: number,
    private readonly blocks: Block[],
    private readonly memories: readonly NewPostings[],
    private readonly idBytes: Buffer[],
  ) {
    let bytes = 0;
    for (const b of blocks) {
      bytes += b.tenant.length + b.subject.length + b.term.length + 21;
      for (let i = 0; i < b.list.length; i += 2) bytes += idBytes[b.list[i]!]!.length + 2;
    }
    this.bytes = bytes;
  }

  putInto(batch: BatchPuts): number {
    for (const b of this.blocks) batch.put(postingBlockKey(b.tenant, b.term, b.subject, this.segment), this.encode(b.list));
    return this.blocks.length;
  }

  /** A block of [memory index, tf] pairs, in id order. */
  private encode(list: number[]): Uint8Array {
    const pairs = list.length / 2;
    let order: number[] | undefined;
    for (let k = 1; k < pairs; k++) {
      if (this.memories[list[2 * k - 2]!]!.id > this.memories[list[2 * k]!]!.id) {
        order = Array.from({ length: pairs }, (_, i) => i).sort((a, b) => {
          const x = this.memories[list[2 * a]!]!.id;
          const y = this.memories[list[2 * b]!]!.id;
          return x < y ? -1 : x > y ? 1 : 0;
        });
        break;
      }
    }
    const ids: Buffer[] = new Array(pairs);
    const tf: number[] = new Array(pairs);
    for (let k = 0; k < pairs; k++) {
      const i = order ? order[k]! : k;
      ids[k] = this.idBytes[list[2 * i]!]!;
      tf[k] = list[2 * i + 1]!;
    }
    return postingBlockCodec.encodeBytes(ids, tf);
  }
}
