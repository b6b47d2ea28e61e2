/**
 * Serialises async sections per key (a subject): a section starts when the previous one for its key has ended.
 * Sections for different keys run concurrently. Keys without waiters take no memory.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(key, tail);
    try {
      if (previous) await previous;
      return await section();
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      release();
    }
  }

  /** Keys with a running or waiting section. */
  get size(): number {
    return this.tails.size;
  }
}
