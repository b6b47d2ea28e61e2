import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs the sections of one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const section = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((name) => lock.run('k', section(name))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(lock.size).toBe(0);
  });

  it('runs sections of different keys concurrently', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    await Promise.all(
      ['x', 'y'].map((key) =>
        lock.run(key, async () => {
          log.push(`${key} start`);
          await tick();
          log.push(`${key} end`);
        }),
      ),
    );
    expect(log).toEqual(['x start', 'y start', 'x end', 'y end']);
  });

  it('passes the key on when a section fails, and reports the failure to its caller', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('k', async () => {
      await tick();
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });

  it('does not let a newcomer overtake a waiter when the key is passed on', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const first = lock.run('k', async () => void order.push('first'));
    const second = lock.run('k', async () => void order.push('second'));
    await first;
    // The key is handed to `second` before it has resumed; a section arriving now queues behind it.
    const third = lock.run('k', async () => void order.push('third'));
    await Promise.all([second, third]);
    expect(order).toEqual(['first', 'second', 'third']);
    expect(lock.size).toBe(0);
  });

  it('counts keys with running or waiting sections', async () => {
    const lock = new KeyedLock();
    let release!: () => void;
    const held = lock.run('a', () => new Promise<void>((resolve) => (release = resolve)));
    const waiting = lock.run('a', async () => undefined);
    const other = lock.run('b', async () => undefined);
    expect(lock.size).toBe(2);
    await other;
    expect(lock.size).toBe(1);
    release();
    await Promise.all([held, waiting]);
    expect(lock.size).toBe(0);
  });

  it('says whether a key is held, from the call of run until its last section ends', async () => {
    const lock = new KeyedLock();
    expect(lock.isHeld('k')).toBe(false);
    const first = lock.run('k', tick);
    const second = lock.run('k', tick);
    expect(lock.isHeld('k')).toBe(true);
    expect(lock.isHeld('other')).toBe(false);
    await first;
    expect(lock.isHeld('k')).toBe(true);
    await second;
    expect(lock.isHeld('k')).toBe(false);
  });
});
