import { describe, expect, it } from 'vitest';
import { applyFeedback, effectiveLearningRate, initialWeight, parseWeightState } from './weights.js';
import type { WeightState } from './weights.js';

/** Applies the same reward n times, a second apart. */
function repeat(state: WeightState, reward: number, n: number, options = {}): WeightState[] {
  const out: WeightState[] = [];
  for (let i = 0; i < n; i++) out.push((state = applyFeedback(state, reward, (i + 1) * 1000, options)));
  return out;
}

describe('feedback weights', () => {
  it('starts neutral, with the full learning rate', () => {
    expect(initialWeight()).toEqual({ weight: 1, sumSquaredGradients: 0, updates: 0, lastUpdatedMs: 0 });
    expect(effectiveLearningRate(initialWeight())).toBe(0.5);
    expect(effectiveLearningRate(initialWeight(), { learningRate: 0.2 })).toBeCloseTo(0.2, 12);
  });

  it('raises the weight on positive reward and lowers it on negative, by e^(±η) the first time', () => {
    const up = applyFeedback(initialWeight(), 1, 5000);
    const down = applyFeedback(initialWeight(), -1, 5000);
    expect(up.weight).toBeCloseTo(Math.exp(0.5), 12);
    expect(down.weight).toBeCloseTo(Math.exp(-0.5), 12);
    expect(up).toMatchObject({ sumSquaredGradients: 1, updates: 1, lastUpdatedMs: 5000 });
    // A half reward moves half as far (in log space) and adds r² = 0.25 to the accumulator.
    const half = applyFeedback(initialWeight(), 0.5, 0);
    expect(Math.log(half.weight)).toBeCloseTo(0.25, 12);
    expect(half.sumSquaredGradients).toBe(0.25);
    expect(applyFeedback(up, 0, 0).weight).toBe(up.weight); // zero reward moves nothing
  });

  it('does not modify its input', () => {
    const s = initialWeight();
    applyFeedback(s, 1, 1);
    expect(s).toEqual(initialWeight());
  });

  it('takes steps that shrink like η/√n as feedback accumulates', () => {
    const states = repeat(initialWeight(), 1, 50, { maxWeight: 1e9 });
    let prev = 0;
    let prevStep = Infinity;
    states.forEach((s, i) => {
      const step = Math.log(s.weight) - prev;
      expect(step).toBeCloseTo(0.5 / Math.sqrt(i + 1), 12);
      expect(step).toBeLessThan(prevStep);
      prevStep = step;
      prev = Math.log(s.weight);
      expect(effectiveLearningRate(s)).toBeCloseTo(0.5 / Math.sqrt(i + 2), 12);
    });
  });

  it('keeps the weight within [minWeight, maxWeight]', () => {
    const high = repeat(initialWeight(), 1, 2000).at(-1)!;
    const low = repeat(initialWeight(), -1, 2000).at(-1)!;
    expect(high.weight).toBeCloseTo(5, 9);
    expect(high.weight).toBeLessThanOrEqual(5);
    expect(low.weight).toBeCloseTo(0.05, 9);
    expect(low.weight).toBeGreaterThanOrEqual(0.05);
    const tight = repeat(initialWeight(), 1, 100, { minWeight: 0.5, maxWeight: 2 }).at(-1)!;
    expect(tight.weight).toBeCloseTo(2, 9);
    // Out-of-range rewards are clamped to [-1, 1].
    expect(applyFeedback(initialWeight(), 100, 0).weight).toBeCloseTo(Math.exp(0.5), 12);
    // And a weight pinned at a bound moves back at once on opposite evidence.
    expect(applyFeedback(high, -1, 0).weight).toBeLessThan(5);
  });

  it('rejects non-finite rewards and bad options', () => {
    expect(() => applyFeedback(initialWeight(), Number.NaN, 0)).toThrow(RangeError);
    expect(() => applyFeedback(initialWeight(), 1, 0, { learningRate: 0 })).toThrow(RangeError);
    expect(() => applyFeedback(initialWeight(), 1, 0, { minWeight: 2 })).toThrow(RangeError);
    expect(() => applyFeedback(initialWeight(), 1, 0, { halfLifeMs: -1 })).toThrow(RangeError);
    expect(() => initialWeight(-1)).toThrow(RangeError);
  });

  it('lets prior evidence damp the first steps', () => {
    const s = applyFeedback(initialWeight(99), 1, 0);
    expect(Math.log(s.weight)).toBeCloseTo(0.5 / Math.sqrt(100), 12);
  });

  it('recovers its learning rate after a half-life without feedback, if configured', () => {
    const options = { halfLifeMs: 60_000 };
    const s = repeat(initialWeight(), 1, 16, options).at(-1)!; // G ≈ 16 (decayed a little between updates)
    expect(effectiveLearningRate(s, { ...options, nowMs: s.lastUpdatedMs })).toBeCloseTo(0.5 / Math.sqrt(17), 2);
    const later = effectiveLearningRate(s, { ...options, nowMs: s.lastUpdatedMs + 4 * 60_000 }); // G/16
    expect(later).toBeGreaterThan(effectiveLearningRate(s));
    expect(later).toBeCloseTo(0.5 / Math.sqrt(s.sumSquaredGradients / 16 + 1), 12);
    // Without a half-life, time changes nothing.
    expect(effectiveLearningRate(s, { nowMs: s.lastUpdatedMs + 1e9 })).toBe(effectiveLearningRate(s));
  });

  it('survives a JSON round trip and continues identically', () => {
    const s = repeat(initialWeight(), 0.7, 5).at(-1)!;
    const copy = parseWeightState(JSON.parse(JSON.stringify(s)));
    expect(copy).toEqual(s);
    expect(applyFeedback(copy, -1, 9000)).toEqual(applyFeedback(s, -1, 9000));
    for (const v of Object.values(s)) expect(typeof v).toBe('number');
  });

  it('refuses corrupt stored states', () => {
    expect(() => parseWeightState(null)).toThrow(TypeError);
    expect(() => parseWeightState({ ...initialWeight(), weight: 0 })).toThrow(/weight/);
    expect(() => parseWeightState({ ...initialWeight(), updates: 1.5 })).toThrow(/updates/);
    expect(() => parseWeightState({ ...initialWeight(), sumSquaredGradients: '1' })).toThrow(/sumSquaredGradients/);
  });
});
