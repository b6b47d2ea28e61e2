// A piscina worker thread: runs one mining task (one partition of one request) and returns its patterns. Pure
// computation; the database arrives either on a SharedArrayBuffer (PrefixSpan) or by structured clone.
import { contiguousPatterns, fpGrowth, prefixSpanEncoded, type FrequentItemset, type Item, type SequentialPattern } from '@engram/patterns';
import type { MiningResult, MiningTask } from './tasks.js';

export default function run(task: MiningTask): MiningResult {
  const started = performance.now();
  let patterns: SequentialPattern[];
  switch (task.kind) {
    case 'prefixspan':
      patterns = prefixSpanEncoded(task.encoded, task.options, task.partition);
      break;
    case 'ngram':
      patterns = contiguousPatterns(task.sequences, task.options, task.partition);
      break;
    case 'fpgrowth':
      patterns = fpGrowth(task.transactions, task.options, task.partition).map((s: FrequentItemset) => ({ elements: [s.items as Item[]], support: s.support }));
      break;
  }
  return { patterns, runMs: performance.now() - started };
}
