import { describe, expect, it } from 'vitest';
import type { DetectPatternsResponse__Output, Pattern__Output } from '@engram/protocol';
import { detectText, dreamText, patternsTable, patternText, percent, predictionsText } from './format.js';
import { patternJson } from './json.js';

const pattern = (id: string, items: string[][], support: number, share: number, confidence: number): Pattern__Output => ({
  id,
  elements: items.map((i) => ({ items: i })),
  support,
  relativeSupport: share,
  confidence,
  strategy: 'INDEXING_STRATEGY_PREFIXSPAN',
  itemSource: 'ITEM_SOURCE_KIND',
  weight: 1,
  evidenceIds: [],
  detectedAt: null,
});

describe('patternText', () => {
  it('joins elements with arrows and shows itemsets in braces', () => {
    expect(patternText([{ items: ['a'] }, { items: ['b'] }, { items: ['c', 'd'] }])).toBe('a → b → {c, d}');
    expect(patternText([{ items: ['milk', 'bread'] }])).toBe('{milk, bread}');
    expect(patternText([])).toBe('');
  });
});

describe('patternsTable', () => {
  it('aligns pattern, support, share, confidence and id', () => {
    const table = patternsTable([pattern('p_a', [['login'], ['browse']], 12, 1, 1), pattern('p_b', [['login'], ['browse'], ['purchase', 'coupon']], 9, 0.75, 0.75)]);
    expect(table.split('\n')).toEqual([
      'PATTERN                              SUPPORT   SHARE  CONFIDENCE  ID',
      'login → browse                            12  100.0%       1.000  p_a',
      'login → browse → {purchase, coupon}        9   75.0%       0.750  p_b',
    ]);
    expect(percent(1 / 3)).toBe('33.3%');
  });
});

describe('detectText', () => {
  const res = (patterns: Pattern__Output[], found: number, stored: number): DetectPatternsResponse__Output => ({
    patterns,
    stats: { memories: 60, episodes: 12, distinctItems: 7, frequentItems: 5, tasks: 3, threads: 2, miningMs: 4.56, queueMs: 0, patternsFound: found },
    stored,
  });

  it('says when --max-patterns cut the patterns, and that a dry run stored nothing', () => {
    const text = detectText(res([pattern('p_a', [['x']], 3, 0.25, 1)], 40, 0), true);
    expect(text).toMatch(/^memories: 60 {3}episodes: 12 {3}tasks: 3 {3}threads: 2 {3}mining ms: 4\.6$/m);
    expect(text).toMatch(/^showing the 1 of 40 patterns found with the highest support \(--max-patterns\)$/m);
    expect(text.endsWith('\ndry run: nothing stored')).toBe(true);
  });

  it('says when nothing was found', () => {
    expect(detectText(res([], 0, 0), false).split('\n')).toEqual([
      'no patterns found',
      '',
      'memories: 60   episodes: 12   tasks: 3   threads: 2   mining ms: 4.6',
      'stored 0 patterns',
    ]);
  });
});

describe('predictionsText', () => {
  it('tells a subject without patterns from a context no pattern continues', () => {
    expect(predictionsText({ predictions: [], context: ['x'], patterns: 0 })).toMatch(/^no predictions: the subject has no stored patterns \(run engram detect first\)\n\ncontext: x {3}patterns: 0$/);
    expect(predictionsText({ predictions: [], context: [], patterns: 5 })).toMatch(/^no predictions: no stored pattern continues this context\n\ncontext: \(empty\) {3}patterns: 5$/);
  });
});

describe('dreamText', () => {
  it('heads a dry run with what it did not do', () => {
    const report = {
      subjects: 2, replayed: 0, newMemories: 0, patternsFound: 0, patternsNew: 0, patternsStrengthened: 0, weightsUpdated: 0,
      insightsWritten: 0, promoted: 0, expired: 0, skipped: 2, insightIds: [], promotedIds: [], durationMs: 1.25, failedSubjects: ['bob'],
      minedIncrementally: 0, minedFully: 0,
    };
    const text = dreamText(report, true);
    expect(text).toMatch(/^dry run: nothing written\nsubjects: {14}2\nskipped: {15}2\n/);
    expect(text).toMatch(/^failed subjects: {7}bob$/m);
    expect(text).toMatch(/^duration ms: {11}1\.3$/m);
  });
});

describe('patternJson', () => {
  it('gives the max gap, or null for an unbounded one, without the oneof marker', () => {
    const bounded = { ...pattern('p', [['a']], 1, 1, 1), maxGap: 0, _maxGap: 'maxGap' as const };
    expect(patternJson(bounded)).toMatchObject({ maxGap: 0, detectedAt: null });
    expect(patternJson(bounded)).not.toHaveProperty('_maxGap');
    expect(patternJson(pattern('p', [['a']], 1, 1, 1)).maxGap).toBeNull();
  });
});
