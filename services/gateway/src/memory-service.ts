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

  /** A handler that routes by one subject field to the owner's method of the same name. */
  const routed = (method: string, subjectPath: readonly number[], field: string, idempotent: (bytes: Buffer) => boolean) => {
    const shardPath = path(method);
    return unary(
      method,
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, subjectPath);
        if (subject.trim() === '') throw invalidArgument(field, 'must not be empty');
        return o.router.owner(tenant, subject).raw(shardPath, bytes, internalCall(call, tenant, idempotent(bytes)));
      },
      o.report,
    );
  };

  return {
    Remember: unary(
      'Remember',
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, ROUTING.rememberSubject);
        if (subject.trim() === '') throw invalidArgument('memory.subject', 'must not be empty');
        const idempotent = readStringPath(bytes, ROUTING.rememberId) !== '';
        return o.coalesce.remember.call(o.router.owner(tenant, subject), bytes, internalCall(call, tenant, idempotent));
      },
      o.report,
    ),
    Recall: unary(
      'Recall',
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, ROUTING.recallSubject);
        if (subject.trim() === '') throw invalidArgument('subject', 'must not be empty');
        return o.coalesce.recall.call(o.router.owner(tenant, subject), bytes, internalCall(call, tenant, true));
      },
      o.report,
    ),
    Forget: routed('Forget', ROUTING.forgetSubject, 'subject', () => true),
    ForgetSubject: routed('ForgetSubject', ROUTING.forgetSubjectSubject, 'subject', () => true),
    RememberBatch: unary(
      'RememberBatch',
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const res = await splitBatch(o.router, bytes, tenant, (idempotent) => internalCall(call, tenant, idempotent), o.maxBatchItems);
        return batchCodec.encodeResponse(res);
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
