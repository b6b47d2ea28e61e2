import { describe, expect, it } from 'vitest';
import { Layer, contentHash, processMemory, type ValidInput } from '@engram/cognition';

function valid(p: Partial<ValidInput> = {}): ValidInput {
  return {
    id: undefined,
    subject: 'alice',
    layer: Layer.UNSPECIFIED,
    kind: 'note',
    content: 'Alice prefers green tea in the morning',
    tags: [],
    attributes: {},
    payload: Buffer.alloc(0),
    embedding: undefined,
    occurredAtMs: undefined,
    importance: undefined,
    valence: undefined,
    arousal: undefined,
    ttlMs: undefined,
    expiresAtMs: undefined,
    evidenceIds: [],
    ...p,
  };
}

const options = { emotionThreshold: 0.6, maxKeywords: 3 };

describe('processMemory', () => {
  it('derives terms, hash, affect, keywords, importance and layer', () => {
    const m = processMemory(valid(), options);
    expect(m.hash).toBe(contentHash('note', 'Alice prefers green tea in the morning'));
    expect(m.terms.frequencies.map((f) => f.term)).toEqual(['alic', 'prefer', 'green', 'tea', 'morn']);
    expect(m.keywords).toEqual(['alice', 'prefers', 'green']);
    expect(m.importance).toBeGreaterThan(0);
    expect(m.importance).toBeLessThanOrEqual(1);
    expect(m.layer).toBe(Layer.SENSORY);
  });

  it('keeps affect and importance the client gave', () => {
    const m = processMemory(valid({ valence: -0.25, arousal: 0.125, importance: 0.875 }), options);
    expect([m.valence, m.arousal, m.importance]).toEqual([-0.25, 0.125, 0.875]);
  });

  it('estimates only the affect the client left out', () => {
    const m = processMemory(valid({ content: 'I absolutely love this!!!', valence: 0 }), options);
    expect(m.valence).toBe(0);
    expect(m.arousal).toBeGreaterThan(0);
  });

  it('sends strongly affective content to EMOTION unless a layer was requested', () => {
    expect(processMemory(valid({ content: 'I HATE this, it is a horrible disaster!!!' }), options).layer).toBe(Layer.EMOTION);
    expect(processMemory(valid({ content: 'I HATE this, it is a horrible disaster!!!', layer: Layer.LOGIC }), options).layer).toBe(Layer.LOGIC);
  });

  it('honours maxKeywords', () => {
    expect(processMemory(valid(), { ...options, maxKeywords: 0 }).keywords).toEqual([]);
  });

  it('is deterministic', () => {
    expect(processMemory(valid(), options)).toEqual(processMemory(valid(), options));
  });
});
