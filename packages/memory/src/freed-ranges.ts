/**
 * Key ranges freed by deletes (expiry, forgetting), per key space, so that compaction can be aimed at them
 * instead of the whole store.
 */
export class FreedRanges {
  private ranges = new Map<string, { min: string; max: string }>();
  private deletes = 0;

  note(key: string): void {
    const space = key[0]!;
    const r = this.ranges.get(space);
    if (!r) this.ranges.set(space, { min: key, max: key });
    else {
      if (key < r.min) r.min = key;
      if (key > r.max) r.max = key;
    }
    this.deletes += 1;
  }

  /** Takes the ranges noted so far (and the number of deletes), leaving none. */
  take(): { ranges: { min: string; max: string }[]; deletes: number } {
    const out = { ranges: [...this.ranges.values()], deletes: this.deletes };
    this.ranges = new Map();
    this.deletes = 0;
    return out;
  }
}
