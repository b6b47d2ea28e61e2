import { describe, expect, it } from 'vitest';
import { LAYER_NAMES, layerLabel, layerNumber, messageType } from '@engram/protocol';

describe('LAYER_NAMES', () => {
  it('lists the engram.v1.Layer enum in wire order', () => {
    const values = messageType('engram.v1.Memory').lookupEnum('engram.v1.Layer').values;
    LAYER_NAMES.forEach((name, i) => expect(values[name]).toBe(i));
    expect(Object.keys(values)).toHaveLength(LAYER_NAMES.length);
  });
});

describe('layerNumber', () => {
  it('maps full enum names to numbers', () => {
    expect(LAYER_NAMES.map((n) => layerNumber(n))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('maps short names, case-insensitively', () => {
    expect(layerNumber('sensory')).toBe(1);
    expect(layerNumber('Emotion')).toBe(2);
    expect(layerNumber('LOGIC')).toBe(3);
    expect(layerNumber('dream')).toBe(4);
    expect(layerNumber('eternal')).toBe(5);
    expect(layerNumber('unspecified')).toBe(0);
  });

  it('accepts in-range integers', () => {
    for (let i = 0; i < LAYER_NAMES.length; i++) expect(layerNumber(i)).toBe(i);
  });

  it('treats a missing layer as unspecified', () => {
    expect(layerNumber(undefined)).toBe(0);
    expect(layerNumber(null)).toBe(0);
  });

  it('is undefined for anything that is not a layer', () => {
    for (const bad of [-1, 6, 1.5, Number.NaN, Infinity]) expect(layerNumber(bad)).toBeUndefined();
    for (const bad of ['', 'LAYER_BOGUS', 'bogus', '3', 'layer_logic ', 'LAYER_']) expect(layerNumber(bad)).toBeUndefined();
  });
});

describe('layerLabel', () => {
  it('gives the lower-case short name', () => {
    expect([0, 1, 2, 3, 4, 5].map(layerLabel)).toEqual(['unspecified', 'sensory', 'emotion', 'logic', 'dream', 'eternal']);
  });

  it('falls back to unspecified for unknown numbers', () => {
    expect(layerLabel(42)).toBe('unspecified');
    expect(layerLabel(-1)).toBe('unspecified');
  });

  it('round-trips through layerNumber', () => {
    for (let i = 0; i < LAYER_NAMES.length; i++) expect(layerNumber(layerLabel(i))).toBe(i);
  });
});
