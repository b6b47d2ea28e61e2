import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { isBusy, statusName, type MemoryInput, type RememberBatchResponse__Output } from '@engram/protocol';
import { isServiceError, statusDetails } from './client.js';
import { parseJsonLine } from './input.js';

// Streams JSONL lines into RememberBatch calls: batches of batchSize items, at most `concurrency` calls in
// flight, reading paused while they are (so memory is bounded by concurrency × batchSize items, whatever the
// file's size). Every failure is attributed to its line number.

export interface Batcher {
  rememberBatch(memories: MemoryInput[]): Promise<RememberBatchResponse__Output>;
}

export interface LineError {
  /** 1-based line number in the file. */
  line: number;
  /** gRPC status name when the server refused the item (or the whole call); absent for a line that did not parse. */
  status?: string;
  message: string;
}

export interface ImportProgress {
  /** Items read so far (non-blank lines). */
  read: number;
  /** Items with an outcome so far. */
  done: number;
  succeeded: number;
  failed: number;
  seconds: number;
}

export interface ImportOptions {
  batchSize: number;
  concurrency: number;
  /** How many line errors to keep, lowest line numbers first (the failed count is always exact). */
  maxErrors: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Backoff of a batch the cluster refused as busy (nothing of it was written), before retrying it. */
  busyBackoff?: { initialDelayMs: number; maxDelayMs: number; maxAttempts: number };
}

const DEFAULT_BUSY_BACKOFF = { initialDelayMs: 100, maxDelayMs: 2000, maxAttempts: 8 };

export interface ImportSummary {
  /** Items: every non-blank line. */
  total: number;
  succeeded: number;
  failed: number;
  deduplicated: number;
  seconds: number;
  /** Stored items per second of the whole import. */
  writesPerSecond: number;
  /** Line errors in line order, at most maxErrors of them. */
  errors: LineError[];
}

interface Item {
  line: number;
  input: MemoryInput;
}

/** "memories[17].subject: must not be empty" → "subject: must not be empty": the line number says which item. */
const withoutItemPrefix = (message: string) => message.replace(/^memories\[\d+\]\./, '');

export async function importLines(lines: AsyncIterable<string>, client: Batcher, o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const s = { total: 0, succeeded: 0, failed: 0, deduplicated: 0 };
  let errors: LineError[] = [];
  const byLine = (a: LineError, b: LineError) => a.line - b.line;

  const fail = (error: LineError) => {
    s.failed++;
    if (o.maxErrors <= 0) return;
    errors.push(error);
    // Batches finish out of order: keep the lowest line numbers, trimming now and then rather than per error.
    if (errors.length >= 2 * o.maxErrors) errors = errors.sort(byLine).slice(0, o.maxErrors);
  };
  const progress = () => o.onProgress?.({ read: s.total, done: s.succeeded + s.failed, succeeded: s.succeeded, failed: s.failed, seconds: seconds() });

  // A busy cluster refuses a whole batch before writing any of it: pause and send it again, a bounded number of times.
  const backoff = o.busyBackoff ?? DEFAULT_BUSY_BACKOFF;
  const whenBusy = retry(
    handleWhen((err) => isServiceError(err) && isBusy(err.code, statusDetails(err))),
    { maxAttempts: backoff.maxAttempts, backoff: new ExponentialBackoff({ initialDelay: backoff.initialDelayMs, maxDelay: backoff.maxDelayMs }) },
  );

  const send = async (items: Item[]): Promise<void> => {
    try {
      const res = await whenBusy.execute(() => client.rememberBatch(items.map((i) => i.input)));
      const answered = new Set<number>();
      for (const r of res.results) {
        const item = items[r.index];
        if (!item || answered.has(r.index)) continue;
        answered.add(r.index);
        if (r.error) {
          fail({ line: item.line, status: statusName(r.error.code), message: withoutItemPrefix(r.error.message) });
        } else {
          s.succeeded++;
          if (r.ok?.deduplicated) s.deduplicated++;
        }
      }
      items.forEach((item, i) => {
        if (!answered.has(i)) fail({ line: item.line, message: 'the server returned no result for this item' });
      });
    } catch (err) {
      // The whole call failed: none of its items is known to be stored.
      const status = isServiceError(err) ? statusName(err.code) : undefined;
      const message = isServiceError(err) ? statusDetails(err) : err instanceof Error ? err.message : String(err);
      for (const item of items) fail({ line: item.line, ...(status ? { status } : {}), message });
    }
    progress();
  };

  const inFlight = new Set<Promise<void>>();
  let batch: Item[] = [];
  const dispatch = async () => {
    const items = batch;
    batch = [];
    while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
    const call: Promise<void> = send(items).finally(() => inFlight.delete(call));
    inFlight.add(call);
  };

  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      s.total++;
      try {
        batch.push({ line: lineNo, input: parseJsonLine(line) });
      } catch (err) {
        fail({ line: lineNo, message: (err as Error).message });
      }
      if (batch.length >= o.batchSize) {
        await dispatch();
        progress();
      }
    }
    if (batch.length > 0) await dispatch();
  } finally {
    // Even when reading fails, let the calls already sent finish before reporting.
    await Promise.all(inFlight);
  }

  const elapsed = seconds();
  return {
    ...s,
    seconds: elapsed,
    writesPerSecond: elapsed > 0 ? s.succeeded / elapsed : 0,
    errors: errors.sort(byLine).slice(0, Math.max(0, o.maxErrors)),
  };
}
