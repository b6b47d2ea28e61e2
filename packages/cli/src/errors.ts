import { CommanderError } from 'commander';
import { statusName } from '@engram/protocol';
import { isServiceError, statusDetails } from './client.js';
import { InputError } from './input.js';

/** The command was used wrongly (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Ends a command that has already printed its outcome with a non-zero exit code (e.g. an import with failures). */
export class Exit extends Error {
  override readonly name = 'Exit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The one line a failed call prints: "<STATUS_NAME>: <details>" for a gRPC status, the message otherwise. */
export function errorMessage(err: unknown): string {
  if (isServiceError(err)) return `${statusName(err.code)}: ${statusDetails(err)}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Prints what went wrong as `error: …` on stderr (never a stack trace) and returns the exit code: 2 for usage
 * errors, 1 for failed calls and anything else.
 */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof Exit) return err.code;
  // Commander has printed its own message (or the help) already.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  stderr.write(`error: ${errorMessage(err)}\n`);
  return err instanceof UsageError || err instanceof InputError ? EXIT_USAGE : EXIT_FAILURE;
}
