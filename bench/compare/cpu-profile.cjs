// Preloaded into the cluster's processes by bench/compare/run.mjs (NODE_OPTIONS=--require <this file>): on-demand
// profiling through an in-process inspector session, inert until asked (one signal handler each):
//
// - SIGUSR2, first time: starts V8's sampling CPU profiler (500 µs); next time: stops it and writes the profile to
//   $ENGRAM_BENCH_PROFILE_DIR/<service>-<pid>-<n>.cpuprofile (Chrome DevTools format).
// - SIGURG: records a stage timeline for $ENGRAM_BENCH_TIMELINE_MS (default 300) ms: every stage mark of the
//   process (@engram/telemetry's stageMark: calls read and answered, internal batches, commits) and every GC pause,
//   timed in epoch microseconds so that the processes' files line up, then writes
//   $ENGRAM_BENCH_PROFILE_DIR/<service>-<pid>-timeline-<n>.json ({ service, pid, startUs, endUs, events: [[us, stage, n]] }).
// - SIGWINCH: collects garbage, then writes $ENGRAM_BENCH_PROFILE_DIR/<service>-<pid>-memory-<n>.json with
//   process.memoryUsage() before and after that collection, V8's heap spaces and, when the process started with
//   ENGRAM_BENCH_HEAP_SAMPLING=1, the sampling heap profile (live allocations by allocating stack since start).
//
// Files are written under a temporary name and renamed, so a reader never sees half of one.
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync, renameSync, mkdirSync } = require('node:fs');
const { join, basename } = require('node:path');
const v8 = require('node:v8');

const dir = process.env.ENGRAM_BENCH_PROFILE_DIR;
if (dir) {
  const script = process.argv[1] ?? '';
  // services/<name>/dist/main.js → <name>; anything else by its file name.
  const service = /services[\\/]([^\\/]+)[\\/]dist[\\/]main\.js$/.exec(script)?.[1] || basename(script, '.js') || 'node';
  const put = (name, text) => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };

  let cpu = null;
  let cpuSeq = 0;
  process.on('SIGUSR2', () => {
    if (!cpu) {
      cpu = new Session();
      cpu.connect();
      cpu.post('Profiler.enable');
      cpu.post('Profiler.setSamplingInterval', { interval: 500 });
      cpu.post('Profiler.start');
      return;
    }
    const current = cpu;
    cpu = null;
    current.post('Profiler.stop', (err, result) => {
      current.disconnect();
      if (!err) put(`${service}-${process.pid}-${cpuSeq++}.cpuprofile`, JSON.stringify(result.profile));
    });
  });

  // Stage timeline (SIGURG): a recorder on globalThis for the window, then the file.
  const RECORDER = Symbol.for('engram.stageTimeline');
  const { performance, PerformanceObserver } = require('node:perf_hooks');
  const epochUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
  let timelineSeq = 0;
  process.on('SIGURG', () => {
    if (globalThis[RECORDER]) return;
    const events = [];
    const startUs = epochUs();
    globalThis[RECORDER] = { mark: (stage, n) => events.push([epochUs(), stage, n]) };
    // A GC pause is recorded when it ends, at its start time, with its length in µs.
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) events.push([Math.round((performance.timeOrigin + e.startTime) * 1000), 'gc', Math.round(e.duration * 1000)]);
    });
    gc.observe({ entryTypes: ['gc'] });
    setTimeout(() => {
      delete globalThis[RECORDER];
      gc.disconnect();
      events.sort((a, b) => a[0] - b[0]);
      put(`${service}-${process.pid}-timeline-${timelineSeq++}.json`, JSON.stringify({ service, pid: process.pid, startUs, endUs: epochUs(), events }));
    }, Number(process.env.ENGRAM_BENCH_TIMELINE_MS ?? 300)).unref();
  });

  // The heap session connects at start only when sampling (an idle process carries no inspector session).
  let heap = null;
  const heapSession = () => {
    if (!heap) {
      heap = new Session();
      heap.connect();
      heap.post('HeapProfiler.enable');
    }
    return heap;
  };
  const sampling = process.env.ENGRAM_BENCH_HEAP_SAMPLING === '1';
  if (sampling) heapSession().post('HeapProfiler.startSampling', { samplingInterval: 256 * 1024 });
  let memSeq = 0;
  process.on('SIGWINCH', () => {
    heapSession();
    const before = process.memoryUsage();
    heap.post('HeapProfiler.collectGarbage', () => {
      const after = process.memoryUsage();
      const finish = (profile) =>
        put(
          `${service}-${process.pid}-memory-${memSeq++}.json`,
          JSON.stringify({ before, after, heapSpaces: v8.getHeapSpaceStatistics(), heapStatistics: v8.getHeapStatistics(), samplingProfile: profile ?? null }),
        );
      if (!sampling) return finish(null);
      heap.post('HeapProfiler.getSamplingProfile', (err, result) => finish(err ? null : result.profile));
    });
  });
}
