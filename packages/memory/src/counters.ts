import type { NewPostings } from './postings.js';
import {
  subjectCountersCodec,
  subjectCountersKey,
  tenantCountersCodec,
  tenantCountersKey,
  tenantCountersPrefix,
  prefixRange,
  tenantOfCountersKey,
  type BatchContributor,
  type BatchOp,
  type Store,
} from '@engram/storage';

/** A change to the counters of one subject (and so of its tenant). */
export interface CounterDelta {
  tenant: string;
  subject: string;
  memories: number;
  length: number;
  /** Memories added (+) or removed (−) per layer number. */
  layers: [number, number][];
  /** The subject's counters key, when the writer has it (Hold.key): saves building it again per batch. */
  key?: string;
}

/** What a queued write carries for the counter book. */
export interface WriteMeta {
  deltas: CounterDelta[];
  holds: Hold[];
  /** A new memory's postings: journalled with the batch, and added to the posting index when it commits. */
  postings?: NewPostings;
}

export interface SubjectCounts {
  memories: number;
  totalLength: number;
}

export interface TenantCounts {
  memories: number;
  subjects: number;
  totalLength: number;
  layers: Map<number, number>;
}

interface SubjectEntry {
  counts: SubjectCounts;
  pins: number;
}

/** Keeps a subject's counters in memory from before a write is queued until its batch has settled. */
export class Hold {
  private released = false;
  constructor(
    /** The subject's counters key. */
    readonly key: string,
    private readonly entry: SubjectEntry,
    private readonly onRelease: () => void,
  ) {
    entry.pins += 1;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    this.entry.pins -= 1;
    this.onRelease();
  }
}

/**
 * Counters (memories, total length, per-layer counts) per subject and per tenant, authoritative in memory and
 * written into each group-commit batch at the moment it is formed. Writes carry deltas instead of values, so
 * batches that commit in priority order still leave the stored counters equal to the sum of what committed.
 * Subject entries are kept while any write holds them and otherwise evicted least recently used first.
 */
export class CounterBook implements BatchContributor<WriteMeta> {
  private readonly subjects = new Map<string, SubjectEntry>();
  private readonly tenants = new Map<string, TenantCounts>();
  /** Metas whose deltas are applied and not yet settled. */
  private readonly applied = new WeakSet<WriteMeta>();
  private store!: Store<WriteMeta>;
  /** What a released hold calls (one function for all holds). */
  private readonly trimOnRelease = () => this.trim();

  constructor(private readonly maxSubjects = 200_000) {}

  /** Loads every tenant's counters; called once the store is open. */
  async attach(store: Store<WriteMeta>): Promise<void> {
    this.store = store;
    await store.scan(prefixRange(tenantCountersPrefix()), (key, value) => {
      const c = tenantCountersCodec.decode(value);
      this.tenants.set(tenantOfCountersKey(key), {
        memories: c.memories,
        subjects: c.subjects,
        totalLength: c.totalLength,
        layers: new Map(Object.entries(c.layers).map(([layer, n]) => [Number(layer), n])),
      });
    });
  }

  private entry(key: string): SubjectEntry {
    const cached = this.subjects.get(key);
    if (cached) {
      this.subjects.delete(key);
      this.subjects.set(key, cached);
      return cached;
    }
    // Not held by any write, so the stored value is current (counters are not in the write overlay).
    const bytes = this.store.db.getSync(key);
    const c = bytes ? subjectCountersCodec.decode(bytes) : undefined;
    const loaded = { counts: { memories: c?.memories ?? 0, totalLength: c?.totalLength ?? 0 }, pins: 0 };
    this.subjects.set(key, loaded);
    return loaded;
  }

  /** Pins a subject's counters for a write about to be queued; release it if the write is not queued. */
  hold(tenant: string, subject: string): Hold {
    const key = subjectCountersKey(tenant, subject);
    return new Hold(key, this.entry(key), this.trimOnRelease);
  }

  /** A subject's counters (a copy). */
  subject(tenant: string, subject: string): SubjectCounts {
    return { ...this.entry(subjectCountersKey(tenant, subject)).counts };
  }

  tenant(tenant: string): TenantCounts {
    return this.tenants.get(tenant) ?? { memories: 0, subjects: 0, totalLength: 0, layers: new Map() };
  }

  allTenants(): ReadonlyMap<string, TenantCounts> {
    return this.tenants;
  }

  private apply(d: CounterDelta, sign: 1 | -1, key = d.key ?? subjectCountersKey(d.tenant, d.subject)): SubjectEntry {
    const e = this.subjects.get(key);
    if (!e) throw new Error(`counters of ${key} are not held`);
    let t = this.tenants.get(d.tenant);
    if (!t) {
      t = { memories: 0, subjects: 0, totalLength: 0, layers: new Map() };
      this.tenants.set(d.tenant, t);
    }
    const before = e.counts.memories;
    e.counts.memories += sign * d.memories;
    e.counts.totalLength += sign * d.length;
    t.memories += sign * d.memories;
    t.totalLength += sign * d.length;
    for (const [layer, n] of d.layers) t.layers.set(layer, (t.layers.get(layer) ?? 0) + sign * n);
    if (before === 0 && e.counts.memories > 0) t.subjects += 1;
    if (before > 0 && e.counts.memories === 0) t.subjects -= 1;
    return e;
  }

  contribute(metas: readonly WriteMeta[]): BatchOp[] {
    // Check before changing anything, so a failure leaves the counters as they were.
    const keys: string[] = [];
    for (const meta of metas) {
      for (const d of meta.deltas) {
        const key = d.key ?? subjectCountersKey(d.tenant, d.subject);
        if (!this.subjects.has(key)) throw new Error(`counters of ${d.tenant}/${d.subject} are not held`);
        keys.push(key);
      }
    }
    const subjects = new Map<string, SubjectEntry>();
    const tenants = new Set<string>();
    let k = 0;
    for (const meta of metas) {
      for (const d of meta.deltas) {
        const key = keys[k++]!;
        subjects.set(key, this.apply(d, 1, key));
        tenants.add(d.tenant);
      }
      this.applied.add(meta);
    }
    const ops: BatchOp[] = [];
    for (const [key, e] of subjects) {
      ops.push(
        e.counts.memories === 0
          ? { type: 'del', key }
          : { type: 'put', key, value: subjectCountersCodec.encode({ memories: e.counts.memories, totalLength: e.counts.totalLength }) },
      );
    }
    for (const tenant of tenants) {
      const t = this.tenants.get(tenant)!;
      ops.push({
        type: 'put',
        key: tenantCountersKey(tenant),
        value: tenantCountersCodec.encode({
          memories: t.memories,
          subjects: t.subjects,
          totalLength: t.totalLength,
          layers: Object.fromEntries([...t.layers].filter(([, n]) => n !== 0)),
        }),
      });
    }
    return ops;
  }

  /** Undoes the deltas of a batch that failed (only those applied: contribute may have refused them), releases holds. */
  settled(metas: readonly WriteMeta[], ok: boolean): void {
    for (let i = metas.length - 1; i >= 0; i--) {
      const meta = metas[i]!;
      if (!ok && this.applied.has(meta)) for (const d of meta.deltas) this.apply(d, -1);
      this.applied.delete(meta);
    }
    for (const meta of metas) for (const h of meta.holds) h.release();
  }

  private trim(): void {
    if (this.subjects.size <= this.maxSubjects) return;
    const target = Math.floor(this.maxSubjects * 0.9);
    for (const [key, e] of this.subjects) {
      if (this.subjects.size <= target) return;
      if (e.pins === 0) this.subjects.delete(key);
    }
  }
}
