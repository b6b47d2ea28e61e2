#!/usr/bin/env node
// Import throughput through the whole path (CLI → gateway → shards, RememberBatch, fsync on): starts a local
// cluster on ephemeral ports with a temporary store, imports generated memories with `engram import`, and
// prints the writes per second the CLI reports. Usage: node bench/import-rate.mjs [memories=20000] [subjects=200]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const memories = Number(process.argv[2] ?? 20_000);
const subjects = Number(process.argv[3] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-'));

const words = 'coffee meeting garden river budget invoice travel doctor music family project deadline weather dinner book'.split(' ');
const lines = Array.from({ length: memories }, (_, i) =>
  JSON.stringify({
    subject: `user-${i % subjects}`,
    kind: i % 3 ? 'message' : 'observation',
    content: `Entry ${i}: ${words[i % 15]} with ${words[(i * 7) % 15]} and ${words[(i * 11) % 15]}, noted at step ${i}.`,
    tags: [words[i % 15]],
  }),
);
const file = join(dir, 'memories.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);

const cluster = spawn(process.execPath, [join(root, 'services/local-cluster/dist/main.js')], {
  env: { ...process.env, ENGRAM_LOCAL_DATA_DIR: join(dir, 'data'), ENGRAM_LOCAL_GATEWAY_PORT: '0', ENGRAM_LOCAL_SHARD_BASE_PORT: '0', ENGRAM_LOCAL_ENGINE_BASE_PORT: '0', ENGRAM_LOCAL_METRICS_BASE_PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise((resolve) => cluster.on('exit', resolve));
const gateway = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`cluster did not start:\n${out}`)), 60_000);
  cluster.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const m = /^\s+gateway\s+(\S+)/m.exec(out);
    if (m && out.includes('Ctrl-C')) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
});

try {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'packages/cli/bin/engram.js'), '--address', gateway, '--json', '--timeout', '60000', 'import', file],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const summary = JSON.parse(stdout);
  console.log(JSON.stringify({ memories, subjects, ...summary }, null, 2));
} finally {
  cluster.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
