#!/usr/bin/env node
// Stage timeline of coalesced calls through the gateway (Remember, Recall): where one loop of calls spends its time
// between the load generator, the gateway and a shard. Reads the timeline files that bench/compare/cpu-profile.cjs
// writes on SIGURG (one per process, stage marks in epoch µs, see @engram/telemetry's stage-marks.ts).
//
//   node bench/compare/timeline.mjs <gateway-timeline.json> <shard-timeline.json>     (prints the analysis as JSON)
//
// For each internal batch the gateway sent and got back within the window, the stages are found by following the
// marks from one to the next: the gateway reading its calls, the hop to the shard, the shard's processing (until
// the batch's memories are queued for commit; until its answer for a batch that writes nothing), the wait for
// their commit, the shard's answer, the hop back, the gateway writing the answers, and the load generator's turn
// until the gateway reads the next call. When internal batches overlap (`overlap` > 0) a mark may belong to another
// batch than the one followed, and the stages are approximate.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The first index i ≥ from with events[i] of `stage` at or after `t`, or -1. */
function next(events, stage, t, from = 0) {
  for (let i = from; i < events.length; i++) if (events[i][1] === stage && events[i][0] >= t) return i;
  return -1;
}

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const STAGES = [
  ['intake', 'gateway reads the calls (first call read → internal batch sent)'],
  ['toShard', 'internal batch to the shard'],
  ['process', 'shard processes the batch (until its memories are queued for commit, or its answer)'],
  ['commit', 'wait for the commits (queued → committed)'],
  ['shardAnswer', 'shard writes its answer'],
  ['back', 'answer back at the gateway'],
  ['answers', 'gateway writes the calls\' answers'],
  ['turnaround', 'load generator: last answer written → next call read'],
];

/** GC pauses within a file's window: count, total and longest (ms). */
function gcOf(file) {
  const pauses = file.events.filter((e) => e[1] === 'gc').map((e) => e[2] / 1000);
  return { count: pauses.length, totalMs: pauses.reduce((a, b) => a + b, 0), maxMs: pauses.length ? Math.max(...pauses) : 0 };
}

/**
 * The stage table of a window: per stage the median in ms over the batches that had it, and how many did;
 * `cycleMs` the median time from one batch's first call read to the next batch's; `overlap` the share of the
 * window during which more than one internal batch was out; GC pauses and LevelDB writes of each process.
 */
export function analyzeTimeline(gateway, shard) {
  const gw = gateway.events;
  const sh = shard.events;
  // Internal batches: sends matched to answers in order.
  const sends = gw.filter((e) => e[1] === 'batch.send');
  const backs = gw.filter((e) => e[1] === 'batch.back');
  const batches = [];
  for (let i = 0, j = 0; i < sends.length && j < backs.length; i++) {
    while (j < backs.length && backs[j][0] < sends[i][0]) j++;
    if (j < backs.length) batches.push({ send: sends[i][0], back: backs[j++][0], calls: sends[i][2] });
  }
  // Time with more than one batch out.
  const edges = batches.flatMap((b) => [[b.send, 1], [b.back, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = 0;
  let overlapUs = 0;
  for (let k = 0; k < edges.length; k++) {
    if (out > 1 && k > 0) overlapUs += edges[k][0] - edges[k - 1][0];
    out += edges[k][1];
  }
  const windowUs = Math.max(1, Math.min(gateway.endUs, shard.endUs) - Math.max(gateway.startUs, shard.startUs));

  const samples = Object.fromEntries(STAGES.map(([k]) => [k, []]));
  const firstReads = [];
  let previousSend = -Infinity;
  for (const b of batches) {
    const us = (a, z) => (z - a) / 1000;
    const firstIn = next(gw, 'call.in', previousSend === -Infinity ? gateway.startUs : previousSend);
    if (firstIn >= 0 && gw[firstIn][0] <= b.send && previousSend !== -Infinity) {
      samples.intake.push(us(gw[firstIn][0], b.send));
      firstReads.push(gw[firstIn][0]);
    }
    previousSend = b.send;
    const shIn = next(sh, 'call.in', b.send);
    if (shIn < 0 || sh[shIn][0] > b.back) continue;
    samples.toShard.push(us(b.send, sh[shIn][0]));
    const shOut = next(sh, 'call.out', sh[shIn][0], shIn);
    const queued = next(sh, 'write.queued', sh[shIn][0], shIn);
    let answerFrom = sh[shIn][0];
    if (queued >= 0 && (shOut < 0 || sh[queued][0] <= sh[shOut][0])) {
      samples.process.push(us(sh[shIn][0], sh[queued][0]));
      const committed = next(sh, 'write.committed', sh[queued][0], queued);
      if (committed >= 0 && sh[committed][0] <= b.back) {
        samples.commit.push(us(sh[queued][0], sh[committed][0]));
        answerFrom = sh[committed][0];
      }
    } else if (shOut >= 0) {
      samples.process.push(us(sh[shIn][0], sh[shOut][0]));
      answerFrom = sh[shOut][0];
    }
    const shAnswer = next(sh, 'call.out', answerFrom, shIn);
    if (shAnswer >= 0 && sh[shAnswer][0] <= b.back) {
      if (answerFrom !== sh[shAnswer][0]) samples.shardAnswer.push(us(answerFrom, sh[shAnswer][0]));
      samples.back.push(us(sh[shAnswer][0], b.back));
    }
    // The gateway's answers: its call.out marks after the batch came back, up to the next call it reads.
    const backAt = gw.findIndex((e) => e[1] === 'batch.back' && e[0] === b.back);
    const nextIn = next(gw, 'call.in', b.back, backAt);
    let lastOut = -1;
    for (let k = backAt + 1; k < gw.length && (nextIn < 0 || k < nextIn); k++) if (gw[k][1] === 'call.out') lastOut = k;
    if (lastOut >= 0) {
      samples.answers.push(us(b.back, gw[lastOut][0]));
      if (nextIn >= 0) samples.turnaround.push(us(gw[lastOut][0], gw[nextIn][0]));
    }
  }
  const commits = [];
  for (let k = 0; k < sh.length; k++) {
    if (sh[k][1] !== 'commit.start') continue;
    const end = next(sh, 'commit.end', sh[k][0], k + 1);
    if (end >= 0) commits.push([(sh[end][0] - sh[k][0]) / 1000, sh[k][2]]);
  }
  const cycles = firstReads.slice(1).map((t, i) => (t - firstReads[i]) / 1000);
  return {
    windowMs: windowUs / 1000,
    batches: batches.length,
    callsPerBatch: median(batches.map((b) => b.calls)),
    cycleMs: median(cycles),
    overlap: overlapUs / windowUs,
    stages: STAGES.map(([key, label]) => ({ key, label, medianMs: median(samples[key]), batches: samples[key].length })),
    gc: { gateway: gcOf(gateway), shard: gcOf(shard) },
    commits: { count: commits.length, medianMs: median(commits.map((c) => c[0])), maxMs: commits.length ? Math.max(...commits.map((c) => c[0])) : 0, writesMedian: median(commits.map((c) => c[1])) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [gatewayFile, shardFile] = process.argv.slice(2);
  if (!gatewayFile || !shardFile) {
    console.error('usage: node bench/compare/timeline.mjs <gateway-timeline.json> <shard-timeline.json>');
    process.exit(2);
  }
  const read = (f) => JSON.parse(readFileSync(f, 'utf8'));
  console.log(JSON.stringify(analyzeTimeline(read(gatewayFile), read(shardFile)), null, 2));
}
