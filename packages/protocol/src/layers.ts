import type { Layer } from './generated/engram/v1/Layer.js';

/** Layer names in wire order (index = enum number). */
export const LAYER_NAMES = [
  'LAYER_UNSPECIFIED',
  'LAYER_SENSORY',
  'LAYER_EMOTION',
  'LAYER_LOGIC',
  'LAYER_DREAM',
  'LAYER_ETERNAL',
] as const;

export type LayerName = (typeof LAYER_NAMES)[number];

/** Enum number of a layer given as its name or number; undefined when it is not a layer. */
export function layerNumber(layer: Layer | string | number | undefined | null): number | undefined {
  if (layer === undefined || layer === null) return 0;
  if (typeof layer === 'number') return Number.isInteger(layer) && layer >= 0 && layer < LAYER_NAMES.length ? layer : undefined;
  const i = LAYER_NAMES.indexOf(layer as LayerName);
  if (i >= 0) return i;
  const short = LAYER_NAMES.indexOf(`LAYER_${String(layer).toUpperCase()}` as LayerName);
  return short >= 0 ? short : undefined;
}

/** "LAYER_DREAM" → "dream", for people. */
export function layerLabel(n: number): string {
  return (LAYER_NAMES[n] ?? 'LAYER_UNSPECIFIED').slice('LAYER_'.length).toLowerCase();
}
