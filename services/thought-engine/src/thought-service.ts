import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { internalCall } from '@engram/cluster-client';
import {
  tenantOf,
  unary,
  type BugReporter,
  type DetectPatternsRequest__Output,
  type DreamRequest__Output,
  type FeedbackRequest__Output,
  type ListPatternsRequest__Output,
  type PredictRequest__Output,
} from '@engram/protocol';
import type { Logger } from '@engram/telemetry';
import { dream } from './dream.js';
import type { ThoughtEngine } from './engine.js';

/** The internal-call context of a ThoughtService call: its tenant, deadline and cancellation. */
const ctx = (call: ServerUnaryCall<unknown, unknown>) => internalCall(call, tenantOf(call), true);

/** engram.v1.ThoughtService as a thought engine serves it (behind the gateway, which routes by subject). */
export function thoughtService(engine: ThoughtEngine, logger: Logger): UntypedServiceImplementation {
  const report: BugReporter = (err, reference, method) => logger.error({ err, reference, method }, 'bug: unexpected error');
  return {
    DetectPatterns: unary('DetectPatterns', (req: DetectPatternsRequest__Output, call) => engine.detectPatterns(req, ctx(call)), report),
    ListPatterns: unary('ListPatterns', (req: ListPatternsRequest__Output, call) => engine.listPatterns(req, ctx(call)), report),
    Predict: unary('Predict', (req: PredictRequest__Output, call) => engine.predict(req, ctx(call)), report),
    Feedback: unary('Feedback', (req: FeedbackRequest__Output, call) => engine.feedback(req, ctx(call)), report),
    Dream: unary(
      'Dream',
      (req: DreamRequest__Output, call) => dream(engine, req, ctx(call), (subject, err) => logger.warn({ err, subject }, 'dream of a subject failed')),
      report,
    ),
  };
}
