/**
 * The promotion score: whether a memory has earned long-term storage. Its activation is ACT-R base-level
 * activation, computed where the access history lives (baseLevelActivation in @engram/cognition, which the
 * shard also ranks with).
 */

/** Inputs of {@link promotionScore}. */
export interface PromotionInputs {
  /** Base-level activation (log scale). */
  activation: number;
  /** How important the memory was judged to be, in [0, 1] (clamped). */
  importance: number;
  /** The learned feedback weight (multiplicative, 1 = neutral; see weights.ts). */
  feedbackWeight: number;
}

/** Coefficients of {@link promotionScore}. */
export interface PromotionOptions {
  /** α: how many units of activation full importance is worth. Default 1. */
  importanceWeight?: number;
  /** β: scale of ln(feedbackWeight). Default 1. */
  feedbackScale?: number;
}

/**
 * One number that decides whether a memory is promoted (e.g. from short- to long-term storage):
 *
 *   score = activation + α·importance + β·ln(feedbackWeight)
 *
 * All three terms live on ACT-R's log-odds scale: activation already does; importance in [0, 1] is a bounded
 * bonus of up to α units; and the feedback weight is multiplicative, so its logarithm is additive (a weight of e
 * is worth one unit of activation, a neutral weight of 1 adds nothing, and weights below 1 subtract). With the
 * default weight bounds [0.05, 5] the feedback term stays within [−3.0, +1.6]·β. A memory never presented has
 * activation −Infinity and so score −Infinity.
 */
export function promotionScore(inputs: PromotionInputs, options: PromotionOptions = {}): number {
  const alpha = options.importanceWeight ?? 1;
  const beta = options.feedbackScale ?? 1;
  const importance = Math.max(0, Math.min(1, Number.isFinite(inputs.importance) ? inputs.importance : 0));
  if (!(inputs.feedbackWeight > 0)) {
    throw new RangeError(`feedbackWeight must be positive, got ${inputs.feedbackWeight}`);
  }
  return inputs.activation + alpha * importance + beta * Math.log(inputs.feedbackWeight);
}

/** Whether a score clears the promotion threshold (inclusive); NaN never promotes. */
export function shouldPromote(score: number, threshold: number): boolean {
  return score >= threshold;
}
