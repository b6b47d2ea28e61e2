import { CommanderError } from 'commander';
import { ConfigError, loadConfig, type ConfigSource, type GroupMap, type ConfigOf } from '@engram/config';
import type { Logger } from '@engram/telemetry';

/**
 * Reads a service's configuration from its flags and environment, or exits: 0 after --help, 2 with every
 * problem listed for a bad setting.
 */
export function configureOrExit<G extends GroupMap>(groups: G, program: ConfigSource['program']): ConfigOf<G> {
  try {
    return loadConfig(groups, { argv: process.argv.slice(2), env: process.env, program });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Runs stop() once on the first SIGINT or SIGTERM (or, with stopWithParent, when the parent process goes away),
 * then exits 0 (1 if stopping failed). A second signal exits at once. Unexpected errors are logged and end the process: they are bugs, and a supervisor restarts it.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, options: { stopWithParent?: boolean } = {}): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals | 'parent exited') => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (options.stopWithParent) watchParent(() => onSignal('parent exited'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
}

/**
 * Calls onExit once when this process's parent is gone (it is then re-parented, so its ppid changes). Linux has
 * PR_SET_PDEATHSIG for this, but Node does not expose it; a poll once a second is cheap and works everywhere.
 */
export function watchParent(onExit: () => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
