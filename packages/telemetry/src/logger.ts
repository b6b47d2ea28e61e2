import { pino, type Logger as PinoLogger } from 'pino';

/** The logging surface packages depend on; services pass a pino logger. */
export type Logger = Pick<PinoLogger, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child'>;

/**
 * A JSON logger on stdout for a service. Each line names the service and node; process supervisors (and the
 * test harness) read events such as "listening" from it.
 */
export function createLogger(service: string, node: string, level: string): PinoLogger {
  // Synchronous writes: pino's default (asynchronous) destination flushes at exit in a loop that retries a broken
  // pipe forever (sonic-boom 4's flushSync), so a node whose supervisor died hung on SIGTERM instead of exiting.
  // A synchronous write sees EPIPE at once, and pino then stops logging. Nodes log events, not requests.
  return pino({ level, base: { service, node }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything (library tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
