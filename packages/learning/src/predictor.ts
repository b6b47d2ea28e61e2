import { patternKey } from '@engram/patterns';
import type { Element, Item, Sequence, SequentialPattern } from '@engram/patterns';
import { checkK, comparePredictions, normaliseContext } from './context.js';
import type { Context, NextItemPredictor, Prediction } from './context.js';
import { applyFeedback, initialWeight } from './weights.js';
import type { FeedbackOptions, WeightState } from './weights.js';

/**
 * Next-item prediction from sequential patterns, combined with learned weights.
 *
 * Rules. Every mined pattern of two or more elements is read as a rule antecedent → consequent: all elements but
 * the last are the antecedent, the items of the last element are the predicted items, and the rule's confidence
 * is support(pattern) / support(antecedent).
 *
 * Matching. An antecedent is active for a context when it occurs in the context's tail with the gap semantics of
 * the mining (each of its elements a subset of a context element, consecutive ones at most maxGap elements
 * apart) and its last element is at most maxGap elements before the end, so that the consequent may come next.
 * j is the number of context elements after its last match (0 when it is a suffix of the context). Optionally
 * (skipGap > 0) antecedents that only match when up to skipGap more elements are skipped form "skip contexts", a
 * weaker level of evidence below the exact ones (as in PPM with skip contexts).
 *
 * Combination: an interpolated variable-order model (like PPM or an all-k-order Markov model with back-off).
 * Active antecedents are grouped into levels by order o (the number of items in them; skip contexts form level
 * 0). Within a level the evidence is pooled; an antecedent matched at distance j counts γ^j (gapDecay: a match
 * further from the end says less about the very next item):
 *
 *   N_o = Σ γ^j · support(a)                     (a over the level's active antecedents)
 *   q_o(x) = Σ γ^j · w(a → x) · support(a) · conf(a → x)  /  Σ γ^j · support(a) · Σ_y conf(a → y)
 *
 * that is, confidences normalised over the items the level predicts: P(x | these antecedents, and something
 * follows), since sequences that end after an antecedent say nothing about what comes next. w is the learned
 * weight of the pattern (1 by default); it scales the rule's share in absolute terms, so a weight below 1 gives
 * mass back to the other items. Levels are blended from the bottom up, item frequency P₀ (the length-1
 * patterns) at the bottom:
 *
 *   P_o(x) = λ_o · q_o(x) + (1 − λ_o) · P_{o−1}(x),   λ_o = N_o / (N_o + κ)
 *
 * so a long antecedent seen in many sequences dominates, one seen rarely is shrunk toward shorter contexts (κ =
 * shrinkage, in sequences), and items no active rule predicts keep the mass of the lower levels. The blend is
 * multiplied by the learned item weights (and those of the length-1 patterns on P₀) and by the recency
 * calibration, then normalised to sum to 1 over all known items. With no active antecedent the prediction is
 * P₀: item frequency.
 *
 * Recency calibration ({@link PatternPredictor.calibrate}) learns from training sequences how often the next
 * item is one already in the context, by how recently it was seen there (distance 0 = in the last element, 1, …,
 * then "further back", then "not in the context"), against the probability the model gives each such class. The
 * ratios become one factor per class. Data whose items never repeat get factors near 0 for items already seen;
 * data that often return to recent items get factors above 1. Nothing is assumed about the data: without
 * calibration every factor is 1.
 */

/** Options of {@link PatternPredictor.build}. */
export interface PatternPredictorOptions {
  /** maxGap the patterns were mined with (undefined = unbounded); antecedents are matched with the same rule. */
  maxGap?: number;
  /**
   * How many of the context's last elements antecedents are searched in. Default: as far as the longest
   * antecedent can reach with maxGap, or 32 when the gap is unbounded.
   */
  contextWindow?: number;
  /** γ in (0, 1]: an antecedent whose match ends j elements before the end of the context counts γ^j. Default 0.5. */
  gapDecay?: number;
  /** κ ≥ 0 (in sequences): shrinkage of a level toward the lower ones, λ = N/(N + κ). Default 30. */
  shrinkage?: number;
  /**
   * Extra elements an antecedent may skip (beyond maxGap, inside it and before the end) to count as a skip
   * context, the weakest level of evidence. Default 0 (off). Ignored when maxGap is unbounded.
   */
  skipGap?: number;
  /** Learned weights of patterns by patternKey (multiplicative, 1 = neutral). */
  patternWeights?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Learned weights of items (multiplicative, 1 = neutral). */
  itemWeights?: ReadonlyMap<Item, number>;
  /** Recency calibration learned earlier ({@link PatternPredictor.calibrate}); default none. */
  calibration?: RecencyCalibration;
}

/**
 * Learned multiplicative factors by where the candidate item last occurred in the context: factors[d] for
 * distance d (0 = in the last element) for d < factors.length − 2, factors[length − 2] for anywhere further back,
 * and factors[length − 1] for not in the context. Plain numbers, serialisable.
 */
export interface RecencyCalibration {
  factors: number[];
}

/** Options of {@link PatternPredictor.calibrate}. */
export interface CalibrationOptions {
  /** Most prediction cases sampled (evenly) from the sequences. Default 20 000. */
  maxCases?: number;
  /** Distances told apart (0 … distances − 1); older occurrences share one class. Default 4. */
  distances?: number;
  /** Pseudo-count added to both observed and expected mass of a class, so rare classes stay near 1. Default 1. */
  smoothing?: number;
}

interface Group {
  elements: Element[];
  /** Items in the antecedent: its order. */
  order: number;
  /** Support of the antecedent (looked up, or estimated when the miner did not emit it). */
  support: number;
  /** Rules of this antecedent: ruleStart ≤ r < ruleEnd. */
  ruleStart: number;
  ruleEnd: number;
}

/** A rule while building: the predicted item, the pattern's support and key. */
interface RuleDraft {
  item: Item;
  support: number;
  key: string;
}

/** Whether sorted element `small` is a subset of sorted element `big`. */
function isSubset(small: Element, big: Element): boolean {
  if (small.length === 1) {
    const x = small[0]!;
    if (big.length === 1) return big[0] === x;
    for (const y of big) if (y === x) return true;
    return false;
  }
  let j = 0;
  for (const x of small) {
    while (j < big.length && big[j]! < x) j++;
    if (j === big.length || big[j] !== x) return false;
    j++;
  }
  return true;
}

function toMap<K, V>(m: ReadonlyMap<K, V> | Readonly<Record<string, V>> | undefined): Map<K, V> {
  if (!m) return new Map();
  if (m instanceof Map) return new Map(m);
  return new Map(Object.entries(m) as [K, V][]);
}

/**
 * Predicts the next items of a context from mined sequential patterns (see the module comment for the model).
 * Build once per pattern set with {@link PatternPredictor.build}; weights can be changed afterwards, cheaply.
 */
export class PatternPredictor implements NextItemPredictor {
  // Items, densely numbered.
  readonly #items: Item[] = [];
  readonly #index = new Map<Item, number>();
  /** Item frequency P₀ (normalised), the learned weight of each item's length-1 pattern, and the item weight. */
  #prior = new Float64Array(0);
  #priorPatternWeight = new Float64Array(0);
  #itemWeight = new Float64Array(0);
  #priorKeys: (string | undefined)[] = [];
  #priorSupport: number[] = [];
  readonly #priorByKey = new Map<string, number>();
  /** Items by P₀ × weights descending (ties by item), rebuilt when a weight that affects it changes. */
  #priorOrder: Int32Array | null = null;
  #priorMass = 0;

  // Rules, grouped by antecedent.
  readonly #groups: Group[] = [];
  #ruleItem = new Int32Array(0);
  #ruleSupport = new Float64Array(0);
  #ruleWeight = new Float64Array(0);
  readonly #ruleKeys: string[] = [];
  readonly #ruleByKey = new Map<string, number>();
  /**
   * Antecedents in a trie read backwards (last element first), so a context is matched from its end: node 0 is
   * the root; a node's label is one antecedent element, its group the antecedent ending there (−1 if none), its
   * children indexed by the smallest item of their label.
   */
  readonly #nodeLabel: Element[] = [[]];
  readonly #nodeGroup: number[] = [-1];
  readonly #nodeChildren: (Map<Item, number[]> | undefined)[] = [undefined];

  readonly #maxGap: number;
  readonly #window: number;
  readonly #gapDecay: number;
  readonly #shrinkage: number;
  readonly #skip: number;
  readonly #maxOrder: number;
  #calibration: number[] | null = null;

  // Scratch space for predict (single-threaded, reused to avoid allocation per call).
  #groupStamp = new Int32Array(0);
  #stamp = 0;
  #visited = new Set<number>();

  private constructor(options: PatternPredictorOptions, maxAntecedentElements: number, maxOrder: number) {
    const gap = options.maxGap;
    if (gap !== undefined && !(Number.isInteger(gap) && gap >= 0)) {
      throw new RangeError(`maxGap must be a non-negative integer or undefined, got ${gap}`);
    }
    this.#maxGap = gap ?? Infinity;
    // Far enough back for the longest antecedent with every gap (and the final one) at its widest.
    const widest = gap === undefined ? 0 : gap + (options.skipGap ?? 0) + 1;
    const defaultWindow = gap === undefined ? 32 : Math.max(1, (maxAntecedentElements + 1) * widest);
    this.#window = options.contextWindow ?? defaultWindow;
    if (!(Number.isInteger(this.#window) && this.#window >= 1)) {
      throw new RangeError(`contextWindow must be a positive integer, got ${options.contextWindow}`);
    }
    this.#gapDecay = options.gapDecay ?? 0.5;
    if (!(this.#gapDecay > 0 && this.#gapDecay <= 1)) {
      throw new RangeError(`gapDecay must be in (0, 1], got ${options.gapDecay}`);
    }
    this.#shrinkage = options.shrinkage ?? 30;
    if (!(this.#shrinkage >= 0 && Number.isFinite(this.#shrinkage))) {
      throw new RangeError(`shrinkage must be a finite number >= 0, got ${options.shrinkage}`);
    }
    this.#maxOrder = maxOrder;
    this.#skip = options.skipGap ?? 0;
    if (!(Number.isInteger(this.#skip) && this.#skip >= 0)) {
      throw new RangeError(`skipGap must be a non-negative integer, got ${options.skipGap}`);
    }
  }

  /**
   * Indexes a pattern set (as a miner emits it: every frequent pattern, including the length-1 ones and the
   * antecedents of longer ones). An antecedent the set lacks gets, as its support, the sum of its rules' supports
   * (what the rules themselves prove, so their confidences stay ≤ 1); an item without a length-1 pattern gets the
   * largest support of a pattern it is in. For each antecedent and predicted item only the best-supported pattern
   * is used (a pattern ending in {x} and one ending in {x, y} mostly count the same sequences). Runs in
   * O(total pattern size + rules·log rules).
   */
  static build(patterns: readonly SequentialPattern[], options: PatternPredictorOptions = {}): PatternPredictor {
    const support = new Map<string, number>();
    const itemSupport = new Map<Item, number>();
    const singleKeys = new Map<Item, string>();
    const byAntecedent = new Map<string, { elements: Element[]; rules: RuleDraft[] }>();
    let maxAntecedentElements = 1;
    let maxOrder = 0;
    for (const p of patterns) {
      if (p.elements.length === 0 || p.elements.some((e) => e.length === 0)) continue; // not a valid pattern
      const key = patternKey(p);
      support.set(key, p.support);
      for (const e of p.elements) for (const x of e) itemSupport.set(x, Math.max(itemSupport.get(x) ?? 0, p.support));
      if (p.elements.length === 1) {
        if (p.elements[0]!.length === 1) singleKeys.set(p.elements[0]![0]!, key);
        continue;
      }
      const antecedent = p.elements.slice(0, -1);
      const aKey = patternKey({ elements: antecedent });
      let g = byAntecedent.get(aKey);
      if (!g) byAntecedent.set(aKey, (g = { elements: antecedent, rules: [] }));
      for (const x of p.elements.at(-1)!) g.rules.push({ item: x, support: p.support, key });
      maxAntecedentElements = Math.max(maxAntecedentElements, antecedent.length);
    }
    // Length-1 patterns give exact item supports; the max over containing patterns is only a lower bound.
    for (const p of patterns) {
      if (p.elements.length === 1 && p.elements[0]!.length === 1) itemSupport.set(p.elements[0]![0]!, p.support);
    }

    const groupCount = byAntecedent.size;
    let ruleCount = 0;
    for (const g of byAntecedent.values()) ruleCount += g.rules.length;
    for (const g of byAntecedent.values()) {
      let order = 0;
      for (const e of g.elements) order += e.length;
      maxOrder = Math.max(maxOrder, order);
    }

    const self = new PatternPredictor(options, maxAntecedentElements, maxOrder);
    const items = [...itemSupport.keys()].sort((a, b) => a - b);
    const n = items.length;
    self.#prior = new Float64Array(n);
    self.#priorPatternWeight = new Float64Array(n).fill(1);
    self.#itemWeight = new Float64Array(n).fill(1);
    self.#priorKeys = new Array(n);
    let total = 0;
    for (const x of items) total += itemSupport.get(x)!;
    for (let i = 0; i < n; i++) {
      const x = items[i]!;
      self.#items.push(x);
      self.#index.set(x, i);
      self.#prior[i] = total > 0 ? itemSupport.get(x)! / total : 1 / n;
      const single = singleKeys.get(x);
      self.#priorSupport[i] = itemSupport.get(x)!;
      self.#priorKeys[i] = single;
      if (single !== undefined) self.#priorByKey.set(single, i);
    }

    self.#ruleItem = new Int32Array(ruleCount);
    self.#ruleSupport = new Float64Array(ruleCount);
    self.#ruleWeight = new Float64Array(ruleCount).fill(1);
    self.#groupStamp = new Int32Array(groupCount);
    // Groups in a fixed order (by antecedent key) so results never depend on the input order of the patterns.
    const aKeys = [...byAntecedent.keys()].sort();
    let r = 0;
    for (const aKey of aKeys) {
      const g = byAntecedent.get(aKey)!;
      g.rules.sort((a, b) => a.item - b.item || b.support - a.support || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const ruleStart = r;
      let ruleTotal = 0;
      for (let j = 0; j < g.rules.length; j++) {
        const rule = g.rules[j]!;
        // One rule per item: the best-supported pattern. Others whose last element is a larger itemset with the
        // item count a subset of the same sequences again, so adding them would count evidence twice.
        if (j > 0 && g.rules[j - 1]!.item === rule.item) continue;
        self.#ruleItem[r] = self.#index.get(rule.item)!;
        self.#ruleSupport[r] = rule.support;
        self.#ruleKeys.push(rule.key);
        if (!self.#ruleByKey.has(rule.key)) self.#ruleByKey.set(rule.key, r);
        ruleTotal += rule.support;
        r++;
      }
      let order = 0;
      for (const e of g.elements) order += e.length;
      const id = self.#groups.length;
      const antecedentSupport = support.get(aKey) ?? ruleTotal;
      self.#groups.push({ elements: g.elements, order, support: antecedentSupport, ruleStart, ruleEnd: r });
      self.#nodeGroup[self.#insert(g.elements)] = id;
    }

    for (const [key, w] of toMap<string, number>(options.patternWeights)) self.setPatternWeight(key, w);
    for (const [item, w] of toMap<Item, number>(options.itemWeights)) self.setItemWeight(item, w);
    if (options.calibration) self.setCalibration(options.calibration);
    return self;
  }

  /** Number of items the predictor knows (those in at least one pattern). */
  get itemCount(): number {
    return this.#items.length;
  }

  /** Number of rules: (antecedent, predicted item) pairs, each from the best-supported pattern for it. */
  get ruleCount(): number {
    return this.#ruleKeys.length;
  }

  /**
   * Sets the learned weight of a pattern (by patternKey): a rule's evidence, or for a length-1 pattern the item's
   * frequency, is multiplied by it. Unknown keys are ignored (returns false). Throws RangeError unless weight > 0.
   */
  setPatternWeight(key: string, weight: number): boolean {
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new RangeError(`pattern weight must be positive, got ${weight}`);
    }
    let found = false;
    const first = this.#ruleByKey.get(key);
    if (first !== undefined) {
      // A key names one pattern, but an itemset consequent yields one rule per item, all in the same group.
      const g = this.#groupOfRule(first);
      for (let r = g.ruleStart; r < g.ruleEnd; r++) if (this.#ruleKeys[r] === key) this.#ruleWeight[r] = weight;
      found = true;
    }
    const i = this.#priorByKey.get(key);
    if (i !== undefined) {
      this.#priorPatternWeight[i] = weight;
      this.#priorOrder = null;
      found = true;
    }
    return found;
  }

  /** Support of a pattern the predictor was built from (by patternKey), or undefined if it has no such pattern. */
  patternSupport(key: string): number | undefined {
    const r = this.#ruleByKey.get(key);
    if (r !== undefined) return this.#ruleSupport[r]!;
    const i = this.#priorByKey.get(key);
    return i !== undefined ? this.#priorSupport[i] : undefined;
  }

  /** The learned weight of a pattern (1 if never set or unknown). */
  patternWeight(key: string): number {
    const r = this.#ruleByKey.get(key);
    if (r !== undefined) return this.#ruleWeight[r]!;
    const i = this.#priorByKey.get(key);
    return i !== undefined ? this.#priorPatternWeight[i]! : 1;
  }

  /** Sets the learned weight of an item (multiplies its probability). Unknown items are ignored (returns false). */
  setItemWeight(item: Item, weight: number): boolean {
    if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`item weight must be positive, got ${weight}`);
    const i = this.#index.get(item);
    if (i === undefined) return false;
    this.#itemWeight[i] = weight;
    this.#priorOrder = null;
    return true;
  }

  /** Uses a recency calibration (learned by {@link calibrate}, possibly on another instance); null removes it. */
  setCalibration(calibration: RecencyCalibration | null): void {
    if (calibration === null) {
      this.#calibration = null;
      return;
    }
    const f = calibration.factors;
    if (f.length < 2 || !f.every((x) => x >= 0 && Number.isFinite(x))) {
      throw new RangeError('calibration needs at least 2 finite non-negative factors');
    }
    this.#calibration = [...f];
  }

  #groupOfRule(r: number): Group {
    let lo = 0;
    let hi = this.#groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#groups[mid]!.ruleStart <= r) lo = mid;
      else hi = mid - 1;
    }
    return this.#groups[lo]!;
  }

  /** Items by weighted prior descending, then item ascending; recomputed lazily after weight changes. */
  #ensurePriorOrder(): Int32Array {
    if (this.#priorOrder) return this.#priorOrder;
    const n = this.#items.length;
    const score = new Float64Array(n);
    let mass = 0;
    for (let i = 0; i < n; i++) {
      score[i] = this.#prior[i]! * this.#priorPatternWeight[i]! * this.#itemWeight[i]!;
      mass += score[i]!;
    }
    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => score[b]! - score[a]! || this.#items[a]! - this.#items[b]!);
    this.#priorOrder = order;
    this.#priorMass = mass;
    return order;
  }

  /** The trie node of an antecedent (created if missing), walking its elements from the last. */
  #insert(elements: readonly Element[]): number {
    let node = 0;
    for (let i = elements.length - 1; i >= 0; i--) {
      const label = elements[i]!;
      let children = this.#nodeChildren[node];
      if (!children) this.#nodeChildren[node] = children = new Map();
      let list = children.get(label[0]!);
      if (!list) children.set(label[0]!, (list = []));
      const key = label.join(' ');
      let child = list.find((c) => this.#nodeLabel[c]!.join(' ') === key);
      if (child === undefined) {
        child = this.#nodeLabel.length;
        this.#nodeLabel.push(label);
        this.#nodeGroup.push(-1);
        this.#nodeChildren.push(undefined);
        list.push(child);
      }
      node = child;
    }
    return node;
  }

  /**
   * Calls found(node) for every trie node whose label matches a context element in [from, to] (positions
   * descending), then continues backward from it with the gap bound. A (node, position) pair is walked once.
   */
  #walk(
    ctx: readonly Element[],
    node: number,
    from: number,
    to: number,
    lo: number,
    gap: number,
    found: (node: number) => void,
  ): void {
    const children = this.#nodeChildren[node];
    if (!children) return;
    const width = ctx.length + 1;
    for (let p = to; p >= from; p--) {
      for (const x of ctx[p]!) {
        const list = children.get(x);
        if (!list) continue;
        for (const child of list) {
          if (!isSubset(this.#nodeLabel[child]!, ctx[p]!)) continue;
          const key = child * width + p;
          if (this.#visited.has(key)) continue;
          this.#visited.add(key);
          found(child);
          if (p > lo) this.#walk(ctx, child, gap === Infinity ? lo : Math.max(lo, p - 1 - gap), p - 1, lo, gap, found);
        }
      }
    }
  }

  /**
   * The k most probable next items after the context (oldest element first), sorted by probability descending
   * then item ascending. Each carries the keys of the patterns that support it (rules strongest first; for an
   * item predicted by frequency alone, its length-1 pattern). Deterministic.
   */
  predict(context: Context, k: number): Prediction[] {
    checkK(k);
    if (k === 0 || this.#items.length === 0) return [];
    const ctx = normaliseContext(context);
    const dist = this.#distribution(ctx);
    return this.#topK(dist, k);
  }

  /** The full (unnormalised parts of the) distribution after ctx; shared by predict and calibrate. */
  #distribution(ctx: readonly Element[]): Distribution {
    const end = ctx.length;
    const lo = Math.max(0, end - this.#window);
    if (++this.#stamp === 0x7fffffff) {
      this.#groupStamp.fill(0);
      this.#stamp = 1;
    }
    const levels = this.#maxOrder + 1; // 0 = skip contexts, o ≥ 1 = antecedents of o items
    const evidence = new Float64Array(levels); // N_o
    const rawMass = new Float64Array(levels); // Σ of the level's rule mass before learned weights
    // Pooled rule mass per level and item: sparse, as few items are touched.
    const mass: Map<number, number>[] = Array.from({ length: levels }, () => new Map());
    const contributions: { order: number; item: number; rule: number; amount: number }[] = [];
    const scan = (gap: number, strict: boolean): void => {
      this.#visited.clear();
      const lastQ = gap === Infinity ? lo : Math.max(lo, end - 1 - gap);
      // Matches nearest the end first, so an antecedent is counted once, at its smallest distance j.
      for (let q = end - 1; q >= lastQ; q--) {
        const w = Math.pow(this.#gapDecay, end - 1 - q);
        this.#walk(ctx, 0, q, q, lo, gap, (node) => {
          const id = this.#nodeGroup[node]!;
          if (id < 0 || this.#groupStamp[id] === this.#stamp) return;
          this.#groupStamp[id] = this.#stamp;
          const g = this.#groups[id]!;
          const level = strict ? g.order : 0;
          evidence[level] += w * g.support;
          const m = mass[level]!;
          for (let r = g.ruleStart; r < g.ruleEnd; r++) {
            const raw = w * this.#ruleSupport[r]!;
            rawMass[level] += raw;
            const amount = raw * this.#ruleWeight[r]!;
            const item = this.#ruleItem[r]!;
            m.set(item, (m.get(item) ?? 0) + amount);
            contributions.push({ order: level, item, rule: r, amount });
          }
        });
      }
    };
    scan(this.#maxGap, true);
    if (this.#skip > 0 && this.#maxGap !== Infinity) scan(this.#maxGap + this.#skip, false);

    // Blend levels from the highest down: coef[o] turns level o's pooled mass into its share of the result.
    const coef = new Float64Array(levels);
    let remaining = 1;
    for (let o = levels - 1; o >= 0; o--) {
      const n = evidence[o]!;
      // Normalised by the mass before learned weights, so a weight scales its rule's share in absolute terms
      // (a lone rule with weight 0.5 gives its item half the level's share, not all of it).
      const sum = rawMass[o]!;
      if (!(n > 0 && sum > 0)) continue;
      const lambda = n / (n + this.#shrinkage);
      coef[o] = (remaining * lambda) / sum;
      remaining *= 1 - lambda;
    }
    // score(i) = remaining·P₀(i)·w₀(i) + Σ_o coef[o]·mass_o(i), later times item weight and calibration.
    const rule = new Map<number, number>();
    for (let o = 0; o < levels; o++) {
      const f = coef[o]!;
      if (f === 0) continue;
      for (const [i, v] of mass[o]!) rule.set(i, (rule.get(i) ?? 0) + f * v);
    }
    for (const c of contributions) c.amount *= coef[c.order]!;
    return { ctx, priorShare: remaining, rule, contributions };
  }

  /** Recency class of every item in the context: index into the calibration factors. */
  #contextClasses(ctx: readonly Element[], classes: number): Map<number, number> {
    const out = new Map<number, number>();
    const further = classes - 2;
    for (let p = ctx.length - 1; p >= 0; p--) {
      const d = Math.min(ctx.length - 1 - p, further);
      for (const x of ctx[p]!) {
        const i = this.#index.get(x);
        if (i !== undefined && !out.has(i)) out.set(i, d);
      }
    }
    return out;
  }

  /** Uncalibrated score of item i: (prior share of P₀·w₀ + blended rule mass) × item weight. */
  #baseScore(d: Distribution, i: number): number {
    const prior = d.priorShare * this.#prior[i]! * this.#priorPatternWeight[i]!;
    return (prior + (d.rule.get(i) ?? 0)) * this.#itemWeight[i]!;
  }

  /** Σ over all items of the uncalibrated score: the whole weighted prior plus the rule mass. */
  #baseTotal(d: Distribution): number {
    let z = d.priorShare * this.#priorMass;
    for (const [i, v] of d.rule) z += v * this.#itemWeight[i]!;
    return z;
  }

  #topK(d: Distribution, k: number): Prediction[] {
    const order = this.#ensurePriorOrder();
    const cal = this.#calibration;
    const absent = cal ? cal[cal.length - 1]! : 1;
    const classes = cal ? this.#contextClasses(d.ctx, cal.length) : new Map<number, number>();
    // Normaliser: every item at the "absent" factor, corrected for the items in the context.
    let z = absent * this.#baseTotal(d);
    for (const [i, c] of classes) z += (cal![c]! - absent) * this.#baseScore(d, i);
    const scored: { i: number; s: number }[] = [];
    for (const i of d.rule.keys()) {
      const c = classes.get(i);
      scored.push({ i, s: this.#baseScore(d, i) * (c === undefined ? absent : cal![c]!) });
    }
    for (const [i, c] of classes) if (!d.rule.has(i)) scored.push({ i, s: this.#baseScore(d, i) * cal![c]! });
    // Of the other items (prior alone, absent factor) only the k best can make the top k.
    let added = 0;
    for (let j = 0; j < order.length && added < k; j++) {
      const i = order[j]!;
      if (d.rule.has(i) || classes.has(i)) continue;
      scored.push({ i, s: this.#baseScore(d, i) * absent });
      added += 1;
    }
    if (!(z > 0)) z = 1;
    const preds = scored.map(({ i, s }) => ({ item: this.#items[i]!, probability: s / z, i }));
    preds.sort(comparePredictions);
    const top = preds.slice(0, k);
    // Supporting patterns of the chosen items, strongest contribution first.
    const wanted = new Map<number, { key: string; amount: number }[]>();
    for (const p of top) wanted.set(p.i, []);
    for (const c of d.contributions) wanted.get(c.item)?.push({ key: this.#ruleKeys[c.rule]!, amount: c.amount });
    return top.map((p) => {
      const list = wanted.get(p.i)!;
      list.sort((a, b) => b.amount - a.amount || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const keys = [...new Set(list.map((c) => c.key))];
      const single = this.#priorKeys[p.i];
      if (keys.length === 0 && single !== undefined) keys.push(single);
      return { item: p.item, probability: p.probability, patterns: keys };
    });
  }

  /**
   * Learns the recency calibration from sequences (see the module comment) and starts using it. For evenly
   * sampled positions i ≥ 1 it predicts element i from the elements before i, and per recency class compares the
   * observed number of true next items with the probability the uncalibrated model gave the class:
   * factor = (observed + s) / (expected + s). Sequences not used for mining are best; the training sequences
   * work when the classes differ strongly (on them the model is overconfident, so factors are conservative).
   * Deterministic. Returns the calibration, to store or to pass to other instances.
   */
  calibrate(training: readonly Sequence[], options: CalibrationOptions = {}): RecencyCalibration {
    const maxCases = options.maxCases ?? 20_000;
    const distances = options.distances ?? 4;
    const s = options.smoothing ?? 1;
    if (!(Number.isInteger(distances) && distances >= 1)) throw new RangeError(`distances must be a positive integer`);
    const classes = distances + 2;
    const absent = classes - 1;
    let positions = 0;
    for (const seq of training) positions += Math.max(0, seq.length - 1);
    const stride = Math.max(1, Math.floor(positions / Math.max(1, maxCases)));
    const observed = new Float64Array(classes);
    const expected = new Float64Array(classes);
    const saved = this.#calibration;
    this.#calibration = null;
    this.#ensurePriorOrder();
    let seen = 0;
    for (const seq of training) {
      for (let pos = 1; pos < seq.length; pos++) {
        if (seen++ % stride !== 0) continue;
        // The whole prefix (bounded for pathological lengths), as recency classes look at all of it.
        const ctx = seq.slice(Math.max(0, pos - 1024), pos);
        const d = this.#distribution(ctx);
        const cls = this.#contextClasses(ctx, classes);
        const z = this.#baseTotal(d);
        if (!(z > 0)) continue;
        let inContext = 0;
        for (const [i, c] of cls) {
          const share = this.#baseScore(d, i) / z;
          expected[c] += share;
          inContext += share;
        }
        expected[absent] += 1 - inContext;
        const next = seq[pos]!;
        for (const x of next) {
          const i = this.#index.get(x);
          if (i === undefined) continue; // an item no pattern knows: no model could have predicted it
          observed[cls.get(i) ?? absent] += 1 / next.length;
        }
      }
    }
    this.#calibration = saved;
    const calibration = { factors: Array.from(observed, (o, c) => (o + s) / (expected[c]! + s)) };
    this.setCalibration(calibration);
    return calibration;
  }
}

interface Distribution {
  ctx: readonly Element[];
  /** Share of P₀ in the blend (the mass no order claimed). */
  priorShare: number;
  /** Blended rule mass per item index. */
  rule: Map<number, number>;
  /** Per rule, its share of the blended mass of its item (for listing supporting patterns). */
  contributions: { order: number; item: number; rule: number; amount: number }[];
}

/** Options of {@link reinforcePatterns}. */
export interface ReinforceOptions extends FeedbackOptions {
  /**
   * Seeds a pattern's first weight state with this much prior evidence ({@link initialWeight}), e.g. a multiple of
   * its support from {@link PatternPredictor.patternSupport}. Default: none (every new weight starts at η).
   */
  priorEvidence?: (key: string) => number;
}

/**
 * Applies one reward to every pattern that supported a prediction: each pattern's weight state (kept by the
 * caller, e.g. in a shard's store) gets {@link applyFeedback}, and the predictor starts using the new weights.
 * Returns the updated states of the patterns touched.
 */
export function reinforcePatterns(
  predictor: PatternPredictor,
  states: Map<string, WeightState>,
  patternKeys: readonly string[],
  reward: number,
  nowMs: number,
  options: ReinforceOptions = {},
): Map<string, WeightState> {
  const updated = new Map<string, WeightState>();
  for (const key of new Set(patternKeys)) {
    const state = states.get(key) ?? initialWeight(options.priorEvidence?.(key) ?? 0);
    const next = applyFeedback(state, reward, nowMs, options);
    states.set(key, next);
    predictor.setPatternWeight(key, next.weight);
    updated.set(key, next);
  }
  return updated;
}
