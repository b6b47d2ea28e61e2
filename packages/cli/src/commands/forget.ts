import type { Command } from 'commander';
import { withClient } from '../context.js';
import { UsageError } from '../errors.js';
import { emit } from '../json.js';

export function registerForget(program: Command): void {
  program
    .command('forget')
    .description('delete one memory for good, or with --all-of-subject everything about a subject')
    .argument('<subject>')
    .argument('[id]', 'the memory to delete')
    .option('--all-of-subject', 'delete every memory of the subject (required when no id is given)')
    .action(async (subject: string, id: string | undefined, flags: { allOfSubject?: boolean }, command: Command) => {
      if (id !== undefined && flags.allOfSubject) throw new UsageError('give either an id or --all-of-subject, not both');
      if (id === undefined && !flags.allOfSubject) {
        throw new UsageError(`no id given: to delete every memory of "${subject}", add --all-of-subject`);
      }
      await withClient(command, async (client, o) => {
        if (id !== undefined) {
          const { existed } = await client.forget(subject, id);
          emit(o.json, { subject, id, existed }, () => (existed ? `forgot ${id}` : `${id} did not exist`));
        } else {
          const { deleted } = await client.forgetSubject(subject);
          emit(o.json, { subject, deleted }, () => `forgot ${deleted} ${deleted === 1 ? 'memory' : 'memories'} of ${subject}`);
        }
      });
    });
}
