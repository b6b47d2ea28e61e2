#!/usr/bin/env node
// Next-item prediction on the public sequence datasets: the engine's PatternPredictor (PrefixSpan patterns +
// recency calibration) against two baselines, most-frequent-item and first-order Markov, plus the engine with
// online feedback learning. Build first: npx tsc -b packages/learning.
//
// Protocol, identical for every model: every 5th sequence (index % 5 == 4) is held out, the rest is training
// data (mining, calibration and baseline counts). For each held-out sequence, in file order, every position i ≥ 1
// is one case: the model sees elements 0..i−1 and must rank element i; hit@k = the true item is among the top k.
// Cases are taken in that order until --max-cases per dataset.
//
// Exits 1 unless the engine beats both baselines on hit@1 and hit@5 on every dataset run.
//
// Usage: node bench/predict.mjs [--max-cases N=20000] [--dataset msnbc|sign-cpt|bms1]
import { readFileSync } from 'node:fs';
import { parseLines, prefixSpan, datasetPath } from '@engram/patterns';
import { FirstOrderMarkov, MostFrequentItem, PatternPredictor, reinforcePatterns } from '@engram/learning';

// Mining parameters per dataset, chosen so mining takes well under a few seconds on 2 cores:
// - msnbc: 17 categories and long click streams; contiguous patterns (maxGap 0) up to 8 items are a
//   variable-order Markov model.
// - sign-cpt: items never repeat and are loosely ordered, so patterns may skip up to 2 elements.
// - bms1: short sessions over 497 items where the immediate predecessor says most; contiguous patterns, and
//   every pattern counts (support 1), like the Markov baseline's transition counts.
const DATASETS = {
  msnbc: { file: 'msnbc.txt', mining: { minSupport: 5, maxLength: 8, maxGap: 0 } },
  'sign-cpt': { file: 'sign-cpt.txt', mining: { minSupport: 5, maxLength: 3, maxGap: 2 } },
  bms1: { file: 'bms1.txt', mining: { minSupport: 1, maxLength: 4, maxGap: 0 } },
};
// Predictor options: the same for every dataset.
const PREDICTOR = { skipGap: 4, shrinkage: 30, gapDecay: 0.5 };

function parseArgs(argv) {
  const out = { maxCases: 20_000, datasets: Object.keys(DATASETS) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--max-cases') {
      out.maxCases = Number(value());
      if (!Number.isInteger(out.maxCases) || out.maxCases < 1) {
        throw new Error('--max-cases must be a positive integer');
      }
    } else if (a === '--dataset') {
      const name = value().replace(/\.txt$/, '');
      if (!Object.hasOwn(DATASETS, name)) throw new Error(`unknown dataset ${name}; one of ${Object.keys(DATASETS).join(', ')}`);
      out.datasets = [name];
    } else {
      throw new Error(`unknown argument ${a}; usage: node bench/predict.mjs [--max-cases N] [--dataset name]`);
    }
  }
  return out;
}

function evaluate(model, cases) {
  let h1 = 0;
  let h5 = 0;
  const hits5 = new Uint8Array(cases.length); // per case, for the paired comparison
  cases.forEach(({ context, next }, c) => {
    const top = model.predict(context, 5);
    if (top[0]?.item === next) h1++;
    if (top.some((p) => p.item === next)) hits5[c] = 1;
  });
  for (const h of hits5) h5 += h;
  return { hit1: h1 / cases.length, hit5: h5 / cases.length, hits5 };
}

// Paired comparison on hit@5: cases only one of the two models gets, and the sign-test z of the difference.
function discordant(a, b) {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) onlyA++;
    if (b[i] && !a[i]) onlyB++;
  }
  const z = onlyA + onlyB > 0 ? (onlyA - onlyB) / Math.sqrt(onlyA + onlyB) : 0;
  return `${onlyA} cases only the engine gets in its top 5, ${onlyB} only Markov does (sign test z = ${z.toFixed(1)})`;
}

// Online feedback: after each prediction, the patterns behind the top item get a reward (AdaGrad weights, see
// weights.ts) before the next case is predicted; time advances 1 s per case. `reward` maps (right, probability
// of the top item) to [-1, 1]: ±1 as the issue asks, or 1 − p / −p, which is 0 in expectation when the model's
// probability is calibrated, so only patterns that do better or worse than they claim move.
function evaluateWithFeedback(model, cases, reward) {
  const states = new Map();
  // A pattern's first weight state counts its support as prior evidence, so one reward cannot overturn what its
  // training sequences showed: the n-th step is η/√(1 + support + n − 1) rather than η/√n.
  const options = { priorEvidence: (key) => model.patternSupport(key) ?? 0 };
  let h1 = 0;
  let h5 = 0;
  let now = 0;
  for (const { context, next } of cases) {
    const top = model.predict(context, 5);
    const right = top[0]?.item === next;
    if (right) h1++;
    if (top.some((p) => p.item === next)) h5++;
    if (!top[0]) continue;
    reinforcePatterns(model, states, top[0].patterns, reward(right, top[0].probability), (now += 1000), options);
  }
  return { hit1: h1 / cases.length, hit5: h5 / cases.length, weights: states.size };
}

const fmt = (x) => x.toFixed(4);
const signed = (x) => `${x >= 0 ? '+' : ''}${fmt(x)}`;
const ms = (t0) => `${Math.round(performance.now() - t0)} ms`;

/** Held-out cases in file order: every position i ≥ 1 of every held-out sequence, until maxCases. */
function heldOutCases(test, maxCases) {
  const cases = [];
  for (const seq of test) {
    for (let i = 1; i < seq.length; i++) {
      if (cases.length === maxCases) return cases;
      cases.push({ context: seq.slice(0, i), next: seq[i][0] });
    }
  }
  return cases;
}

function runDataset(name, maxCases) {
  const { file, mining } = DATASETS[name];
  let t0 = performance.now();
  const db = parseLines(readFileSync(datasetPath(file), 'utf8'));
  const train = db.filter((_, i) => i % 5 !== 4);
  const test = db.filter((_, i) => i % 5 === 4);
  const cases = heldOutCases(test, maxCases);
  const split = `${train.length} training, ${test.length} held out`;
  console.log(`\n${name}: ${db.length} sequences (${split}), ${cases.length} cases`);

  t0 = performance.now();
  const patterns = prefixSpan(train, mining);
  console.log(`  prefixSpan ${JSON.stringify(mining)}: ${patterns.length} patterns in ${ms(t0)}`);
  t0 = performance.now();
  const build = () => PatternPredictor.build(patterns, { maxGap: mining.maxGap, ...PREDICTOR });
  const uncalibrated = build();
  const engine = build();
  const calibration = engine.calibrate(train);
  const factors = calibration.factors.map((f) => f.toFixed(3)).join(', ');
  console.log(`  predictor ${JSON.stringify(PREDICTOR)}: ${engine.ruleCount} rules, built and calibrated in ${ms(t0)}`);
  console.log(`  recency calibration (distance 0, 1, 2, 3, further back, not in context): [${factors}]`);
  const learner = () => {
    const p = build();
    p.setCalibration(calibration);
    return p;
  };

  const rows = [];
  const run = (label, fn) => {
    const t = performance.now();
    const r = fn();
    rows.push({ label, ...r, time: ms(t) });
    return r;
  };
  const mfi = run('most frequent item', () => evaluate(new MostFrequentItem(train), cases));
  const markov = run('first-order Markov', () => evaluate(new FirstOrderMarkov(train), cases));
  run('engine, uncalibrated', () => evaluate(uncalibrated, cases));
  const eng = run('engine', () => evaluate(engine, cases));
  run('engine + feedback ±1', () => evaluateWithFeedback(learner(), cases, (right) => (right ? 1 : -1)));
  run('engine + feedback 1−p', () => evaluateWithFeedback(learner(), cases, (right, p) => (right ? 1 : 0) - p));

  const best1 = Math.max(mfi.hit1, markov.hit1);
  const best5 = Math.max(mfi.hit5, markov.hit5);
  const line = ([label, h1, h5, n, vs, time]) => {
    console.log(`  ${label.padEnd(22)} ${[h1, h5, n].map((c) => c.padStart(7)).join(' ')}   ${vs.padEnd(16)}  ${time}`);
  };
  line(['model', 'hit@1', 'hit@5', 'cases', 'vs best baseline', 'time']);
  for (const r of rows) {
    const vs = r.label.startsWith('engine') ? `${signed(r.hit1 - best1)} ${signed(r.hit5 - best5)}` : '';
    line([r.label, fmt(r.hit1), fmt(r.hit5), String(cases.length), vs, r.time]);
  }
  const wins = eng.hit1 > best1 && eng.hit5 > best5;
  console.log(`  engine beats both baselines on hit@1 and hit@5: ${wins ? 'YES' : 'NO'}`);
  console.log(`  paired hit@5 vs first-order Markov: ${discordant(eng.hits5, markov.hits5)}`);
  return wins;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
const { maxCases, datasets } = args;
const wins = datasets.filter((name) => runDataset(name, maxCases));
const pass = wins.length === datasets.length;
const verdict = `engine beats both baselines on hit@1 and hit@5 on ${wins.length}/${datasets.length} datasets`;
console.log(`\n${pass ? 'PASS' : 'FAIL'}: ${verdict}`);
process.exit(pass ? 0 : 1);
