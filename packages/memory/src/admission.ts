import { busy } from '@engram/protocol';

export interface AdmissionOptions {
  /** Memories that may be in the write path at once (processing, waiting for a lock, waiting for the commit). */
  maxInFlight: number;
  /** Longest a write may wait to enter; after that it is refused with RESOURCE_EXHAUSTED. 0 refuses at once. */
  maxWaitMs: number;
}

interface Waiter {
  n: number;
  admit: () => void;
  timer: NodeJS.Timeout | undefined;
}

/** Releases what acquire() took; idempotent. */
export type Release = () => void;

/**
 * Back-pressure at the door of a shard's write path. Without it every write that arrives starts at once: under a
 * sustained overload the shard holds more work than it can finish within its callers' deadlines, callers time out
 * on work the shard still does, and their circuit breakers open. With it, at most maxInFlight memories are in the
 * write path (enough to fill group-commit batches); the rest wait in arrival order, and a write that cannot enter
 * within maxWaitMs is refused with RESOURCE_EXHAUSTED, which tells a client to back off, not that the shard is down.
 * A batch enters whole (its memories count together); one larger than maxInFlight enters alone.
 */
export class WriteAdmission {
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];
  private refusedTotal = 0;

  constructor(private readonly options: AdmissionOptions) {}

  /** Waits (in arrival order) until n memories may enter, and returns their release. */
  acquire(n: number): Promise<Release> {
    if (this.waiting.length === 0 && this.fits(n)) return Promise.resolve(this.take(n));
    if (this.options.maxWaitMs === 0) return Promise.reject(this.refusal(n));
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { n, admit: () => resolve(this.take(n)), timer: undefined };
      waiter.timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        reject(this.refusal(n));
        // The head may have been this waiter, blocking smaller ones behind it that fit now.
        this.admitWaiting();
      }, this.options.maxWaitMs);
      waiter.timer.unref?.();
      this.waiting.push(waiter);
    });
  }

  /** Runs fn with n memories admitted, releasing them when it settles. */
  run<T>(n: number, fn: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.fits(n)) return this.runWhenAdmitted(n, fn);
    // Admitted at once (the common case): fn starts now, without waiting a turn for acquire's promise.
    const release = this.take(n);
    let running: Promise<T>;
    try {
      running = fn();
    } catch (err) {
      release();
      return Promise.reject(err);
    }
    running.then(release, release);
    return running;
  }

  private async runWhenAdmitted<T>(n: number, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(n);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Memories in the write path now, memories waiting to enter, and writes refused since start. */
  stats(): { inFlight: number; waiting: number; refused: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.reduce((s, w) => s + w.n, 0), refused: this.refusedTotal };
  }

  private fits(n: number): boolean {
    return this.inFlight === 0 || this.inFlight + n <= this.options.maxInFlight;
  }

  private take(n: number): Release {
    this.inFlight += n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= n;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.n)) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      next.admit();
    }
  }

  private refusal(n: number) {
    this.refusedTotal += 1;
    return busy(
      `shard busy: ${n === 1 ? 'the write' : `a batch of ${n}`} could not start within ${this.options.maxWaitMs} ms ` +
        `(${this.inFlight} memories being written)`,
    );
  }
}
