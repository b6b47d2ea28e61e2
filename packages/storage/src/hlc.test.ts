import { describe, expect, it } from 'vitest';
import { HybridLogicalClock, ManualClock, compareHlc, systemClock, type HlcTimestamp } from '@engram/storage';

const T0 = 1_700_000_000_000;

function expectIncreasing(stamps: HlcTimestamp[]): void {
  for (let i = 1; i < stamps.length; i++) expect(compareHlc(stamps[i - 1]!, stamps[i]!)).toBeLessThan(0);
}

describe('ManualClock', () => {
  it('moves only when told to', () => {
    const clock = new ManualClock(T0);
    expect(clock.now()).toBe(T0);
    expect(clock.now()).toBe(T0);
    clock.advance(250);
    expect(clock.now()).toBe(T0 + 250);
    clock.set(T0 - 10);
    expect(clock.now()).toBe(T0 - 10);
  });

  it('systemClock reads wall time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
  });
});

describe('HybridLogicalClock.now', () => {
  it('follows wall time with logical 0 while the clock moves forward', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('n1', clock);
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 0, node: 'n1' });
    clock.advance(5);
    expect(hlc.now()).toEqual({ wallMs: T0 + 5, logical: 0, node: 'n1' });
  });

  it('is strictly increasing while the clock stands still', () => {
    const hlc = new HybridLogicalClock('n1', new ManualClock(T0));
    const stamps = Array.from({ length: 100 }, () => hlc.now());
    expectIncreasing(stamps);
    expect(stamps.every((s) => s.wallMs === T0)).toBe(true);
    expect(stamps.at(-1)!.logical).toBe(99);
  });

  it('is strictly increasing while the clock goes backwards, and stays at the latest wall time', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('n1', clock);
    const stamps = [hlc.now()];
    for (let i = 1; i <= 20; i++) {
      clock.set(T0 - i * 1000);
      stamps.push(hlc.now());
    }
    expectIncreasing(stamps);
    expect(stamps.every((s) => s.wallMs === T0)).toBe(true);
  });

  it('returns to wall time with logical 0 once the clock passes the last timestamp', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('n1', clock);
    hlc.now();
    clock.set(T0 - 60_000);
    const behind = hlc.now();
    clock.set(T0 + 1);
    const after = hlc.now();
    expect(after).toEqual({ wallMs: T0 + 1, logical: 0, node: 'n1' });
    expect(compareHlc(behind, after)).toBeLessThan(0);
  });

  it('stays monotonic through a deterministic mix of forward, still and backward clock moves', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('n1', clock);
    const stamps: HlcTimestamp[] = [];
    const moves = [0, 3, -2, 0, 0, -100, 101, 1, -1, 0, 50, -49, 0, 2];
    for (let round = 0; round < 10; round++) {
      for (const m of moves) {
        clock.advance(m);
        stamps.push(hlc.now());
      }
    }
    expectIncreasing(stamps);
  });
});

describe('HybridLogicalClock.observe', () => {
  it('moves past a remote timestamp from the future', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('local', clock);
    hlc.now();
    const remote = { wallMs: T0 + 10_000, logical: 7, node: 'remote' };
    const received = hlc.observe(remote);
    expect(received).toEqual({ wallMs: T0 + 10_000, logical: 8, node: 'local' });
    expect(compareHlc(remote, received)).toBeLessThan(0);
    const next = hlc.now();
    expect(compareHlc(received, next)).toBeLessThan(0);
    expect(compareHlc(remote, next)).toBeLessThan(0);
  });

  it('keeps counting past its own timestamp when the remote one is older', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('local', clock);
    const a = hlc.now();
    const b = hlc.observe({ wallMs: T0 - 500, logical: 99, node: 'remote' });
    expect(b).toEqual({ wallMs: T0, logical: a.logical + 1, node: 'local' });
  });

  it('takes the larger logical counter when both sides share the wall time', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('local', clock);
    hlc.now();
    hlc.now(); // logical 1
    expect(hlc.observe({ wallMs: T0, logical: 5, node: 'r' }).logical).toBe(6);
    expect(hlc.observe({ wallMs: T0, logical: 2, node: 'r' }).logical).toBe(7);
  });

  it('resets the counter when the physical clock is ahead of both', () => {
    const clock = new ManualClock(T0);
    const hlc = new HybridLogicalClock('local', clock);
    hlc.now();
    clock.advance(1000);
    expect(hlc.observe({ wallMs: T0 + 10, logical: 42, node: 'r' })).toEqual({ wallMs: T0 + 1000, logical: 0, node: 'local' });
  });

  it('is after both the remote timestamp and every earlier local one, for any interleaving', () => {
    const clock = new ManualClock(T0);
    const a = new HybridLogicalClock('a', clock);
    const bClock = new ManualClock(T0 + 5000);
    const b = new HybridLogicalClock('b', bClock);
    const history: HlcTimestamp[] = [];
    for (let i = 0; i < 50; i++) {
      bClock.advance(i % 3 === 0 ? -7 : 3);
      const sent = b.now();
      const local = a.now();
      const received = a.observe(sent);
      expect(compareHlc(sent, received)).toBeLessThan(0);
      expect(compareHlc(local, received)).toBeLessThan(0);
      history.push(local, received);
    }
    expectIncreasing(history);
  });
});

describe('compareHlc', () => {
  it('orders by wall time, then logical counter, then node', () => {
    const x = (wallMs: number, logical: number, node: string) => ({ wallMs, logical, node });
    expect(compareHlc(x(1, 9, 'z'), x(2, 0, 'a'))).toBeLessThan(0);
    expect(compareHlc(x(2, 0, 'z'), x(2, 1, 'a'))).toBeLessThan(0);
    expect(compareHlc(x(2, 1, 'a'), x(2, 1, 'b'))).toBeLessThan(0);
    expect(compareHlc(x(2, 1, 'b'), x(2, 1, 'a'))).toBeGreaterThan(0);
    expect(compareHlc(x(2, 1, 'a'), x(2, 1, 'a'))).toBe(0);
  });

  it('is a total order: antisymmetric, and sorting agrees with pairwise comparison', () => {
    const stamps: HlcTimestamp[] = [];
    for (const wallMs of [T0, T0 + 1, T0 - 1]) for (const logical of [0, 1, 10]) for (const node of ['n1', 'n2', 'n10']) stamps.push({ wallMs, logical, node });
    for (const a of stamps) {
      for (const b of stamps) {
        expect(Math.sign(compareHlc(a, b)) + Math.sign(compareHlc(b, a))).toBe(0);
        if (compareHlc(a, b) === 0) expect(a).toEqual(b);
      }
    }
    const sorted = [...stamps].sort(compareHlc);
    for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) expect(compareHlc(sorted[i]!, sorted[j]!)).toBeLessThan(0);
  });
});
