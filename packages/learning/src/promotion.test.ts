import { describe, expect, it } from 'vitest';
import { promotionScore, shouldPromote } from './promotion.js';

describe('promotion', () => {
  it('adds activation, α·importance and β·ln(feedbackWeight)', () => {
    expect(promotionScore({ activation: 0.5, importance: 0.5, feedbackWeight: Math.E })).toBeCloseTo(2, 12);
    expect(
      promotionScore(
        { activation: 0.5, importance: 0.5, feedbackWeight: Math.E },
        { importanceWeight: 2, feedbackScale: 0.5 },
      ),
    ).toBeCloseTo(2, 12);
    // A neutral weight adds nothing; a weight below 1 subtracts; importance is clamped to [0, 1].
    expect(promotionScore({ activation: -1, importance: 0, feedbackWeight: 1 })).toBe(-1);
    expect(promotionScore({ activation: 0, importance: 3, feedbackWeight: 0.5 })).toBeCloseTo(1 - Math.LN2, 12);
    expect(() => promotionScore({ activation: 0, importance: 0, feedbackWeight: 0 })).toThrow(RangeError);
  });

  it('promotes at or above the threshold', () => {
    expect(shouldPromote(2, 2)).toBe(true);
    expect(shouldPromote(1.999, 2)).toBe(false);
    expect(shouldPromote(Number.NaN, 0)).toBe(false);
  });
});
