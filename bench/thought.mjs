#!/usr/bin/env node
// The thought engine's benchmarks in one run: PrefixSpan (in-process, 1 and 2 worker threads), FP-growth against
// node-fpgrowth, and next-item prediction accuracy against the baselines. Each runs in its own process, one after
// another, so they do not share the two cores; a failing check (different outputs, the engine not beating a
// baseline) makes the run exit non-zero.
//
//   npm run build && node bench/thought.mjs     (or: npm run bench:thought)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scripts = ['prefixspan.mjs', 'fpgrowth.mjs', 'predict.mjs'];
let failed = 0;
for (const script of scripts) {
  process.stdout.write(`\n## ${script}\n\n`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    process.stdout.write(`${script} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
