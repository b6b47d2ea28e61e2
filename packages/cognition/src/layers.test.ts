import { describe, expect, it } from 'vitest';
import { FORGET_PRIORITY, Layer, MAINTENANCE_PRIORITY, STORED_LAYERS, chooseLayer, layerPriority, retentionMs } from '@engram/cognition';

const retention = {
  sensory: 1,
  emotion: 2,
  logic: 3,
  dream: 4,
  eternal: Infinity,
  sweepInterval: 30_000,
  sweepBatch: 1000,
  tombstoneTtl: 604_800_000,
};

describe('Layer numbers', () => {
  it('match engram.v1.Layer', () => {
    expect(Layer).toEqual({ UNSPECIFIED: 0, SENSORY: 1, EMOTION: 2, LOGIC: 3, DREAM: 4, ETERNAL: 5 });
    expect(STORED_LAYERS).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('chooseLayer', () => {
  it('keeps a requested layer whatever the affect', () => {
    for (const layer of STORED_LAYERS) {
      expect(chooseLayer(layer, 0, 0, 0.6)).toBe(layer);
      expect(chooseLayer(layer, -1, 1, 0.6)).toBe(layer);
    }
  });

  it('puts strongly positive or negative content in EMOTION', () => {
    expect(chooseLayer(Layer.UNSPECIFIED, 0.9, 0, 0.6)).toBe(Layer.EMOTION);
    expect(chooseLayer(Layer.UNSPECIFIED, -0.9, 0, 0.6)).toBe(Layer.EMOTION);
  });

  it('puts high-arousal content in EMOTION', () => {
    expect(chooseLayer(Layer.UNSPECIFIED, 0, 0.7, 0.6)).toBe(Layer.EMOTION);
  });

  it('counts reaching the threshold exactly as strong', () => {
    expect(chooseLayer(Layer.UNSPECIFIED, 0.6, 0, 0.6)).toBe(Layer.EMOTION);
    expect(chooseLayer(Layer.UNSPECIFIED, -0.6, 0, 0.6)).toBe(Layer.EMOTION);
    expect(chooseLayer(Layer.UNSPECIFIED, 0, 0.6, 0.6)).toBe(Layer.EMOTION);
  });

  it('puts everything else in SENSORY', () => {
    expect(chooseLayer(Layer.UNSPECIFIED, 0, 0, 0.6)).toBe(Layer.SENSORY);
    expect(chooseLayer(Layer.UNSPECIFIED, 0.59, 0.59, 0.6)).toBe(Layer.SENSORY);
    expect(chooseLayer(Layer.UNSPECIFIED, -0.59, 0.1, 0.6)).toBe(Layer.SENSORY);
  });
});

describe('retentionMs', () => {
  it('gives each layer its own retention', () => {
    expect(retentionMs(Layer.SENSORY, retention)).toBe(1);
    expect(retentionMs(Layer.EMOTION, retention)).toBe(2);
    expect(retentionMs(Layer.LOGIC, retention)).toBe(3);
    expect(retentionMs(Layer.DREAM, retention)).toBe(4);
    expect(retentionMs(Layer.ETERNAL, retention)).toBe(Infinity);
  });

  it('falls back to the sensory retention for unspecified or unknown layers', () => {
    expect(retentionMs(Layer.UNSPECIFIED, retention)).toBe(1);
    expect(retentionMs(42, retention)).toBe(1);
  });
});

describe('layerPriority', () => {
  it('flushes more consolidated layers first', () => {
    const priorities = STORED_LAYERS.map(layerPriority);
    for (let i = 1; i < priorities.length; i++) expect(priorities[i]!).toBeGreaterThan(priorities[i - 1]!);
  });

  it('stays strictly between maintenance and forgetting', () => {
    for (const layer of [-1, 0, 1, 2, 3, 4, 5, 6, 99]) {
      expect(layerPriority(layer)).toBeGreaterThan(MAINTENANCE_PRIORITY);
      expect(layerPriority(layer)).toBeLessThan(FORGET_PRIORITY);
    }
  });

  it('fits the group-commit priority range 0..7', () => {
    expect(MAINTENANCE_PRIORITY).toBe(0);
    expect(FORGET_PRIORITY).toBe(7);
    expect(layerPriority(0)).toBe(1);
    expect(layerPriority(99)).toBe(6);
  });
});
