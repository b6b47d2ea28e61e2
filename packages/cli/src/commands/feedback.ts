import type { Command } from 'commander';
import type { FeedbackRequest } from '@engram/protocol';
import { flag, withClient } from '../context.js';
import { UsageError } from '../errors.js';
import { feedbackText } from '../format.js';
import { parseNumber } from '../input.js';
import { emit } from '../json.js';

interface FeedbackFlags {
  memory?: string;
  pattern?: string;
  prediction?: string;
  reward: number;
}

/** The request of the one target given; anything but exactly one is a usage error. */
export function feedbackRequest(subject: string, f: FeedbackFlags): FeedbackRequest {
  const given = (['memory', 'pattern', 'prediction'] as const).filter((target) => f[target] !== undefined);
  if (given.length === 0) throw new UsageError('no target given: name what the feedback is about with --memory, --pattern or --prediction');
  if (given.length > 1) throw new UsageError(`give exactly one target, not ${given.map((target) => `--${target}`).join(' and ')}`);
  const request: FeedbackRequest = { subject, reward: f.reward };
  if (f.memory !== undefined) request.memoryId = f.memory;
  if (f.pattern !== undefined) request.patternId = f.pattern;
  if (f.prediction !== undefined) request.predictionId = f.prediction;
  return request;
}

export function registerFeedback(program: Command): void {
  program
    .command('feedback')
    .description('reward (1) or punish (-1) a memory, a pattern or a prediction; later predictions learn from it')
    .argument('<subject>')
    .option('--memory <id>', 'the feedback is about this memory')
    .option('--pattern <id>', 'the feedback is about this pattern')
    .option('--prediction <id>', 'the feedback is about this prediction (its item and its patterns)')
    .requiredOption('--reward <-1..1>', '-1 (wrong, useless) to 1 (right, useful)', flag((v, f) => parseNumber(v, f, -1, 1), '--reward'))
    .action(async (subject: string, flags: FeedbackFlags, command: Command) => {
      const request = feedbackRequest(subject, flags);
      await withClient(command, async (client, o) => {
        const res = await client.feedback(request);
        emit(o.json, res, () => feedbackText(res));
      });
    });
}
