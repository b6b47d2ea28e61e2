import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerDetect } from './commands/detect.js';
import { registerDream } from './commands/dream.js';
import { registerFeedback } from './commands/feedback.js';
import { registerForget } from './commands/forget.js';
import { registerImport } from './commands/import.js';
import { registerPatterns } from './commands/patterns.js';
import { registerPredict } from './commands/predict.js';
import { registerQuery } from './commands/query.js';
import { registerRecall } from './commands/recall.js';
import { registerRemember } from './commands/remember.js';
import { registerStatus } from './commands/status.js';
import { flag } from './context.js';
import { reportError } from './errors.js';
import { parseDuration } from './input.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
export const DEFAULT_TIMEOUT_MS = 10_000;

export function buildProgram(): Command {
  const program = new Command('engram')
    .description(
      "Engram's command line: remember, recall, query and forget memories, import JSONL, detect patterns, predict, give feedback, dream, show the cluster",
    )
    .version(version)
    .addOption(new Option('--address <host:port>', 'gateway address').env('ENGRAM_ADDRESS').default(DEFAULT_ADDRESS))
    .addOption(
      new Option('--timeout <ms>', 'deadline of each call in milliseconds (or a duration: 30s, 2m)')
        .default(DEFAULT_TIMEOUT_MS)
        .argParser(flag(parseDuration, '--timeout')),
    )
    .option('--json', 'machine-readable output: one JSON document per command')
    // Subcommands created after these calls inherit them: errors throw instead of exiting, so run() picks the code.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  registerRemember(program);
  registerRecall(program);
  registerQuery(program);
  registerForget(program);
  registerStatus(program);
  registerImport(program);
  registerDetect(program);
  registerPatterns(program);
  registerPredict(program);
  registerFeedback(program);
  registerDream(program);
  registerBench(program);
  return program;
}

/** Runs the command line (arguments after the program name) and returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
