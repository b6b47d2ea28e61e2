#!/usr/bin/env node
// PrefixSpan on the standard sequence datasets: in-process, and on the thought engine's worker pool with 1 and 2
// threads (the engine's own partitioned path: frequent first items split into tasks of --batch items).
//
//   npm run build && node bench/prefixspan.mjs [--runs 3] [--batch auto|N]
//
// --batch auto sizes tasks at four per thread (each task pays a pass over the whole encoded database).
//
// Prints figures; asserts only that every mode finds the same patterns.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { datasetPath, frequentItems, parseLines, parseSpmf, patternKey, prefixSpan } from '@engram/patterns';
import { MiningPool } from '../services/thought-engine/dist/pool.js';
import { minePartitioned } from '../services/thought-engine/dist/mining.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, batch: { type: 'string', default: 'auto' } } });
const runs = Number(values.runs);

const cases = [
  { name: 'sign.spmf.txt', parse: parseSpmf, supports: [0.3, 0.2] },
  { name: 'bms1.txt', parse: parseLines, supports: [0.001, 0.0008] },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  await fn(); // warm-up
  const ms = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), out };
}
const fingerprint = (patterns) => patterns.map((p) => `${patternKey(p)}:${p.support}`).join(',');

const pools = {
  1: new MiningPool({ concurrency: 1, cpuLimit: 1, memoryLimitBytes: 4 * 1024 ** 3, maxQueue: 100_000 }),
  2: new MiningPool({ concurrency: 2, cpuLimit: 1, memoryLimitBytes: 4 * 1024 ** 3, maxQueue: 100_000 }),
};
const rows = [];
try {
  for (const c of cases) {
    const db = c.parse(readFileSync(datasetPath(c.name), 'utf8'));
    for (const relative of c.supports) {
      const minSupport = Math.ceil(relative * db.length);
      const options = { minSupport, minLength: 1, maxLength: Infinity, maxGap: undefined };
      const inProcess = await time(() => prefixSpan(db, { minSupport }));
      const pooled = {};
      const frequent = frequentItems(db, minSupport).length;
      for (const threads of [1, 2]) {
        const batchSize = values.batch === 'auto' ? Math.max(1, Math.ceil(frequent / (threads * 4))) : Number(values.batch);
        pooled[threads] = await time(() =>
          minePartitioned(db, 'prefixspan', options, pools[threads], { batchSize, parallelism: threads, signal: new AbortController().signal }),
        );
        if (fingerprint(pooled[threads].out.patterns) !== fingerprint(inProcess.out)) {
          throw new Error(`${c.name} at ${relative}: ${threads} thread(s) found different patterns than the in-process run`);
        }
      }
      rows.push({
        dataset: c.name,
        sequences: db.length,
        'min support': `${relative} (${minSupport})`,
        patterns: inProcess.out.length,
        'in-process ms': inProcess.ms.toFixed(0),
        '1 thread ms': pooled[1].ms.toFixed(0),
        '2 threads ms': pooled[2].ms.toFixed(0),
        'speed-up 2/1': (pooled[1].ms / pooled[2].ms).toFixed(2),
        'tasks 1/2': `${pooled[1].out.tasks}/${pooled[2].out.tasks}`,
      });
    }
  }
} finally {
  await Promise.all(Object.values(pools).map((p) => p.close()));
}
console.log(`PrefixSpan (unbounded length and gap), median of ${runs} runs after a warm-up, batch size ${values.batch}`);
console.table(rows);
