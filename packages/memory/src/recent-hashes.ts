import { hashEntryCodec, hashPrefix, prefixRange, type Store } from '@engram/storage';

/** Entries a generation is sized for at least. */
const MIN_CAPACITY = 4096;
/** Filter bits per entry and probes per key: about 1 % false positives at capacity. */
const BITS_PER_ENTRY = 10;
const PROBES = 7;
/**
 * Generations kept at most, whatever the clock does (dropping one only makes the filter answer less often). A full
 * generation's successor is twice its size, so 32 cover any write rate within a window: with 8, about a million
 * writes in one window (a bulk import) dropped a generation of the window and the filter said "maybe" to everything
 * until the window had passed.
 */
const MAX_GENERATIONS = 32;

/** One Bloom filter, for the entries noted during part of the window. */
interface Generation {
  bits: Uint32Array;
  /** Bit index mask (the filter has a power-of-two number of bits). */
  mask: number;
  capacity: number;
  count: number;
  startedAtMs: number;
  /** The latest ingestion time noted in it. */
  maxIngestedAtMs: number;
}

/**
 * The duplicate-detection entries (content-hash keys) written lately, as Bloom filters: an insert whose content
 * was not seen within the dedup window skips reading its hash entry, a synchronous LevelDB get on the event loop.
 *
 * Exact, not approximate: mayHave() answers false only when no entry of the key can have an ingestion time at or
 * after `sinceMs`. It holds every entry noted with an ingestion time at or after coveredFrom: entries written
 * through note(), and, once load() has read the store, those written before this process. Until then coveredFrom
 * is +Infinity and every key may be present (the caller reads the store, as without the filter). Generations
 * start every half window (or when full, twice the size) and go once everything in them is older than the
 * window; dropping one raises coveredFrom past its latest ingestion time, so a clock that jumps cannot make a
 * dropped entry look absent.
 */
export class RecentHashes {
  private generations: Generation[] = [];
  private coveredFrom = Number.POSITIVE_INFINITY;
  /** Just past the latest ingestion time of any dropped generation (entries from then on are all kept). */
  private droppedUpTo = Number.NEGATIVE_INFINITY;
  /** The hashes of the last key asked about: an insert asks mayHave, then notes the same key. */
  private lastKey = '';
  private lastH1 = hash1('');
  private lastH2 = hash2('');

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.generations.push(generation(MIN_CAPACITY, now()));
  }

  /** Notes a hash entry written (or queued) with this ingestion time. */
  note(key: string, ingestedAtMs: number): void {
    let current = this.generations[this.generations.length - 1]!;
    const now = this.now();
    if (current.count >= current.capacity || now - current.startedAtMs >= this.windowMs / 2) current = this.rotate(current, now);
    this.hash(key);
    const { lastH1: h1, lastH2: h2 } = this;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) & current.mask;
      current.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    current.count += 1;
    if (ingestedAtMs > current.maxIngestedAtMs) current.maxIngestedAtMs = ingestedAtMs;
  }

  /** False only if no entry of key ingested at or after sinceMs exists (or is queued). */
  mayHave(key: string, sinceMs: number): boolean {
    if (sinceMs < this.coveredFrom) return true;
    this.hash(key);
    const { lastH1: h1, lastH2: h2 } = this;
    for (const g of this.generations) {
      if (g.maxIngestedAtMs < sinceMs) continue;
      let all = true;
      for (let i = 0; i < PROBES && all; i++) {
        const bit = (h1 + i * h2) & g.mask;
        all = (g.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
      }
      if (all) return true;
    }
    return false;
  }

  /**
   * Notes the entries already in the store that are within the window now; then the filter can answer. Runs in
   * the background (a scan of the hash entries); entries written meanwhile are noted by their writes. If the
   * scan fails (the store closing), the filter keeps answering "maybe".
   */
  async load(store: Store<unknown>): Promise<void> {
    const cutoff = this.now() - this.windowMs;
    try {
      await store.scan(prefixRange(hashPrefix()), (key, value) => {
        const { ingestedAtMs } = hashEntryCodec.decode(value);
        if (ingestedAtMs >= cutoff) this.note(key, ingestedAtMs);
      });
    } catch {
      return;
    }
    this.coveredFrom = Math.max(cutoff, this.droppedUpTo);
  }

  private hash(key: string): void {
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.lastH1 = hash1(key);
    this.lastH2 = hash2(key);
  }

  private rotate(current: Generation, now: number): Generation {
    const capacity = current.count >= current.capacity ? current.capacity * 2 : Math.max(MIN_CAPACITY, current.count);
    const next = generation(capacity, now);
    this.generations.push(next);
    const cutoff = now - this.windowMs;
    while (this.generations.length > 1 && (this.generations[0]!.maxIngestedAtMs < cutoff || this.generations.length > MAX_GENERATIONS)) {
      this.drop(this.generations.shift()!);
    }
    return next;
  }

  private drop(g: Generation): void {
    this.droppedUpTo = Math.max(this.droppedUpTo, g.maxIngestedAtMs + 1);
    if (this.coveredFrom !== Number.POSITIVE_INFINITY) this.coveredFrom = Math.max(this.coveredFrom, this.droppedUpTo);
  }
}

function generation(capacity: number, startedAtMs: number): Generation {
  const bits = Math.max(1024, 2 ** Math.ceil(Math.log2(capacity * BITS_PER_ENTRY)));
  return { bits: new Uint32Array(bits / 32), mask: bits - 1, capacity, count: 0, startedAtMs, maxIngestedAtMs: Number.NEGATIVE_INFINITY };
}

/** FNV-1a over the key's UTF-16 code units. */
function hash1(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A second hash (multiply and xor-shift), odd so that the probes of a key all differ. */
function hash2(key: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return (h | 1) >>> 0;
}
