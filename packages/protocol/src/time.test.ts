import { describe, expect, it } from 'vitest';
import { fromDuration, fromTimestamp, toTimestamp } from '@engram/protocol';

/** toTimestamp's result as a decoded Timestamp (seconds a number, nanos set). */
const roundTrip = (ms: number) => {
  const ts = toTimestamp(ms);
  return fromTimestamp({ seconds: Number(ts.seconds), nanos: ts.nanos ?? 0 });
};

describe('toTimestamp', () => {
  it('splits milliseconds into seconds and nanos', () => {
    expect(toTimestamp(0)).toEqual({ seconds: 0, nanos: 0 });
    expect(toTimestamp(1234)).toEqual({ seconds: 1, nanos: 234_000_000 });
    expect(toTimestamp(1_700_000_000_999)).toEqual({ seconds: 1_700_000_000, nanos: 999_000_000 });
  });

  it('keeps nanos non-negative before the epoch (seconds round down)', () => {
    expect(toTimestamp(-1)).toEqual({ seconds: -1, nanos: 999_000_000 });
    expect(toTimestamp(-1000)).toEqual({ seconds: -1, nanos: 0 });
    expect(toTimestamp(-1500)).toEqual({ seconds: -2, nanos: 500_000_000 });
  });

  it('produces nanos in 0..999999999 for whole milliseconds', () => {
    for (const ms of [-86_400_001, -999, -1, 0, 1, 999, 1000, 1001, 253_402_300_799_999]) {
      const { nanos } = toTimestamp(ms);
      expect(Number.isInteger(nanos)).toBe(true);
      expect(nanos).toBeGreaterThanOrEqual(0);
      expect(nanos).toBeLessThan(1e9);
    }
  });
});

describe('fromTimestamp', () => {
  it('inverts toTimestamp for whole milliseconds', () => {
    for (const ms of [-1_000_001, -1500, -1, 0, 1, 999, 1000, 1_723_456_789_012, 253_402_300_799_999]) {
      expect(roundTrip(ms)).toBe(ms);
    }
  });

  it('truncates sub-millisecond nanos', () => {
    expect(fromTimestamp({ seconds: 2, nanos: 999_999 })).toBe(2000);
    expect(fromTimestamp({ seconds: 2, nanos: 1_999_999 })).toBe(2001);
  });

  it('is undefined when unset', () => {
    expect(fromTimestamp(null)).toBeUndefined();
    expect(fromTimestamp(undefined)).toBeUndefined();
  });
});

describe('fromDuration', () => {
  it('converts to milliseconds', () => {
    expect(fromDuration({ seconds: 90, nanos: 500_000_000 })).toBe(90_500);
    expect(fromDuration({ seconds: 0, nanos: 0 })).toBe(0);
    expect(fromDuration({ seconds: 86_400 * 7, nanos: 0 })).toBe(604_800_000);
  });

  it('truncates sub-millisecond nanos', () => {
    expect(fromDuration({ seconds: 1, nanos: 1 })).toBe(1000);
  });

  it('keeps the sign of negative durations', () => {
    expect(fromDuration({ seconds: -5, nanos: 0 })).toBe(-5000);
  });

  it('is undefined when unset', () => {
    expect(fromDuration(null)).toBeUndefined();
    expect(fromDuration(undefined)).toBeUndefined();
  });
});

describe('toTimestamp with fractional milliseconds', () => {
  it('drops sub-millisecond parts instead of producing nanos of 1e9', () => {
    expect(toTimestamp(999.9999999999)).toEqual({ seconds: 0, nanos: 999_000_000 });
    expect(toTimestamp(1_700_000_000_999.9)).toEqual({ seconds: 1_700_000_000, nanos: 999_000_000 });
  });
});
