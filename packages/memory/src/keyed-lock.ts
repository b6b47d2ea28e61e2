/** The sections waiting for a held key, in arrival order (created on first contention). */
interface Holder {
  waiting: (() => void)[] | undefined;
}

/**
 * Serialises async sections per key (a subject): a section starts when the previous one for its key has ended.
 * Sections for different keys run concurrently. Keys without waiters take no memory, and a section that finds
 * its key free starts without waiting on anything (the common case: no promise beyond the section's own).
 */
export class KeyedLock {
  private readonly holders = new Map<string, Holder>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    let holder = this.holders.get(key);
    if (holder === undefined) {
      holder = { waiting: undefined };
      this.holders.set(key, holder);
    } else {
      const held = holder;
      await new Promise<void>((resolve) => (held.waiting ??= []).push(resolve));
    }
    try {
      return await section();
    } finally {
      // The key passes straight to the next waiter, so a newcomer cannot slip in between.
      const next = holder.waiting?.shift();
      if (next !== undefined) next();
      else this.holders.delete(key);
    }
  }

  /**
   * Whether a section of key is running or waiting. When it is not, synchronous code holds the key as long as it
   * does not yield: it may do what a section would, without one.
   */
  isHeld(key: string): boolean {
    return this.holders.has(key);
  }

  /** Keys with a running or waiting section. */
  get size(): number {
    return this.holders.size;
  }
}
