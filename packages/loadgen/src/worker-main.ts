// A load worker process (see runner.ts): prepares its share of the run, waits for "go", runs, reports.
import { runHere, type FromWorker, type ToWorker } from './runner.js';

const post = (message: FromWorker): void => {
  process.send?.(message);
};
const abort = new AbortController();
let go: (() => void) | undefined;
const started = new Promise<void>((resolve) => (go = resolve));

process.on('message', (message: ToWorker) => {
  if (message.type === 'go') go?.();
  else if (message.type === 'abort') abort.abort();
  else if (message.type === 'start') {
    runHere(message.spec, message.index, message.count, {
      signal: abort.signal,
      progressIntervalMs: message.progressIntervalMs,
      onProgress: (progress) => post({ type: 'progress', progress: { ...progress, logHistogram: progress.logHistogram.slice() } }),
      onReady: async (distinctBodies) => {
        post({ type: 'ready', distinctBodies });
        await started;
      },
    }).then(
      (outcome) => post({ type: 'done', outcome, cpuSeconds: outcome.generator.cpuSeconds, peakRssBytes: outcome.generator.peakRssBytes }),
      (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }
});
