import type { ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { flag, withClient } from '../context.js';
import { Exit, EXIT_FAILURE } from '../errors.js';
import { fields } from '../format.js';
import { importLines, type ImportProgress, type ImportSummary } from '../importer.js';
import { parseInteger } from '../input.js';
import { emit } from '../json.js';

interface ImportFlags {
  batchSize: number;
  concurrency: number;
}

/** Line errors shown in human mode (--json lists them all). */
const HUMAN_ERRORS = 20;

/** Counts the bytes of the lines it passes on, for the progress bar. */
async function* counting(lines: AsyncIterable<string>, counter: { bytes: number }): AsyncGenerator<string> {
  for await (const line of lines) {
    counter.bytes += Buffer.byteLength(line) + 1;
    yield line;
  }
}

/** A progress bar on stderr over the file's bytes, showing items and items/s. */
function progressBar(totalBytes: number, counter: { bytes: number }) {
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'importing [{bar}] {percentage}% | {done} items | {rate} items/s | {failed} failed | {duration_formatted}',
    barsize: 30,
    fps: 10,
  });
  bar.start(Math.max(totalBytes, 1), 0, { done: 0, rate: 0, failed: 0 });
  return {
    update: (p: ImportProgress) =>
      bar.update(Math.min(counter.bytes, totalBytes), { done: p.done, rate: p.seconds > 0 ? Math.round(p.done / p.seconds) : 0, failed: p.failed }),
    stop: () => bar.stop(),
  };
}

function summaryText(file: string, s: ImportSummary): string {
  const lines = [
    `imported ${file}: ${s.succeeded} of ${s.total} memories in ${s.seconds.toFixed(2)} s (${Math.round(s.writesPerSecond)} writes/s)`,
    fields([
      ['  total', String(s.total)],
      ['  succeeded', String(s.succeeded)],
      ['  failed', String(s.failed)],
      ['  deduplicated', String(s.deduplicated)],
    ]),
  ];
  if (s.failed > 0) {
    lines.push(s.failed > s.errors.length ? `errors (first ${s.errors.length} of ${s.failed}):` : 'errors:');
    for (const e of s.errors) lines.push(`  line ${e.line}: ${e.status ? `${e.status}: ` : ''}${e.message}`);
  }
  return lines.join('\n');
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('remember every line of a JSONL file (each line a MemoryInput object) in batches')
    .argument('<file>', 'JSONL file: {"subject", "content", "kind", "tags", "attributes", "layer", "importance", "valence", "arousal", "id", "occurredAt", "ttl"}')
    .option('--batch-size <n>', 'items per RememberBatch call', flag((v, f) => parseInteger(v, f, 1, 100_000), '--batch-size'), 500)
    .option('--concurrency <n>', 'batches in flight', flag((v, f) => parseInteger(v, f, 1, 256), '--concurrency'), 4)
    .action(async (file: string, flags: ImportFlags, command: Command) => {
      await withClient(command, async (client, o) => {
        const handle = await open(file, 'r').catch((err: Error) => {
          throw new Error(`cannot read ${file}: ${err.message.replace(/, \w+ '.*'$/, '')}`);
        });
        let input: ReadStream | undefined;
        let reader: Interface | undefined;
        try {
          const info = await handle.stat();
          if (!info.isFile()) throw new Error(`cannot read ${file}: not a file`);
          input = handle.createReadStream({ encoding: 'utf8', autoClose: false });
          reader = createInterface({ input, crlfDelay: Infinity });
          // Start the line iterator now: it is what turns a read error into a rejection (instead of a crash).
          reader[Symbol.asyncIterator]();
          const counter = { bytes: 0 };
          const bar = process.stderr.isTTY && !o.json ? progressBar(info.size, counter) : undefined;
          let summary: ImportSummary;
          try {
            summary = await importLines(counting(reader, counter), client, {
              batchSize: flags.batchSize,
              concurrency: flags.concurrency,
              maxErrors: o.json ? Infinity : HUMAN_ERRORS,
              ...(bar ? { onProgress: bar.update } : {}),
            });
          } finally {
            bar?.stop();
          }
          emit(o.json, { file, ...summary }, () => summaryText(file, summary));
          if (summary.failed > 0) throw new Exit(EXIT_FAILURE);
        } finally {
          reader?.close();
          input?.destroy();
          await handle.close();
        }
      });
    });
}
