/**
 * A coarse logarithmic latency histogram (8 buckets per power of two, about 9% wide) for the live progress
 * line's p99: fixed size, so workers can send it cheaply and it merges by addition. The report's figures come
 * from the exact latencies instead.
 */
export const LOG_BUCKETS = 8 * 48;

export function logBucket(ns: number): number {
  if (ns < 1) return 0;
  return Math.min(LOG_BUCKETS - 1, Math.floor(Math.log2(ns) * 8));
}

/** The upper bound (ns) of the bucket holding quantile q (0..1) of the counts; 0 when empty. */
export function logQuantile(counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return 2 ** ((i + 1) / 8);
  }
  return 2 ** (counts.length / 8);
}
