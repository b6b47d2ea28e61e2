import { credentials, loadPackageDefinition, type CallOptions, type requestCallback, type ServiceError } from '@grpc/grpc-js';
import {
  packageDefinition,
  PUBLIC_PROTO_FILES,
  type DetectPatternsRequest,
  type DetectPatternsResponse__Output,
  type DreamReport__Output,
  type DreamRequest,
  type FeedbackRequest,
  type FeedbackResponse__Output,
  type ListPatternsRequest,
  type ListPatternsResponse__Output,
  type MemoryInput,
  type PredictRequest,
  type PredictResponse__Output,
  type QueryRequest,
  type QueryResponse__Output,
  type RememberBatchResponse__Output,
} from '@engram/protocol';
import type { ProtoGrpcType as AdminProto } from '@engram/protocol/generated/admin.js';
import type { ProtoGrpcType as MemoryProto } from '@engram/protocol/generated/memory.js';
import type { ProtoGrpcType as ThoughtProto } from '@engram/protocol/generated/thought.js';
import type { AdminServiceClient } from '@engram/protocol/generated/engram/v1/AdminService.js';
import type { MemoryServiceClient } from '@engram/protocol/generated/engram/v1/MemoryService.js';
import type { ThoughtServiceClient } from '@engram/protocol/generated/engram/v1/ThoughtService.js';
import type { ClusterStatusResponse__Output } from '@engram/protocol/generated/engram/v1/ClusterStatusResponse.js';
import type { ForgetResponse__Output } from '@engram/protocol/generated/engram/v1/ForgetResponse.js';
import type { ForgetSubjectResponse__Output } from '@engram/protocol/generated/engram/v1/ForgetSubjectResponse.js';
import type { RecallRequest } from '@engram/protocol/generated/engram/v1/RecallRequest.js';
import type { RecallResponse__Output } from '@engram/protocol/generated/engram/v1/RecallResponse.js';
import type { RememberResponse__Output } from '@engram/protocol/generated/engram/v1/RememberResponse.js';

/** The public API as promises; every call has its own deadline of timeoutMs from when it starts. */
export interface EngramClient {
  remember(memory: MemoryInput): Promise<RememberResponse__Output>;
  rememberBatch(memories: MemoryInput[]): Promise<RememberBatchResponse__Output>;
  recall(request: RecallRequest): Promise<RecallResponse__Output>;
  query(request: QueryRequest): Promise<QueryResponse__Output>;
  forget(subject: string, id: string): Promise<ForgetResponse__Output>;
  forgetSubject(subject: string): Promise<ForgetSubjectResponse__Output>;
  clusterStatus(): Promise<ClusterStatusResponse__Output>;
  detectPatterns(request: DetectPatternsRequest): Promise<DetectPatternsResponse__Output>;
  listPatterns(request: ListPatternsRequest): Promise<ListPatternsResponse__Output>;
  predict(request: PredictRequest): Promise<PredictResponse__Output>;
  feedback(request: FeedbackRequest): Promise<FeedbackResponse__Output>;
  dream(request: DreamRequest): Promise<DreamReport__Output>;
  close(): void;
}

export interface ClientOptions {
  /** host:port of a gateway. */
  address: string;
  timeoutMs: number;
}

/** Largest response accepted (a page of 1000 long memories fits). */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

type Proto = MemoryProto & ThoughtProto & AdminProto;

let proto: Proto | undefined;
const services = (): Proto['engram']['v1'] => (proto ??= loadPackageDefinition(packageDefinition(PUBLIC_PROTO_FILES)) as unknown as Proto).engram.v1;

/** A gRPC status error (as opposed to a bug or an I/O error). */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && typeof (err as Partial<ServiceError>).details === 'string';
}

/** A status error's details, without the empty "Resolution note: " grpc-js appends to connection errors. */
export function statusDetails(err: ServiceError): string {
  return err.details.replace(/\s*Resolution note:\s*$/, '').trim();
}

/** Clients connect lazily: a command that only needs one service opens one channel. */
export function createClient(o: ClientOptions): EngramClient {
  const channelOptions = { 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES };
  let memory: MemoryServiceClient | undefined;
  let thought: ThoughtServiceClient | undefined;
  let admin: AdminServiceClient | undefined;
  const memoryClient = () => (memory ??= new (services().MemoryService)(o.address, credentials.createInsecure(), channelOptions));
  const thoughtClient = () => (thought ??= new (services().ThoughtService)(o.address, credentials.createInsecure(), channelOptions));
  const adminClient = () => (admin ??= new (services().AdminService)(o.address, credentials.createInsecure(), channelOptions));

  /** Starts one call with a fresh deadline and settles with its response or its status error. */
  const unary = <Res>(start: (options: CallOptions, callback: requestCallback<Res>) => void): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      start({ deadline: Date.now() + o.timeoutMs }, (err, res) => {
        if (err) reject(err);
        else if (res === undefined) reject(new Error('empty response'));
        else resolve(res);
      });
    });

  return {
    remember: (input) => unary<RememberResponse__Output>((opts, cb) => memoryClient().remember({ memory: input }, opts, cb)),
    rememberBatch: (memories) => unary<RememberBatchResponse__Output>((opts, cb) => memoryClient().rememberBatch({ memories }, opts, cb)),
    recall: (request) => unary<RecallResponse__Output>((opts, cb) => memoryClient().recall(request, opts, cb)),
    query: (request) => unary<QueryResponse__Output>((opts, cb) => memoryClient().query(request, opts, cb)),
    forget: (subject, id) => unary<ForgetResponse__Output>((opts, cb) => memoryClient().forget({ subject, id }, opts, cb)),
    forgetSubject: (subject) => unary<ForgetSubjectResponse__Output>((opts, cb) => memoryClient().forgetSubject({ subject }, opts, cb)),
    clusterStatus: () => unary<ClusterStatusResponse__Output>((opts, cb) => adminClient().clusterStatus({}, opts, cb)),
    detectPatterns: (request) => unary<DetectPatternsResponse__Output>((opts, cb) => thoughtClient().detectPatterns(request, opts, cb)),
    listPatterns: (request) => unary<ListPatternsResponse__Output>((opts, cb) => thoughtClient().listPatterns(request, opts, cb)),
    predict: (request) => unary<PredictResponse__Output>((opts, cb) => thoughtClient().predict(request, opts, cb)),
    feedback: (request) => unary<FeedbackResponse__Output>((opts, cb) => thoughtClient().feedback(request, opts, cb)),
    dream: (request) => unary<DreamReport__Output>((opts, cb) => thoughtClient().dream(request, opts, cb)),
    close: () => {
      memory?.close();
      thought?.close();
      admin?.close();
    },
  };
}
