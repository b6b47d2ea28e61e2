import type { Command } from 'commander';
import { runLoadgen } from '@engram/loadgen';
import { globalOptions } from '../context.js';
import { Exit } from '../errors.js';

/**
 * `engram bench …`: the load generator (the same as `npm run bench -- …`). Its arguments pass through
 * untouched; the global --address, --timeout and --json serve as its host, per-call deadline and --json.
 */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('load test a method with the built-in generator (ghz flags and configs; `engram bench --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'load generator arguments')
    .action(async (args: string[], _flags: unknown, command: Command) => {
      const o = globalOptions(command);
      const hostGiven = command.parent?.getOptionValueSource('address') !== 'default';
      const code = await runLoadgen(args, { defaults: { host: o.address, hostGiven, timeoutMs: o.timeout, json: o.json } });
      if (code !== 0) throw new Exit(code);
    });
}
