import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { MemoryEngine } from '@engram/memory';
import {
  invalidArgument,
  tenantOf,
  unary,
  type BugReporter,
  type ForgetRequest__Output,
  type ForgetSubjectRequest__Output,
  type QueryRequest__Output,
  type RecallRequest__Output,
  type RecallBatchRequest__Output,
  type RecallBatchResponse,
  isEngramError,
  type ReinforceRequest__Output,
  type RememberBatchRequest__Output,
  type RememberRequest__Output,
  type ScatterQueryRequest__Output,
  type SetClockRequest__Output,
  type ReadStreamRequest__Output,
  type PutPatternsRequest__Output,
  type ListPatternsRequest__Output,
  type ApplyFeedbackRequest__Output,
  type GetWeightsRequest__Output,
  type ConsolidateRequest__Output,
  type GetDreamStateRequest__Output,
  type PutDreamStateRequest__Output,
  type ListSubjectsRequest__Output,
} from '@engram/protocol';
import type { Logger } from '@engram/telemetry';

/** engram.shard.v1.ShardService over a memory engine: handlers only translate; the engine decides. */
export function shardService(engine: MemoryEngine, logger: Logger): UntypedServiceImplementation {
  const report: BugReporter = (err, reference, method) => logger.error({ err, reference, method }, 'bug: unexpected error');
  return {
    Remember: unary('Remember', async (req: RememberRequest__Output, call) => {
      if (!req.memory) throw invalidArgument('memory', 'must be set');
      return engine.remember(tenantOf(call), req.memory);
    }, report),
    RememberBatch: unary('RememberBatch', (req: RememberBatchRequest__Output, call) =>
      engine.rememberBatch(tenantOf(call), req.memories, (err) => {
        const reference = crypto.randomUUID();
        report(err, reference, 'RememberBatch');
        return { code: 2, message: `internal error (reference ${reference})` };
      }), report),
    Recall: unary('Recall', (req: RecallRequest__Output, call) => engine.recall(tenantOf(call), req.subject, req.id, !req.skipReinforce), report),
    RecallBatch: unary('RecallBatch', async (req: RecallBatchRequest__Output, call): Promise<RecallBatchResponse> => {
      const tenant = tenantOf(call);
      // One read of every record the cache lacks (getMany), each item answered as its Recall would be.
      const answers = await engine.recallMany(tenant, req.requests.map((r) => ({ subject: r.subject, id: r.id, reinforce: !r.skipReinforce })));
      return {
        results: answers.map((a, index) => (isEngramError(a) ? { index, error: { code: a.code, message: a.message } } : { index, ok: a })),
      };
    }, report),
    Query: unary('Query', (req: QueryRequest__Output, call) => engine.query(tenantOf(call), req), report),
    ScatterQuery: unary('ScatterQuery', (req: ScatterQueryRequest__Output, call) => engine.scatter(tenantOf(call), req), report),
    Reinforce: unary('Reinforce', async (req: ReinforceRequest__Output, call) => ({
      reinforced: engine.reinforce(tenantOf(call), req.refs, req.atMs),
    }), report),
    Forget: unary('Forget', (req: ForgetRequest__Output, call) => engine.forget(tenantOf(call), req.subject, req.id), report),
    ForgetSubject: unary('ForgetSubject', (req: ForgetSubjectRequest__Output, call) => engine.forgetSubject(tenantOf(call), req.subject), report),
    Stats: unary('Stats', () => engine.stats(), report),
    SetClock: unary('SetClock', (req: SetClockRequest__Output) => engine.setClock(req.nowMs, req.sweep), report),
    ReadStream: unary('ReadStream', (req: ReadStreamRequest__Output, call) => engine.thoughts.readStream(tenantOf(call), req), report),
    PutPatterns: unary('PutPatterns', (req: PutPatternsRequest__Output, call) => engine.thoughts.putPatterns(tenantOf(call), req), report),
    ListPatterns: unary('ListPatterns', (req: ListPatternsRequest__Output, call) => engine.thoughts.listPatterns(tenantOf(call), req), report),
    ApplyFeedback: unary('ApplyFeedback', (req: ApplyFeedbackRequest__Output, call) => engine.thoughts.applyFeedback(tenantOf(call), req), report),
    GetWeights: unary('GetWeights', (req: GetWeightsRequest__Output, call) => engine.thoughts.getWeights(tenantOf(call), req), report),
    Consolidate: unary('Consolidate', (req: ConsolidateRequest__Output, call) => engine.thoughts.consolidate(tenantOf(call), req), report),
    GetDreamState: unary('GetDreamState', (req: GetDreamStateRequest__Output, call) => engine.thoughts.getDreamState(tenantOf(call), req.subject), report),
    PutDreamState: unary('PutDreamState', (req: PutDreamStateRequest__Output, call) => engine.thoughts.putDreamState(tenantOf(call), req.subject, req.state), report),
    ListSubjects: unary('ListSubjects', (req: ListSubjectsRequest__Output, call) => engine.thoughts.listSubjects(tenantOf(call), req), report),
  };
}
