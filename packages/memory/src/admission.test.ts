import { describe, expect, it } from 'vitest';
import { isBusy, isEngramError } from '@engram/protocol';
import { WriteAdmission, type Release } from './admission.js';

/** A promise's state without waiting for it. */
async function settled<T>(p: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  const marker = Symbol('pending');
  try {
    const v = await Promise.race([p, new Promise<typeof marker>((resolve) => setImmediate(() => resolve(marker)))]);
    return v === marker ? 'pending' : 'resolved';
  } catch {
    return 'rejected';
  }
}

describe('WriteAdmission', () => {
  it('admits up to maxInFlight at once and the rest in arrival order as memories leave', async () => {
    const a = new WriteAdmission({ maxInFlight: 10, maxWaitMs: 60_000 });
    const first = await a.acquire(6);
    const second = await a.acquire(4);
    const third = a.acquire(5);
    const fourth = a.acquire(1); // fits now, but must not overtake the waiting batch
    expect(await settled(third)).toBe('pending');
    expect(await settled(fourth)).toBe('pending');
    expect(a.stats()).toEqual({ inFlight: 10, waiting: 6, refused: 0 });
    first();
    first(); // idempotent
    expect(await settled(third)).toBe('resolved');
    expect(await settled(fourth)).toBe('resolved');
    expect(a.stats()).toMatchObject({ inFlight: 10, waiting: 0 });
    second();
    (await third)();
    (await fourth)();
    expect(a.stats()).toEqual({ inFlight: 0, waiting: 0, refused: 0 });
  });

  it('lets a batch larger than maxInFlight in alone', async () => {
    const a = new WriteAdmission({ maxInFlight: 10, maxWaitMs: 60_000 });
    const small = await a.acquire(1);
    const big = a.acquire(50);
    expect(await settled(big)).toBe('pending');
    small();
    const release = await big;
    expect(a.stats().inFlight).toBe(50);
    const after = a.acquire(1);
    expect(await settled(after)).toBe('pending');
    release();
    (await after)();
  });

  it('refuses a write that waited maxWaitMs with RESOURCE_EXHAUSTED "busy", and admits those behind it that fit', async () => {
    const a = new WriteAdmission({ maxInFlight: 10, maxWaitMs: 20 });
    const held = await a.acquire(8);
    const big = a.acquire(5);
    const small = a.acquire(2);
    const err = await big.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEngramError(err) && isBusy(err.code, err.message)).toBe(true);
    expect((err as Error).message).toMatch(/^shard busy: a batch of 5 could not start within 20 ms \(8 memories being written\)/);
    // The small one was behind the refused batch and fits: it is admitted, not refused after its own wait.
    const release: Release = await small;
    expect(a.stats()).toEqual({ inFlight: 10, waiting: 0, refused: 1 });
    release();
    held();
  });

  it('with maxWaitMs 0 refuses at once whatever does not fit', async () => {
    const a = new WriteAdmission({ maxInFlight: 2, maxWaitMs: 0 });
    const held = await a.acquire(2);
    await expect(a.acquire(1)).rejects.toThrow(/shard busy/);
    held();
    (await a.acquire(2))();
  });

  it('run() releases on failure as well as on success', async () => {
    const a = new WriteAdmission({ maxInFlight: 4, maxWaitMs: 1000 });
    await expect(a.run(3, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(a.run(4, async () => 'ok')).resolves.toBe('ok');
    expect(a.stats().inFlight).toBe(0);
  });
});
