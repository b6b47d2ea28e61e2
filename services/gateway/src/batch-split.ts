import { status } from '@grpc/grpc-js';
import { EngramError, readStringPath, scanFields, type ItemError, type RememberBatchResponse__Output, type RememberBatchResult } from '@engram/protocol';
import type { InternalCall } from '@engram/cluster-client';
import { shardMethod } from './codecs.js';
import { ROUTING } from './routing-fields.js';
import type { ShardRouter } from '@engram/cluster-client';

const rememberBatch = shardMethod<Buffer, RememberBatchResponse__Output>('RememberBatch');

interface Item {
  index: number;
  /** The item's whole field encoding (tag, length, bytes), forwarded as is. */
  bytes: Buffer;
  subject: string;
  hasId: boolean;
}

/**
 * RememberBatch across shards: items are read from the wire, grouped by the shard that owns their subject and
 * forwarded as sub-batches of their original bytes; the per-item results come back in request order. A batch
 * whose items all belong to one shard goes there as it is, and its answer comes back as the shard's bytes. A shard
 * that fails fails only its items; when every shard failed its whole sub-batch for the same reason, the call fails
 * with that status.
 */
export async function splitBatch(
  router: ShardRouter,
  request: Buffer,
  tenant: string,
  call: (idempotent: boolean) => InternalCall,
  maxItems: number,
): Promise<{ results: RememberBatchResult[]; succeeded: number; failed: number } | Buffer> {
  const items: Item[] = [];
  scanFields(request, (field, _wire, valueStart, valueEnd, tagStart) => {
    if (field !== ROUTING.batchItems) return;
    items.push({
      index: items.length,
      bytes: request.subarray(tagStart, valueEnd),
      subject: readStringPath(request, ROUTING.itemSubject, valueStart, valueEnd),
      hasId: readStringPath(request, ROUTING.itemId, valueStart, valueEnd) !== '',
    });
  });
  if (items.length > maxItems) {
    throw new EngramError(status.RESOURCE_EXHAUSTED, `memories: a batch may hold at most ${maxItems} items, got ${items.length}`);
  }
  const results: RememberBatchResult[] = new Array(items.length);
  const groups = new Map<string, { client: ReturnType<ShardRouter['owner']>; items: Item[] }>();
  for (const item of items) {
    if (item.subject.trim() === '') {
      results[item.index] = { index: item.index, error: { code: status.INVALID_ARGUMENT, message: `memories[${item.index}].subject: must not be empty` } };
      continue;
    }
    const client = router.owner(tenant, item.subject);
    const group = groups.get(client.member.id);
    if (group) group.items.push(item);
    else groups.set(client.member.id, { client, items: [item] });
  }
  // Every item bound for one shard, in order (one shard, or a batch about one subject): its answer is already
  // the caller's, byte for byte.
  if (groups.size === 1) {
    const [{ client, items: group }] = groups.values();
    if (group.length === items.length) return client.raw(rememberBatch.path, request, call(group.every((i) => i.hasId)));
  }
  const wholeFailures: EngramError[] = [];
  await Promise.all(
    [...groups.values()].map(async ({ client, items: group }) => {
      try {
        const res = await client.unary(
          rememberBatch.path,
          Buffer.concat(group.map((i) => i.bytes)),
          (b: Buffer) => b,
          rememberBatch.deserialize,
          call(group.every((i) => i.hasId)),
        );
        for (const r of res.results) {
          const item = group[r.index]!;
          results[item.index] = { ...r, index: item.index, error: r.error ? renumber(r.error, r.index, item.index) : undefined };
        }
      } catch (err) {
        const e = err instanceof EngramError ? err : new EngramError(status.UNKNOWN, String(err), { cause: err });
        wholeFailures.push(e);
        const error: ItemError = { code: e.code, message: e.message };
        for (const item of group) results[item.index] = { index: item.index, error };
      }
    }),
  );
  // When every shard involved refused or failed the whole sub-batch for one reason (busy, down), nothing was
  // written and the cause is the call's: say so with its status rather than as an OK full of failed items.
  const first = wholeFailures[0];
  if (first && wholeFailures.length === groups.size && wholeFailures.every((e) => e.code === first.code)) throw first;
  const failed = results.filter((r) => r.error).length;
  return { results, succeeded: results.length - failed, failed };
}

/** A shard names items by their position in its sub-batch; the client knows them by their position in the request. */
function renumber(error: ItemError, from: number, to: number): ItemError {
  return { ...error, message: error.message?.replace(`memories[${from}]`, `memories[${to}]`) };
}
