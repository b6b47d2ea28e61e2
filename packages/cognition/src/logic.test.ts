import { describe, expect, it } from 'vitest';
import { estimateAffect, estimateImportance, extractKeywords, indexTerms, tokenize } from '@engram/cognition';
import { prng } from '@engram/cognition/testing';

function importanceOf(content: string, affect = estimateAffect(content)): number {
  const tokens = tokenize(content);
  return estimateImportance({ content, tokens, terms: indexTerms(tokens), ...affect });
}

describe('extractKeywords', () => {
  it('orders by frequency, ties by first occurrence', () => {
    const terms = indexTerms(tokenize('tea coffee milk coffee tea sugar tea'));
    expect(extractKeywords(terms, 10)).toEqual(['tea', 'coffee', 'milk', 'sugar']);
  });

  it('keeps at most max keywords', () => {
    const terms = indexTerms(tokenize('alpha beta gamma delta epsilon'));
    expect(extractKeywords(terms, 2)).toEqual(['alpha', 'beta']);
    expect(extractKeywords(terms, 0)).toEqual([]);
  });

  it('gives readable word forms rather than stems', () => {
    const terms = indexTerms(tokenize('Running is running; studies show studying helps'));
    const keywords = extractKeywords(terms, 3);
    expect(keywords[0]).toBe('running');
    expect(keywords).toContain('studies');
  });

  it('is empty when there are no terms', () => {
    expect(extractKeywords(indexTerms([]), 5)).toEqual([]);
  });

  it('picks what sorting every term by frequency, then first occurrence, picks', () => {
    const random = prng(11);
    for (let n = 0; n < 500; n++) {
      const tokens = Array.from({ length: Math.floor(random() * 40) }, () => `w${Math.floor(random() * 12)}x`);
      const terms = indexTerms(tokens);
      const max = Math.floor(random() * 10);
      const sorted = terms.frequencies
        .map((f, position) => ({ f, position }))
        .sort((a, b) => b.f.count - a.f.count || a.position - b.position)
        .slice(0, max)
        .map((e) => terms.surfaces[e.position]);
      expect(extractKeywords(terms, max)).toEqual(sorted);
    }
  });
});

describe('estimateImportance', () => {
  const samples = [
    '',
    'ok',
    'the weather is fine',
    'Remember: Alice is allergic to peanuts, her birthday is 12 May',
    'I HATE THIS!!! Never again. Bob promised the deadline is 2024-05-01 and Carol, Dave and Eve agree it is terrible',
    'a '.repeat(500),
    'word '.repeat(40) + Array.from({ length: 40 }, (_, i) => `term${i}`).join(' '),
  ];

  it('is always within 0..1', () => {
    for (const s of samples) {
      const v = importanceOf(s);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(importanceOf('x', { valence: -1, arousal: 1 })).toBeLessThanOrEqual(1);
  });

  it('starts from a base of 0.2 for bland content', () => {
    expect(importanceOf('')).toBeCloseTo(0.2, 10);
  });

  it('is higher for salient content than for small talk', () => {
    const bland = importanceOf('the weather is fine');
    expect(importanceOf('Remember: Alice is allergic to peanuts, her birthday is 12 May')).toBeGreaterThan(bland);
    expect(importanceOf('The deadline is critical')).toBeGreaterThan(importanceOf('The weather is mild'));
  });

  it('adds weight for numbers, proper names, cue words and emotion', () => {
    const base = importanceOf('we talked about things');
    expect(importanceOf('we talked about 3 things')).toBeGreaterThan(base);
    expect(importanceOf('we talked about Paris with Maria')).toBeGreaterThan(base);
    expect(importanceOf('we must talk about things')).toBeGreaterThan(base);
    expect(importanceOf('we talked about things', { valence: 0.9, arousal: 0.2 })).toBeGreaterThan(base);
  });

  it('does not count a capitalised sentence start as a proper name', () => {
    expect(importanceOf('Cats are nice. Dogs too')).toBe(importanceOf('cats are nice. dogs too'));
  });

  it('reaches but never exceeds 1 for content with every signal', () => {
    expect(importanceOf(samples[4]!)).toBe(1);
  });
});
