/**
 * Stage marks: points on a request's path that an on-demand timeline records, to see where a loop of calls spends
 * its time across processes (bench/compare's stage timeline). Nothing records them unless a recorder is installed
 * at `globalThis[Symbol.for('engram.stageTimeline')]` (bench/compare/cpu-profile.cjs installs one for a few hundred
 * milliseconds on SIGURG); until then a mark costs one property read.
 *
 * - `call.in` / `call.out`: a unary call's request fully read / its answer written (the fast path; n = bytes out).
 * - `batch.send` / `batch.back`: a coalesced internal batch sent to a shard / its answer back (n = calls in it).
 * - `write.queued` / `write.committed`: a RememberBatch's memories all queued for commit / all committed (n = items).
 * - `commit.start` / `commit.end`: a group commit's LevelDB write begun / done (n = writes in it).
 */
export type Stage = 'call.in' | 'call.out' | 'batch.send' | 'batch.back' | 'write.queued' | 'write.committed' | 'commit.start' | 'commit.end';

/** What a recorder installed on globalThis is given. */
export interface StageRecorder {
  mark(stage: Stage, n: number): void;
}

export const STAGE_RECORDER: unique symbol = Symbol.for('engram.stageTimeline');

export function stageMark(stage: Stage, n = 0): void {
  const recorder = (globalThis as { [STAGE_RECORDER]?: StageRecorder })[STAGE_RECORDER];
  if (recorder !== undefined) recorder.mark(stage, n);
}
