import type { Item, Sequence, SequenceMiningOptions, SequentialPattern } from '@engram/patterns';

/** One unit of work for the pool: a request's database and the frequent items whose patterns it mines. */
export type MiningTask =
  | { kind: 'prefixspan'; encoded: Int32Array; options: SequenceMiningOptions; partition: Item[] }
  | { kind: 'ngram'; sequences: Sequence[]; options: SequenceMiningOptions; partition: Item[] }
  | { kind: 'fpgrowth'; transactions: Item[][]; options: { minSupport: number; minLength?: number; maxLength?: number }; partition: Item[] };

export interface MiningResult {
  /** FP-growth itemsets come back as one-element patterns. */
  patterns: SequentialPattern[];
  runMs: number;
}
