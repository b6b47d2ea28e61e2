import { describe, expect, it } from 'vitest';
import { estimateAffect } from '@engram/cognition';

describe('estimateAffect', () => {
  it('gives positive valence for positive text', () => {
    expect(estimateAffect('I love this, it is wonderful').valence).toBeGreaterThan(0);
    expect(estimateAffect('What a great and happy day').valence).toBeGreaterThan(0);
  });

  it('gives negative valence for negative text', () => {
    expect(estimateAffect('I hate this, it is terrible').valence).toBeLessThan(0);
    expect(estimateAffect('The flight was cancelled and I am furious').valence).toBeLessThan(0);
  });

  it('handles negation', () => {
    expect(estimateAffect('not good').valence).toBeLessThan(0);
  });

  it('gives zero valence and arousal for neutral text', () => {
    expect(estimateAffect('the meeting is at noon')).toEqual({ valence: 0, arousal: 0 });
  });

  it('gives zero for empty text', () => {
    expect(estimateAffect('')).toEqual({ valence: 0, arousal: 0 });
  });

  it('raises arousal with exclamation marks', () => {
    const calm = estimateAffect('the meeting is at noon');
    const excited = estimateAffect('the meeting is at noon!!!');
    expect(excited.arousal).toBeGreaterThan(calm.arousal);
    expect(excited.valence).toBe(calm.valence);
    expect(estimateAffect('I love it!').arousal).toBeGreaterThan(estimateAffect('I love it').arousal);
  });

  it('raises arousal with ALL CAPS words', () => {
    expect(estimateAffect('THE MEETING IS AT NOON').arousal).toBeGreaterThan(estimateAffect('the meeting is at noon').arousal);
    expect(estimateAffect('I HATE delays').arousal).toBeGreaterThan(estimateAffect('I hate delays').arousal);
  });

  it('caps the emphasis counted from exclamation marks', () => {
    expect(estimateAffect('I love it!!!!!!!!!!').arousal).toBe(estimateAffect('I love it!!!!!').arousal);
  });

  it('gives more arousal to stronger words', () => {
    expect(estimateAffect('this is outstanding and thrilling').arousal).toBeGreaterThan(estimateAffect('this is fine').arousal);
  });

  it('stays within bounds for extreme text', () => {
    const texts = [
      'good good good good good good amazing amazing superb superb!!!!! GREAT GREAT GREAT GREAT GREAT',
      'awful awful awful horrible horrible terrible disaster catastrophe!!!!!!! HATE HATE HATE HATE',
      'ok',
    ];
    for (const t of texts) {
      const a = estimateAffect(t);
      expect(a.valence).toBeGreaterThanOrEqual(-1);
      expect(a.valence).toBeLessThanOrEqual(1);
      expect(a.arousal).toBeGreaterThanOrEqual(0);
      expect(a.arousal).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic', () => {
    expect(estimateAffect('I am so excited about the trip!')).toEqual(estimateAffect('I am so excited about the trip!'));
  });

  it('keeps its values (golden cases with and without emphasis)', () => {
    const cases: [string, number, number][] = [
      ['I love it!', 0.6123724356957946, 0.4647385714810097],
      ['WOW this is GREAT!!! really GREAT', 0.9325048082403138, 0.9360721387932924],
      ['AB CD EF!', 0, 0.22119921692859512],
      ['no emphasis here', -0.25, 0.11750309741540454],
      ['HATE HATE HATE HATE HATE HATE HATE!!!!!!!!', -0.9834151021607787, 0.994053782643528],
      ['x!y!z', 0, 0.3934693402873666],
      ['ÉCOLE ABC ABCDÉ', 0, 0.5276334472589853],
    ];
    for (const [text, valence, arousal] of cases) expect(estimateAffect(text)).toEqual({ valence, arousal });
  });
});
