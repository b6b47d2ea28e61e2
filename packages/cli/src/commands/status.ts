import type { Command } from 'commander';
import { withClient } from '../context.js';
import { statusText } from '../format.js';
import { emit } from '../json.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("the cluster's nodes: role, health, ring share, memories, disk and latency")
    .action(async (_flags: unknown, command: Command) => {
      await withClient(command, async (client, o) => {
        const status = await client.clusterStatus();
        emit(o.json, status, () => statusText(status));
      });
    });
}
