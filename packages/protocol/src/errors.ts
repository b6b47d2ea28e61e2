import { status } from '@grpc/grpc-js';

/**
 * A domain error that carries its gRPC status code. Libraries throw these; one function at the server edge
 * (toServiceError) turns any error into a status, so codes are chosen where the cause is known.
 */
export class EngramError extends Error {
  override readonly name = 'EngramError';
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** INVALID_ARGUMENT naming the offending field, e.g. `memory.subject: must not be empty`. */
export const invalidArgument = (field: string, reason: string) =>
  new EngramError(status.INVALID_ARGUMENT, `${field}: ${reason}`);
export const notFound = (message: string) => new EngramError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new EngramError(status.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string) => new EngramError(status.FAILED_PRECONDITION, message);
export const resourceExhausted = (message: string) => new EngramError(status.RESOURCE_EXHAUSTED, message);
/** Ends the message of a refusal that a client should retry after a pause (nothing was done). */
export const BUSY_HINT = 'retry with backoff';
/** RESOURCE_EXHAUSTED for a node too busy to start the work now: nothing was done, and a retry later may succeed. */
export const busy = (message: string) => resourceExhausted(`${message}; ${BUSY_HINT}`);
/** Whether a status and its message say "busy, retry later" (see busy()), as opposed to a limit the request broke. */
export const isBusy = (code: number, message: string) => code === status.RESOURCE_EXHAUSTED && message.endsWith(BUSY_HINT);
/** What a thought engine says when its worker pool cannot take a task: another engine may. */
export const SATURATED_MESSAGE = 'the thought engine\'s worker pool is saturated';
export const unavailable = (message: string, cause?: unknown) =>
  new EngramError(status.UNAVAILABLE, message, { cause });
export const deadlineExceeded = (message: string, cause?: unknown) =>
  new EngramError(status.DEADLINE_EXCEEDED, message, { cause });
export const permissionDenied = (message: string) => new EngramError(status.PERMISSION_DENIED, message);
export const unauthenticated = (message: string) => new EngramError(status.UNAUTHENTICATED, message);
export const cancelled = (message: string) => new EngramError(status.CANCELLED, message);

export function isEngramError(err: unknown): err is EngramError {
  return err instanceof EngramError;
}

/** Name of a status code ("INVALID_ARGUMENT"), for logs and CLI output. */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/** The status of a response that carries no grpc-status, from its HTTP status (gRPC's http-grpc-status-mapping). */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}
