import { context, type Context } from '@opentelemetry/api';
import type { InternalCall, NodeClient } from '@engram/cluster-client';
import { EngramError, readVarint, scanFields, WIRE_LEN, WIRE_VARINT } from '@engram/protocol';
import { status } from '@grpc/grpc-js';

export interface CoalescerOptions {
  /** Internal calls in flight per (shard, tenant) before further requests wait to go as one batch (0 = off). */
  maxInFlight: number;
  /** Most requests in one coalesced batch. */
  maxBatch: number;
}

interface Waiting {
  bytes: Buffer;
  call: InternalCall;
  context: Context;
  resolve: (response: Buffer) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  inFlight: number;
  queue: Waiting[];
}

/** Whether a RememberRequest is exactly one `memory` field: then its bytes are one item of a RememberBatchRequest. */
function isSingleMemory(bytes: Buffer): boolean {
  let memories = 0;
  let other = false;
  scanFields(bytes, (field, wireType) => {
    if (field === 1 && wireType === WIRE_LEN) memories += 1;
    else other = true;
  });
  return memories === 1 && !other;
}

/**
 * Splits a RememberBatchResponse into each item's RememberResponse bytes (forwarded untouched) or its error.
 * RememberBatchResult: index = 1, ok = 2 (RememberResponse), error = 3 (ItemError: code = 1, message = 2).
 */
export function splitBatchResponse(bytes: Buffer, items: number): (Buffer | EngramError)[] {
  const out: (Buffer | EngramError | undefined)[] = new Array(items);
  scanFields(bytes, (field, wireType, start, end) => {
    if (field !== 1 || wireType !== WIRE_LEN) return;
    let index = 0;
    let result: Buffer | EngramError | undefined;
    scanFields(
      bytes,
      (f, w, s, e) => {
        if (f === 1 && w === WIRE_VARINT) index = readVarint(bytes, s, e)[0];
        else if (f === 2 && w === WIRE_LEN) result = Buffer.from(bytes.subarray(s, e));
        else if (f === 3 && w === WIRE_LEN) {
          let code: number = status.UNKNOWN;
          let message = '';
          scanFields(
            bytes,
            (ef, ew, es, ee) => {
              if (ef === 1 && ew === WIRE_VARINT) code = readVarint(bytes, es, ee)[0];
              else if (ef === 2 && ew === WIRE_LEN) message = bytes.toString('utf8', es, ee);
            },
            s,
            e,
          );
          // The shard names the field as a batch item's; the caller sent a single Remember.
          result = new EngramError(code, message.replace(/^memories\[\d+\]\./, 'memory.'));
        }
      },
      start,
      end,
    );
    if (index < items) out[index] = result ?? new EngramError(status.INTERNAL, 'batch result without outcome');
  });
  // (Array.from, not map: map skips the holes of results that never came.)
  return Array.from(out, (r) => r ?? new EngramError(status.INTERNAL, 'batch result missing'));
}

/**
 * Coalesces concurrent Remember calls bound for the same shard (and tenant) into one internal RememberBatch, as
 * group commit does for LevelDB: while maxInFlight internal calls to a shard are out, new requests wait, and each
 * time one comes back the waiting requests go together. A RememberRequest's bytes are a valid item of a
 * RememberBatchRequest (both are field 1 of type MemoryInput), so the batch is the concatenation of the requests
 * and each answer is the bytes of its result: nothing is decoded or re-encoded. At low load every request goes
 * alone, at once.
 */
export class RememberCoalescer {
  private readonly lanes = new Map<string, Lane>();
  batches = 0;
  coalesced = 0;

  constructor(
    private readonly options: CoalescerOptions,
    private readonly paths: { remember: string; rememberBatch: string },
  ) {}

  remember(shard: NodeClient, bytes: Buffer, call: InternalCall): Promise<Buffer> {
    if (this.options.maxInFlight <= 0 || !isSingleMemory(bytes)) return shard.raw(this.paths.remember, bytes, call);
    const key = `${shard.member.id}\x00${call.tenant}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { inFlight: 0, queue: [] };
      this.lanes.set(key, lane);
    }
    if (lane.inFlight < this.options.maxInFlight && lane.queue.length === 0) {
      lane.inFlight += 1;
      return shard.raw(this.paths.remember, bytes, call).finally(() => this.done(key, lane!, shard));
    }
    return new Promise<Buffer>((resolve, reject) => lane!.queue.push({ bytes, call, context: context.active(), resolve, reject }));
  }

  private done(key: string, lane: Lane, shard: NodeClient): void {
    lane.inFlight -= 1;
    if (lane.queue.length > 0) this.sendBatch(key, lane, shard);
    else if (lane.inFlight === 0) this.lanes.delete(key);
  }

  private sendBatch(key: string, lane: Lane, shard: NodeClient): void {
    const items = lane.queue.splice(0, this.options.maxBatch);
    lane.inFlight += 1;
    this.batches += 1;
    this.coalesced += items.length;
    const first = items[0]!;
    const deadlines = items.map((w) => w.call.deadlineMs);
    const call: InternalCall = {
      tenant: first.call.tenant,
      // The latest deadline of the batch: no item's own deadline is cut short (each caller still has its own).
      deadlineMs: deadlines.some((d) => d === undefined) ? undefined : Math.max(...(deadlines as number[])),
      idempotent: items.every((w) => w.call.idempotent),
    };
    const request = items.length === 1 ? first.bytes : Buffer.concat(items.map((w) => w.bytes));
    const path = items.length === 1 ? this.paths.remember : this.paths.rememberBatch;
    // The batch is part of the first request's trace.
    context
      .with(first.context, () => shard.raw(path, request, call))
      .then(
        (response) => {
          if (items.length === 1) return first.resolve(response);
          const results = splitBatchResponse(response, items.length);
          items.forEach((w, i) => {
            const r = results[i]!;
            if (r instanceof EngramError) w.reject(r);
            else w.resolve(r);
          });
        },
        (err: unknown) => {
          for (const w of items) w.reject(err);
        },
      )
      .finally(() => this.done(key, lane, shard));
  }
}
