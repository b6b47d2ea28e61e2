import { EMPTY, encodeCount } from './codec.js';
import type { BatchPuts, IndexEntries } from './group-commit.js';
import { expiryKey, postingKeys } from './keys.js';

/** A term of a memory with its frequency (a MemoryRecord's terms). */
export interface TermFrequency {
  term: string;
  count: number;
}

/**
 * A new memory's index entries: one posting per term (postingKey → encodeCount(count)) and, when it expires, its
 * expiry entry (expiryKey → EMPTY). The posting keys are built when the batch is formed.
 */
export class MemoryIndexEntries implements IndexEntries {
  readonly bytes: number;
  private readonly expiry: string | undefined;

  constructor(
    private readonly tenant: string,
    private readonly subject: string,
    private readonly id: string,
    private readonly terms: readonly TermFrequency[],
    expiresAtMs: number,
  ) {
    this.expiry = expiresAtMs === 0 ? undefined : expiryKey(expiresAtMs, tenant, subject, id);
    // A posting key is 'p', the tenant, the term, the subject and the id, joined by four NULs after the 'p'.
    const fixed = 5 + tenant.length + subject.length + id.length;
    let bytes = this.expiry === undefined ? 0 : this.expiry.length;
    for (const t of terms) bytes += fixed + t.term.length + encodeCount(t.count).length;
    this.bytes = bytes;
  }

  putInto(batch: BatchPuts): number {
    const keyOf = postingKeys(this.tenant, this.subject, this.id);
    for (const t of this.terms) batch.put(keyOf(t.term), encodeCount(t.count));
    if (this.expiry === undefined) return this.terms.length;
    batch.put(this.expiry, EMPTY);
    return this.terms.length + 1;
  }
}
