import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Whether pid runs (an exited process not yet reaped by its new parent is a zombie: it does not). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
};

describe('watchParent', () => {
  it('fires when the parent process dies, so a launched node does not outlive its launcher', async () => {
    // A launcher (killed with SIGKILL: no chance to stop its children) and its node, which watches it.
    const node = `const { watchParent } = await import(${JSON.stringify(dist)}); watchParent(() => process.exit(0), 20); console.log(process.pid); setInterval(() => undefined, 1000);`;
    // The launcher passes on the node's pid once the node watches it.
    const launcher = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(node)}], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout.pipe(process.stdout);
      setInterval(() => undefined, 1000);`;
    const l = spawn(process.execPath, ['-e', launcher], { stdio: ['ignore', 'pipe', 'ignore'] });
    let nodePid = 0;
    try {
      nodePid = await new Promise<number>((resolve, reject) => {
        l.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        l.once('exit', () => reject(new Error('launcher exited early')));
      });
      expect(alive(nodePid)).toBe(true);
      l.kill('SIGKILL');
      const until = Date.now() + 10_000;
      while (alive(nodePid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(alive(nodePid)).toBe(false);
    } finally {
      l.kill('SIGKILL');
      if (nodePid && alive(nodePid)) process.kill(nodePid, 'SIGKILL');
    }
  });
});
