import { randomUUID } from 'node:crypto';
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { EngramError } from './errors.js';

/** Where unexpected errors (bugs) are reported before the client gets a bare UNKNOWN. */
export type BugReporter = (err: unknown, reference: string, method: string) => void;

/**
 * Turns anything a handler threw into the status a client sees. Domain errors keep their code and message;
 * anything else is a bug: the client gets UNKNOWN with a reference, the stack goes to the reporter.
 */
export function toServiceError(err: unknown, method: string, report: BugReporter): Partial<ServiceError> {
  if (err instanceof EngramError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const reference = randomUUID();
  report(err, reference, method);
  return { code: status.UNKNOWN, details: `internal error (reference ${reference})`, metadata: new Metadata() };
}
