import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { invalidArgument, readStringPath, unary, type BugReporter, type QueryRequest__Output, type QueryResponse, type RememberBatchResponse } from '@engram/protocol';
import { splitBatch } from './batch-split.js';
import type { Coalescer } from './coalescer.js';
import { memoryMethod, shardMethod } from './codecs.js';
import { ROUTING } from './routing-fields.js';
import { TenantQuery } from './scatter.js';
import { internalCall, type ShardRouter } from '@engram/cluster-client';

export interface MemoryServiceOptions {
  router: ShardRouter;
  /** Coalescers of Remember and Recall calls (concurrent calls to one shard go as one internal batch). */
  coalesce: { remember: Coalescer; recall: Coalescer };
  /** The tenant of a call (from its credential; a fixed default until authentication lands). */
  tenantOf: (call: ServerUnaryCall<Buffer, Buffer>) => string;
  maxBatchItems: number;
  report: BugReporter;
}

type RawCall = ServerUnaryCall<Buffer, Buffer>;

const path = (method: string) => shardMethod(method).path;
const batchCodec = memoryMethod<never, RememberBatchResponse>('RememberBatch');
const queryCodec = memoryMethod<QueryRequest__Output, QueryResponse>('Query');

/**
 * engram.v1.MemoryService on bytes: each request's routing fields (the subject) are read from the wire and the
 * bytes are forwarded untouched to the owning shard, whose answer goes back untouched. Only what spans shards
 * is decoded: batches (split by owner) and tenant-wide queries (scatter-gather).
 */
export function memoryService(o: MemoryServiceOptions): UntypedServiceImplementation {
  const tenantWide = new TenantQuery(o.router);

  /**
   * A handler that routes by one subject field to the owner's method of the same name, directly or through a
   * coalescer (concurrent calls to one shard then go as one internal batch).
   */
  const routed = (method: string, subjectPath: readonly number[], field: string, idempotent: (bytes: Buffer) => boolean, coalescer?: Coalescer) => {
    const shardPath = path(method);
    return unary(
      method,
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, subjectPath);
        if (subject.trim() === '') throw invalidArgument(field, 'must not be empty');
        const shard = o.router.owner(tenant, subject);
        const internal = internalCall(call, tenant, idempotent(bytes));
        return coalescer ? coalescer.call(shard, bytes, internal) : shard.raw(shardPath, bytes, internal);
      },
      o.report,
    );
  };

  return {
    Remember: routed('Remember', ROUTING.rememberSubject, 'memory.subject', (b) => readStringPath(b, ROUTING.rememberId) !== '', o.coalesce.remember),
    Recall: routed('Recall', ROUTING.recallSubject, 'subject', () => true, o.coalesce.recall),
    Forget: routed('Forget', ROUTING.forgetSubject, 'subject', () => true),
    ForgetSubject: routed('ForgetSubject', ROUTING.forgetSubjectSubject, 'subject', () => true),
    RememberBatch: unary(
      'RememberBatch',
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const res = await splitBatch(o.router, bytes, tenant, (idempotent) => internalCall(call, tenant, idempotent), o.maxBatchItems);
        return Buffer.isBuffer(res) ? res : batchCodec.encodeResponse(res);
      },
      o.report,
    ),
    Query: unary(
      'Query',
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, ROUTING.querySubject);
        if (subject !== '') return o.router.owner(tenant, subject).raw(path('Query'), bytes, internalCall(call, tenant, true));
        const res = await tenantWide.run(queryCodec.decodeRequest(bytes), internalCall(call, tenant, true));
        return queryCodec.encodeResponse(res);
      },
      o.report,
    ),
  };
}
