/** Builders of public API requests for tests (plain objects as proto-loader takes them). */

export interface MemoryInputLike {
  subject: string;
  content?: string;
  [field: string]: unknown;
}

export const remember = (memory: MemoryInputLike) => ({ memory });

/** Event time in the past, as a google.protobuf.Timestamp. */
export function hoursAgo(hours: number, now = Date.now()) {
  const ms = now - hours * 3600_000;
  return { seconds: Math.floor(ms / 1000), nanos: 0 };
}

/** Ranking weights that rank by one component only. */
export function only(component: 'recency' | 'importance' | 'relevance' | 'activation') {
  return { recency: 0, importance: 0, relevance: 0, activation: 0, [component]: 1 };
}
