import { context, type Context } from '@opentelemetry/api';
import type { InternalCall, NodeClient } from '@engram/cluster-client';
import { encodeVarint, EngramError, readVarint, scanFields, WIRE_LEN, WIRE_VARINT } from '@engram/protocol';
import { status } from '@grpc/grpc-js';
import { stageMark } from '@engram/telemetry';

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
  key: string;
  shard: NodeClient;
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
 * Splits a batch response into each item's response bytes (forwarded untouched) or its error. Both batch results
 * (RememberBatchResult, RecallBatchResult) are: index = 1, ok = 2 (the single call's response), error = 3
 * (ItemError: code = 1, message = 2).
 */
export function splitBatchResponse(bytes: Buffer, items: number, fieldName: (message: string) => string = (m) => m): (Buffer | EngramError)[] {
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
          result = new EngramError(code, fieldName(message));
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

/** How one method is coalesced into its batch method. */
export interface CoalescedMethod {
  single: string;
  batch: string;
  /** Whether a request can go in a batch (otherwise it goes alone). */
  admits(bytes: Buffer): boolean;
  /** The request as an item of the batch request (field 1, repeated). */
  item(bytes: Buffer): Buffer;
  /** An item error's message as the single call would have said it. */
  fieldName(message: string): string;
}

/** Remember → RememberBatch: a RememberRequest's bytes already are an item (both field 1 of type MemoryInput). */
export const rememberMethod = (single: string, batch: string): CoalescedMethod => ({
  single,
  batch,
  admits: isSingleMemory,
  item: (bytes) => bytes,
  // The shard names the field as a batch item's; the caller sent a single Remember.
  fieldName: (message) => message.replace(/^memories\[\d+\]\./, 'memory.'),
});

/** Recall → RecallBatch: each RecallRequest becomes field 1 of the batch request. */
export const recallMethod = (single: string, batch: string): CoalescedMethod => ({
  single,
  batch,
  admits: () => true,
  item: (bytes) => {
    const prefix: number[] = [0x0a];
    encodeVarint(bytes.length, prefix);
    return Buffer.concat([Buffer.from(prefix), bytes]);
  },
  fieldName: (message) => message,
});

/**
 * Coalesces concurrent calls bound for the same shard (and tenant) into one internal batch call, as group commit
 * does for LevelDB. Requests join their lane's queue, and the queue goes at the end of the event-loop turn in
 * which they arrived (one socket read brings many requests), as one internal call, or sooner in pieces of
 * maxBatch. At most maxInFlight internal calls to a shard are out at once; while they are, new requests wait, and
 * each time one comes back the waiting ones go together. Items are built from the request bytes without decoding
 * them, and each answer is the bytes of its result: nothing is decoded or re-encoded. A request alone in its turn
 * goes as the single call it is, without waiting for anything.
 */
export class Coalescer {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with requests that arrived during this turn, sent at its end. */
  private readonly due = new Set<Lane>();
  private flushScheduled = false;
  batches = 0;
  coalesced = 0;

  constructor(
    private readonly options: CoalescerOptions,
    private readonly method: CoalescedMethod,
  ) {}

  call(shard: NodeClient, bytes: Buffer, call: InternalCall): Promise<Buffer> {
    if (this.options.maxInFlight <= 0 || !this.method.admits(bytes)) return shard.raw(this.method.single, bytes, call);
    const key = `${shard.member.id}\x00${call.tenant}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, shard, inFlight: 0, queue: [] };
      this.lanes.set(key, lane);
    }
    const l = lane;
    return new Promise<Buffer>((resolve, reject) => {
      l.queue.push({ bytes, call, context: context.active(), resolve, reject });
      if (l.queue.length >= this.options.maxBatch && l.inFlight < this.options.maxInFlight) this.sendBatch(l);
      else if (l.inFlight < this.options.maxInFlight) this.schedule(l);
    });
  }

  /** Sends the lane's queue at the end of this turn (setImmediate runs after the turn's I/O callbacks). */
  private schedule(lane: Lane): void {
    this.due.add(lane);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const l of this.due) {
        while (l.queue.length > 0 && l.inFlight < this.options.maxInFlight) this.sendBatch(l);
      }
      this.due.clear();
    });
  }

  private done(lane: Lane): void {
    lane.inFlight -= 1;
    if (lane.queue.length > 0) this.sendBatch(lane);
    else if (lane.inFlight === 0 && !this.due.has(lane)) this.lanes.delete(lane.key);
  }

  private sendBatch(lane: Lane): void {
    const shard = lane.shard;
    const items = lane.queue.splice(0, this.options.maxBatch);
    lane.inFlight += 1;
    this.batches += 1;
    this.coalesced += items.length;
    const first = items[0]!;
    const single = items.length === 1;
    let call: InternalCall = first.call;
    if (!single) {
      let latest: number | undefined = 0;
      let idempotent = true;
      for (const w of items) {
        // The latest deadline of the batch: no item's own deadline is cut short (each caller still has its own).
        const d = w.call.deadlineMs;
        latest = d === undefined || latest === undefined ? undefined : Math.max(latest, d);
        idempotent &&= w.call.idempotent === true;
      }
      call = { tenant: first.call.tenant, deadlineMs: latest, idempotent };
    }
    stageMark('batch.send', items.length);
    const request = single ? first.bytes : Buffer.concat(items.map((w) => this.method.item(w.bytes)));
    // The batch is part of the first request's trace.
    context
      .with(first.context, () => shard.raw(single ? this.method.single : this.method.batch, request, call))
      .then(
        (response) => {
          stageMark('batch.back', items.length);
          if (single) return first.resolve(response);
          const results = splitBatchResponse(response, items.length, this.method.fieldName);
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
      .finally(() => this.done(lane));
  }
}
