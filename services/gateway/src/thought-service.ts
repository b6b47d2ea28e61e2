import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { internalCall } from '@engram/cluster-client';
import { invalidArgument, PUBLIC_PROTO_FILES, readStringPath, serviceDefinition, unary, type BugReporter } from '@engram/protocol';
import type { EngineRouter } from './engine-router.js';
import { ROUTING } from './routing-fields.js';

export interface ThoughtServiceOptions {
  engines: EngineRouter;
  tenantOf: (call: ServerUnaryCall<Buffer, Buffer>) => string;
  report: BugReporter;
}

type RawCall = ServerUnaryCall<Buffer, Buffer>;

/**
 * engram.v1.ThoughtService on bytes: the subject is read from the wire and the request forwarded untouched to the
 * subject's thought engine (consistent hash with bounded loads; another engine when that one is down or busy).
 * A Dream without a subject is tenant-wide and goes to the engine of the tenant.
 */
export function thoughtService(o: ThoughtServiceOptions): UntypedServiceImplementation {
  const definition = serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.ThoughtService');
  const routed = (method: string, subjectPath: readonly number[], idempotent: boolean, subjectRequired = true) => {
    const path = definition[method]!.path;
    return unary(
      method,
      async (bytes: Buffer, call: RawCall) => {
        const tenant = o.tenantOf(call);
        const subject = readStringPath(bytes, subjectPath);
        if (subjectRequired && subject.trim() === '') throw invalidArgument('subject', 'must not be empty');
        return o.engines.forward(tenant, subject, path, bytes, internalCall(call, tenant, idempotent));
      },
      o.report,
    );
  };
  return {
    DetectPatterns: routed('DetectPatterns', ROUTING.detectSubject, true),
    ListPatterns: routed('ListPatterns', ROUTING.listPatternsSubject, true),
    Predict: routed('Predict', ROUTING.predictSubject, true),
    // Feedback and Dream change weights: never sent twice.
    Feedback: routed('Feedback', ROUTING.feedbackSubject, false),
    Dream: routed('Dream', ROUTING.dreamSubject, false, false),
  };
}
