/**
 * Everything a run needs, as plain data: it is sent as is to worker processes, which build their own
 * requests from it.
 */
export interface RunSpec {
  /** host:port of the server. */
  target: string;
  /** ghz's call: package.Service/Method. */
  call: string;
  /** Call data (protobuf JSON, with templates), unless `binary` is given. */
  data?: unknown;
  /** The request message's bytes, sent as they are (ghz's binary data). */
  binary?: Uint8Array | undefined;
  metadata?: Record<string, string> | undefined;
  proto?: string | undefined;
  importPaths?: string[] | undefined;
  /** TLS instead of plaintext HTTP/2; `skipVerify` accepts any certificate. */
  tls?: { cacert?: string | undefined; skipVerify?: boolean; servername?: string | undefined } | undefined;
  connections: number;
  concurrency: number;
  rps: number;
  /** Calls at most (Infinity: as many as the duration allows). */
  total: number;
  durationMs: number;
  durationStop: 'ignore' | 'wait';
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Worker processes sharing the load (1: this process alone). */
  workers: number;
  skipFirst: number;
  /** Distinct bodies expanded from the data template before the run (see requests.ts). */
  bodyRing: number;
  /** Expand and encode the template for every call (exact RequestNumber etc., at the cost of encoding on the hot path). */
  exactTemplates: boolean;
  maxDetails: number;
}

export const DEFAULTS = {
  concurrency: 50,
  connections: 1,
  total: 200,
  timeoutMs: 20_000,
  connectTimeoutMs: 10_000,
  bodyRing: 1024,
} as const;

/** Part i of n of an integer amount, spread as evenly as possible (earlier parts take the remainder). */
export function share(amount: number, i: number, n: number): number {
  if (!Number.isFinite(amount)) return amount;
  return Math.floor(amount / n) + (i < amount % n ? 1 : 0);
}

/** The spec of worker i of n: its share of connections, slots, rate, calls and skipped results. */
export function workerSpec(spec: RunSpec, i: number, n: number): RunSpec {
  return {
    ...spec,
    connections: Math.max(1, share(spec.connections, i, n)),
    concurrency: Math.max(1, share(spec.concurrency, i, n)),
    rps: spec.rps / n,
    total: share(spec.total, i, n),
    skipFirst: share(spec.skipFirst, i, n),
    maxDetails: share(spec.maxDetails, i, n),
    workers: 1,
  };
}

/** How many processes to use: never more than connections or slots. */
export function workerCount(spec: RunSpec): number {
  return Math.max(1, Math.min(spec.workers, spec.connections, spec.concurrency));
}

export function parseTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target.trim());
  if (!m) throw new Error(`expected host:port, got "${target}"`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}
