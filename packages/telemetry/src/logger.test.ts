import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// A node whose supervisor died (its stdout's reader gone) must still stop on SIGTERM: logging on the way out
// must not hang it. The first write after the reader went is the one at exit (as for an idle node).
const child = `
  const { createLogger } = await import(${JSON.stringify(dist)});
  const logger = createLogger('test', 'node-0', 'info');
  process.on('SIGTERM', () => { logger.info('stopping'); logger.info('stopped'); process.exit(0); });
  logger.info('started');
  setInterval(() => undefined, 1000);
`;

describe('createLogger', () => {
  it('lets the process exit when its stdout is a broken pipe', async () => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      // First line out: the logger works. Then the reader goes away, as when a supervisor is killed.
      await new Promise<void>((resolve, reject) => {
        p.stdout.once('data', () => resolve());
        p.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      p.stdout.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
      p.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
      expect(code).toBe(0);
    } finally {
      p.kill('SIGKILL');
    }
  });
});
