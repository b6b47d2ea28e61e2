import { status, type ServiceError } from '@grpc/grpc-js';
import { BrokenCircuitError } from 'cockatiel';
import { EngramError, cancelled, deadlineExceeded, unavailable } from '@engram/protocol';

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as ServiceError).code === 'number' && 'details' in err;
}

/**
 * The one place internal-call failures become domain errors. A node's own answer (INVALID_ARGUMENT,
 * NOT_FOUND, ...) passes through unchanged; a node that cannot be reached or does not answer in time is
 * UNAVAILABLE naming it, unless the caller's own deadline is what ran out.
 */
export function fromInternalError(err: unknown, node: string, callerDeadlineMs: number | undefined, timeoutMs: number): EngramError {
  if (err instanceof EngramError) return err;
  if (err instanceof BrokenCircuitError) return unavailable(`${node} is unavailable (failing fast after repeated errors)`, err);
  if (!isServiceError(err)) return unavailable(`call to ${node} failed: ${String(err)}`, err);
  switch (err.code) {
    case status.UNAVAILABLE:
      return unavailable(`${node} is unavailable: ${err.details}`, err);
    case status.DEADLINE_EXCEEDED:
      if (callerDeadlineMs !== undefined && Date.now() >= callerDeadlineMs - 1) return deadlineExceeded('deadline exceeded', err);
      return unavailable(`${node} did not answer within ${timeoutMs} ms`, err);
    case status.CANCELLED:
      return cancelled('call cancelled');
    default:
      return new EngramError(err.code, err.details, { cause: err });
  }
}

/** Failures that say nothing about the request itself: worth a retry elsewhere or later, and count against a node's circuit. */
export function isNodeFailure(err: unknown): boolean {
  return err instanceof EngramError && err.code === status.UNAVAILABLE;
}
