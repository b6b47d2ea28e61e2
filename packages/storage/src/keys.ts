/**
 * Key layout of a shard's LevelDB store. Every key starts with a one-letter space and carries the tenant, and
 * every per-memory key the subject too; components are joined by NUL, which no component may contain (tenants,
 * subjects, ids and terms are validated). Timestamps in keys are zero-padded decimal so that byte order is time
 * order.
 *
 *   m ␀ tenant ␀ subject ␀ id              → MemoryRecord                     one subject's memories, id (ULID) order
 *   a ␀ tenant ␀ subject ␀ id              → AccessRecord                     accesses not folded into the record yet
 *   p ␀ tenant ␀ term ␀ subject ␀ id       → term frequency (varint)           postings, one per key (stores written before segments)
 *   b ␀ tenant ␀ term ␀ subject ␀ segment  → posting block                    postings of a segment: a term across a tenant or one subject
 *   j ␀ segment ␀ seq                      → journal entry                    memory keys whose postings are not in blocks yet
 *   i                                      → IndexState                       the last posting segment written
 *   h ␀ tenant ␀ subject ␀ content-hash    → HashEntry                        duplicate detection
 *   x ␀ expires-ms ␀ tenant ␀ subject ␀ id → ''                               retention: what expires when
 *   z ␀ tenant ␀ subject ␀ id              → Tombstone                        forgotten ids
 *   y ␀ purge-ms ␀ tenant ␀ subject ␀ id   → ''                               when a tombstone may go
 *   s ␀ tenant ␀ subject                   → SubjectCounters
 *   n ␀ tenant                             → TenantCounters
 *   q ␀ tenant ␀ subject ␀ pattern-id      → engram.v1.Pattern                 mined patterns of a subject
 *   w ␀ tenant ␀ subject ␀ kind ␀ target   → WeightRecord                     learned weights (memory, pattern, item)
 *   d ␀ tenant ␀ subject                   → engram.shard.v1.DreamState       where the subject's last dream left off
 */

const SEP = '\x00';
const TIME_WIDTH = 15;

export const Space = {
  Memory: 'm',
  Access: 'a',
  Posting: 'p',
  PostingBlock: 'b',
  IndexJournal: 'j',
  IndexState: 'i',
  Hash: 'h',
  Expiry: 'x',
  Tombstone: 'z',
  TombstonePurge: 'y',
  SubjectCounters: 's',
  TenantCounters: 'n',
  Pattern: 'q',
  Weight: 'w',
  DreamState: 'd',
} as const;

const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(TIME_WIDTH, '0');

export const memoryKey = (tenant: string, subject: string, id: string) =>
  `${Space.Memory}${SEP}${tenant}${SEP}${subject}${SEP}${id}`;
/** A memory's AccessRecord: the same tenant, subject and id as its memoryKey, in its own key space. */
export const accessKey = (tenant: string, subject: string, id: string) =>
  `${Space.Access}${SEP}${tenant}${SEP}${subject}${SEP}${id}`;
/** The access key of a memory key (same components, the other space). */
export const accessKeyOf = (memoryKey: string) => Space.Access + memoryKey.slice(1);
export const subjectMemoryPrefix = (tenant: string, subject: string) => `${Space.Memory}${SEP}${tenant}${SEP}${subject}${SEP}`;
export const tenantMemoryPrefix = (tenant: string) => `${Space.Memory}${SEP}${tenant}${SEP}`;

export const postingKey = (tenant: string, term: string, subject: string, id: string) =>
  `${Space.Posting}${SEP}${tenant}${SEP}${term}${SEP}${subject}${SEP}${id}`;
/** Every one-key posting (stores written before posting segments have them). */
export const postingSpacePrefix = () => `${Space.Posting}${SEP}`;
/** Postings of a term in one subject, or across the tenant when subject is omitted. */
export const postingPrefix = (tenant: string, term: string, subject?: string) =>
  subject === undefined
    ? `${Space.Posting}${SEP}${tenant}${SEP}${term}${SEP}`
    : `${Space.Posting}${SEP}${tenant}${SEP}${term}${SEP}${subject}${SEP}`;

/**
 * A posting block: the postings of one term in one subject from one segment (ids with their term frequencies, in
 * id order). A segment's blocks are written at once, when it is flushed; deleting a memory rewrites its blocks.
 */
export const postingBlockKey = (tenant: string, term: string, subject: string, segment: number) =>
  `${Space.PostingBlock}${SEP}${tenant}${SEP}${term}${SEP}${subject}${SEP}${pad(segment)}`;
/** Posting blocks of a term in one subject, or across the tenant when subject is omitted. */
export const postingBlockPrefix = (tenant: string, term: string, subject?: string) =>
  subject === undefined
    ? `${Space.PostingBlock}${SEP}${tenant}${SEP}${term}${SEP}`
    : `${Space.PostingBlock}${SEP}${tenant}${SEP}${term}${SEP}${subject}${SEP}`;
/** The segment of a posting block key (its last component). */
export const segmentOfBlockKey = (key: string) => Number(key.slice(key.length - TIME_WIDTH));
/** The subject of a posting block key, given the length of its term's tenant-wide prefix. */
export const subjectOfBlockKey = (key: string, termPrefixLength: number) => key.slice(termPrefixLength, key.length - TIME_WIDTH - 1);

/** A journal entry of a segment that is not flushed yet: the keys of memories written in one batch. */
export const indexJournalKey = (segment: number, seq: number) => `${Space.IndexJournal}${SEP}${pad(segment)}${SEP}${pad(seq)}`;
export const indexJournalPrefix = () => `${Space.IndexJournal}${SEP}`;
/** The segment of a journal key. */
export const segmentOfJournalKey = (key: string) => Number(key.slice(2, 2 + TIME_WIDTH));
export const indexStateKey = () => Space.IndexState;

export const hashKey = (tenant: string, subject: string, hash: string) =>
  `${Space.Hash}${SEP}${tenant}${SEP}${subject}${SEP}${hash}`;
/** Every duplicate-detection entry, of every tenant. */
export const hashPrefix = () => `${Space.Hash}${SEP}`;

export const expiryKey = (expiresAtMs: number, tenant: string, subject: string, id: string) =>
  `${Space.Expiry}${SEP}${pad(expiresAtMs)}${SEP}${tenant}${SEP}${subject}${SEP}${id}`;
export const expiryPrefix = () => `${Space.Expiry}${SEP}`;
/** Upper bound (exclusive) of expiry keys due at or before ms. */
export const expiryDueBound = (ms: number) => `${Space.Expiry}${SEP}${pad(ms + 1)}`;

export const tombstoneKey = (tenant: string, subject: string, id: string) =>
  `${Space.Tombstone}${SEP}${tenant}${SEP}${subject}${SEP}${id}`;
export const tombstonePurgeKey = (purgeAtMs: number, tenant: string, subject: string, id: string) =>
  `${Space.TombstonePurge}${SEP}${pad(purgeAtMs)}${SEP}${tenant}${SEP}${subject}${SEP}${id}`;
export const tombstonePurgePrefix = () => `${Space.TombstonePurge}${SEP}`;
export const tombstonePurgeDueBound = (ms: number) => `${Space.TombstonePurge}${SEP}${pad(ms + 1)}`;

export const subjectCountersKey = (tenant: string, subject: string) => `${Space.SubjectCounters}${SEP}${tenant}${SEP}${subject}`;
export const tenantCountersKey = (tenant: string) => `${Space.TenantCounters}${SEP}${tenant}`;
export const tenantCountersPrefix = () => `${Space.TenantCounters}${SEP}`;

export const patternKey = (tenant: string, subject: string, patternId: string) => `${Space.Pattern}${SEP}${tenant}${SEP}${subject}${SEP}${patternId}`;
export const subjectPatternPrefix = (tenant: string, subject: string) => `${Space.Pattern}${SEP}${tenant}${SEP}${subject}${SEP}`;

export const weightKey = (tenant: string, subject: string, kind: number, target: string) =>
  `${Space.Weight}${SEP}${tenant}${SEP}${subject}${SEP}${kind}${SEP}${target}`;
/** Weights of a subject, of one kind or of every kind. */
export const subjectWeightPrefix = (tenant: string, subject: string, kind?: number) =>
  kind === undefined ? `${Space.Weight}${SEP}${tenant}${SEP}${subject}${SEP}` : `${Space.Weight}${SEP}${tenant}${SEP}${subject}${SEP}${kind}${SEP}`;

export const dreamStateKey = (tenant: string, subject: string) => `${Space.DreamState}${SEP}${tenant}${SEP}${subject}`;

/** The subject of a subject-counters key of the given tenant. */
export const subjectOfCountersKey = (key: string, tenant: string) => key.slice(Space.SubjectCounters.length + tenant.length + 2);
export const tenantSubjectCountersPrefix = (tenant: string) => `${Space.SubjectCounters}${SEP}${tenant}${SEP}`;

/** Kind and target of a weight key. */
export function parseWeightKey(key: string): { kind: number; target: string } {
  const parts = key.split(SEP);
  return { kind: Number(parts[3]), target: parts.slice(4).join(SEP) };
}

/** Exclusive upper bound of every key that starts with prefix: the prefix with its last character incremented. */
export function prefixEnd(prefix: string): string {
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
}

/** Range options for iterating every key under prefix. */
export const prefixRange = (prefix: string) => ({ gte: prefix, lt: prefixEnd(prefix) });

export interface TimedRef {
  atMs: number;
  tenant: string;
  subject: string;
  id: string;
}

/** Parses an expiry or tombstone-purge key. */
export function parseTimedKey(key: string): TimedRef {
  const [, time, tenant, subject, id] = key.split(SEP);
  return { atMs: Number(time), tenant: tenant!, subject: subject!, id: id! };
}

export interface PostingRef {
  tenant: string;
  term: string;
  subject: string;
  id: string;
}

export function parsePostingKey(key: string): PostingRef {
  const [, tenant, term, subject, id] = key.split(SEP);
  return { tenant: tenant!, term: term!, subject: subject!, id: id! };
}

/** The tenant of a memory key (`m ␀ tenant ␀ subject ␀ id`). */
export function tenantOfMemoryKey(key: string): string {
  return key.slice(Space.Memory.length + 1, key.indexOf(SEP, Space.Memory.length + 1));
}

/** The id of a memory key (the last component). */
export function memoryIdOf(key: string): string {
  return key.slice(key.lastIndexOf(SEP) + 1);
}

/** The tenant of a tenant-counters key. */
export function tenantOfCountersKey(key: string): string {
  return key.slice(2);
}
