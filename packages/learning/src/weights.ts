/**
 * Feedback learning with an adaptive learning rate (AdaGrad in log space).
 *
 * A weight is multiplicative around 1 (1 = no opinion). It is learned in log space, w = ln(weight), so a reward
 * scales the weight rather than shifting it and rewards of opposite sign pull by the same factor. Each feedback
 * is one AdaGrad step of gradient ascent on the reward:
 *
 *   G ← G·decay                      (decay = 0.5^(elapsed/halfLifeMs) with a half-life, otherwise 1)
 *   w ← clamp(w + η·r / √(1 + G), ln minWeight, ln maxWeight)
 *   G ← G + r²                       (G: the sum of past squared rewards)
 *
 * With |r| = 1 the n-th step is η/√n: the first feedback scales the weight by e^η (≈1.65 with the default
 * η = 0.5), the hundredth by e^(η/10). Early evidence counts a lot, later evidence refines; a weaker reward takes
 * a proportionally smaller step. Steps are at most η and the weight is clamped, so no sequence of rewards can
 * push it outside [minWeight, maxWeight].
 *
 * With `halfLifeMs`, G decays between updates, so an item that has not had feedback for a long time becomes
 * adaptable again (its preferences may have changed); without it, G only grows.
 *
 * Everything here is pure and deterministic; a {@link WeightState} holds numbers only, so it can be stored as is
 * (JSON, a protobuf message of doubles).
 */

/** The learned state of one weight: numbers only, safe to serialise. */
export interface WeightState {
  /** The multiplicative weight, in [minWeight, maxWeight]; 1 means neutral. */
  weight: number;
  /** AdaGrad accumulator: the (possibly decayed) sum of squared rewards seen so far. */
  sumSquaredGradients: number;
  /** How many feedbacks were applied. */
  updates: number;
  /** When the last feedback was applied (ms since the epoch), 0 before any. */
  lastUpdatedMs: number;
}

/** Tuning of {@link applyFeedback}; every field has a default. */
export interface FeedbackOptions {
  /** Base learning rate η in log space: the first unit reward scales the weight by e^η. Default 0.5. */
  learningRate?: number;
  /** Lower bound of the weight. Default 0.05. */
  minWeight?: number;
  /** Upper bound of the weight. Default 5. */
  maxWeight?: number;
  /**
   * If set, the gradient accumulator halves every halfLifeMs without feedback, so the learning rate recovers
   * for weights whose evidence is old. Default: no decay.
   */
  halfLifeMs?: number;
}

const DEFAULTS = { learningRate: 0.5, minWeight: 0.05, maxWeight: 5 } as const;

/** Options with defaults filled in and checked. */
interface Resolved {
  learningRate: number;
  minWeight: number;
  maxWeight: number;
  halfLifeMs: number | undefined;
}

function resolve(options: FeedbackOptions): Resolved {
  const learningRate = options.learningRate ?? DEFAULTS.learningRate;
  const minWeight = options.minWeight ?? DEFAULTS.minWeight;
  const maxWeight = options.maxWeight ?? DEFAULTS.maxWeight;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new RangeError(`learningRate must be a positive finite number, got ${learningRate}`);
  }
  if (!(minWeight > 0 && minWeight <= 1 && maxWeight >= 1 && Number.isFinite(maxWeight))) {
    throw new RangeError(`need 0 < minWeight <= 1 <= maxWeight < Infinity, got [${minWeight}, ${maxWeight}]`);
  }
  if (options.halfLifeMs !== undefined && !(options.halfLifeMs > 0)) {
    throw new RangeError(`halfLifeMs must be positive, got ${options.halfLifeMs}`);
  }
  return { learningRate, minWeight, maxWeight, halfLifeMs: options.halfLifeMs };
}

/**
 * The state of a weight that has had no feedback: weight 1. `priorEvidence` (default 0) seeds the accumulator as
 * if that many unit rewards had already been seen, so the first step is η/√(1 + priorEvidence) instead of η:
 * use it when the weighted thing already rests on evidence (e.g. a pattern's support), so that one feedback
 * cannot overturn hundreds of observations.
 */
export function initialWeight(priorEvidence = 0): WeightState {
  if (!(priorEvidence >= 0 && Number.isFinite(priorEvidence))) {
    throw new RangeError(`priorEvidence must be a finite number >= 0, got ${priorEvidence}`);
  }
  return { weight: 1, sumSquaredGradients: priorEvidence, updates: 0, lastUpdatedMs: 0 };
}

/** The accumulator as of nowMs: decayed by the half-life since the last update, if one is configured. */
function decayedAccumulator(state: WeightState, nowMs: number, halfLifeMs: number | undefined): number {
  if (halfLifeMs === undefined || state.updates === 0) return state.sumSquaredGradients;
  const elapsed = Math.max(0, nowMs - state.lastUpdatedMs); // clocks may step back; never grow G by decaying
  return state.sumSquaredGradients * Math.pow(0.5, elapsed / halfLifeMs);
}

/**
 * Applies one feedback: reward in [-1, 1] (positive = the thing helped, negative = it misled; values outside are
 * clamped), observed at nowMs. Returns a new state; the input is not modified. A reward of 0 counts as an update
 * but moves nothing. Throws RangeError on a non-finite reward or invalid options.
 */
export function applyFeedback(
  state: WeightState,
  reward: number,
  nowMs: number,
  options: FeedbackOptions = {},
): WeightState {
  if (!Number.isFinite(reward)) throw new RangeError(`reward must be finite, got ${reward}`);
  const o = resolve(options);
  const r = Math.max(-1, Math.min(1, reward));
  const g = decayedAccumulator(state, nowMs, o.halfLifeMs);
  const lo = Math.log(o.minWeight);
  const hi = Math.log(o.maxWeight);
  // A stored weight is positive by construction; guard anyway so a corrupt 0 cannot produce -Infinity.
  const w = Math.log(Math.max(state.weight, o.minWeight));
  const next = Math.max(lo, Math.min(hi, w + (o.learningRate * r) / Math.sqrt(1 + g)));
  return { weight: Math.exp(next), sumSquaredGradients: g + r * r, updates: state.updates + 1, lastUpdatedMs: nowMs };
}

/**
 * The step (in log space) that the next unit reward would take: η/√(1 + G). It equals η before any feedback and
 * is η/√(n + 1) after n unit rewards. Pass nowMs (with a half-life) to see the rate as decayed by then.
 */
export function effectiveLearningRate(state: WeightState, options: FeedbackOptions & { nowMs?: number } = {}): number {
  const o = resolve(options);
  const g =
    options.nowMs === undefined ? state.sumSquaredGradients : decayedAccumulator(state, options.nowMs, o.halfLifeMs);
  return o.learningRate / Math.sqrt(g + 1);
}

/**
 * Reads a stored weight state back (e.g. from JSON or a protobuf message), checking every field. Throws a
 * TypeError naming the first bad field, so a corrupt record is not silently treated as neutral.
 */
export function parseWeightState(value: unknown): WeightState {
  if (typeof value !== 'object' || value === null) throw new TypeError('weight state must be an object');
  const v = value as Record<string, unknown>;
  const num = (field: keyof WeightState, ok: (x: number) => boolean): number => {
    const x = v[field];
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) {
      throw new TypeError(`weight state: bad ${field}: ${String(x)}`);
    }
    return x;
  };
  return {
    weight: num('weight', (x) => x > 0),
    sumSquaredGradients: num('sumSquaredGradients', (x) => x >= 0),
    updates: num('updates', (x) => Number.isInteger(x) && x >= 0),
    lastUpdatedMs: num('lastUpdatedMs', () => true),
  };
}
