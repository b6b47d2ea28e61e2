import type { ShardConfig } from '@engram/config';

/** engram.v1.Layer numbers. */
export const Layer = { UNSPECIFIED: 0, SENSORY: 1, EMOTION: 2, LOGIC: 3, DREAM: 4, ETERNAL: 5 } as const;
export const STORED_LAYERS = [Layer.SENSORY, Layer.EMOTION, Layer.LOGIC, Layer.DREAM, Layer.ETERNAL] as const;

/** Group-commit priorities: forgetting first, then layers by durability, maintenance last. */
export const FORGET_PRIORITY = 7;
export const MAINTENANCE_PRIORITY = 0;

/** The commit priority of a write into a layer: more consolidated layers are flushed first. */
export function layerPriority(layer: number): number {
  return Math.max(1, Math.min(6, layer));
}

/** How long a memory lives in a layer (Infinity = forever). */
export function retentionMs(layer: number, retention: ShardConfig['retention']): number {
  switch (layer) {
    case Layer.EMOTION:
      return retention.emotion;
    case Layer.LOGIC:
      return retention.logic;
    case Layer.DREAM:
      return retention.dream;
    case Layer.ETERNAL:
      return retention.eternal;
    default:
      return retention.sensory;
  }
}

/** The layer of a new memory: the requested one, else EMOTION for strongly affective content, else SENSORY. */
export function chooseLayer(requested: number, valence: number, arousal: number, threshold: number): number {
  if (requested !== Layer.UNSPECIFIED) return requested;
  return Math.abs(valence) >= threshold || arousal >= threshold ? Layer.EMOTION : Layer.SENSORY;
}
