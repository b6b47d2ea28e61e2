#!/usr/bin/env node
// FP-growth on FIMI T10I4D100K (100,000 transactions, 870 items): @engram/patterns' fpGrowth against the npm
// package node-fpgrowth on the same parsed transactions. Each is warmed up once, then timed over N runs; both
// must find the same itemsets with the same supports (exit 1 otherwise). Prints figures, asserts no timings.
// Build first: npx tsc -b packages/patterns
// Usage: node bench/fpgrowth.mjs [--runs N=3] [--support S=500 (absolute)]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FPGrowth } from 'node-fpgrowth';
import { datasetPath, fpGrowth, parseTransactions } from '@engram/patterns';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, support: { type: 'string', default: '500' } },
});
const runs = Number(values.runs);
const support = Number(values.support);
if (!(Number.isInteger(runs) && runs >= 1 && Number.isInteger(support) && support >= 1)) {
  throw new Error('--runs and --support are positive integers');
}
const transactions = parseTransactions(readFileSync(datasetPath('T10I4D100K.dat'), 'utf8'));

// node-fpgrowth takes a relative support and mines at ceil(relative × transactions), keeping itemsets with
// support ≥ that count, so the fraction must round back to exactly our absolute count: support / n does not
// always (51 / 100000 × 100000 is 51.00000000000001), half a transaction less always does. It overwrites its
// support with the absolute count inside exec, so every run needs a fresh instance.
const relative = (support - 0.5) / transactions.length;
if (Math.ceil(relative * transactions.length) !== support) {
  throw new Error(`support ${support} does not survive node-fpgrowth's ceil(relative × n)`);
}

const implementations = [
  { name: '@engram/patterns fpGrowth', run: async () => fpGrowth(transactions, { minSupport: support }) },
  { name: 'node-fpgrowth', run: async () => new FPGrowth(relative).exec(transactions) },
];

// node-fpgrowth lists an itemset's items in mining order, so sort them before comparing.
const canonical = (itemsets) =>
  itemsets.map(({ items, support: s }) => `${[...items].sort((a, b) => a - b).join(' ')}:${s}`).sort();

const results = [];
for (const impl of implementations) {
  const itemsets = await impl.run(); // warm-up, and the output to compare
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await impl.run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  results.push({ ...impl, itemsets: canonical(itemsets), median: times[(times.length - 1) >> 1], min: times[0] });
}

console.log(`T10I4D100K: ${transactions.length} transactions, support ${support} (${relative}), ${runs} timed runs`);
console.table(
  results.map((r) => ({
    implementation: r.name,
    'median ms': +r.median.toFixed(1),
    'min ms': +r.min.toFixed(1),
    itemsets: r.itemsets.length,
  })),
);
const [ours, theirs] = results;
console.log(`node-fpgrowth / ours (median): ${(theirs.median / ours.median).toFixed(1)}×`);

const [oursSet, theirsSet] = [new Set(ours.itemsets), new Set(theirs.itemsets)];
const onlyOurs = ours.itemsets.filter((s) => !theirsSet.has(s));
const onlyTheirs = theirs.itemsets.filter((s) => !oursSet.has(s));
if (onlyOurs.length > 0 || onlyTheirs.length > 0) {
  console.error(`outputs differ: ${onlyOurs.length} only in ours (e.g. ${onlyOurs.slice(0, 3).join(', ')}),`);
  console.error(`  ${onlyTheirs.length} only in node-fpgrowth (e.g. ${onlyTheirs.slice(0, 3).join(', ')})`);
  process.exit(1);
}
console.log(`same ${ours.itemsets.length} itemsets with the same supports`);
