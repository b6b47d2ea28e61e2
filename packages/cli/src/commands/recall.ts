import type { Command } from 'commander';
import { withClient } from '../context.js';
import { memoryText } from '../format.js';
import { emit, memoryJson } from '../json.js';

export function registerRecall(program: Command): void {
  program
    .command('recall')
    .description('read one memory by id (counts as an access unless --no-reinforce)')
    .argument('<subject>')
    .argument('<id>')
    .option('--no-reinforce', 'read without counting an access')
    .action(async (subject: string, id: string, flags: { reinforce: boolean }, command: Command) => {
      await withClient(command, async (client, o) => {
        const { memory } = await client.recall({ subject, id, skipReinforce: !flags.reinforce });
        if (!memory) throw new Error('the server answered without a memory');
        emit(o.json, { memory: memoryJson(memory) }, () => memoryText(memory));
      });
    });
}
