import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface Child {
  id: string;
  address: string;
  /** host:port of its Prometheus endpoint. */
  metricsAddress: string;
  proc: ChildProcess;
  exited: Promise<number | string>;
}

/**
 * Starts a node in its own process group (so a terminal's Ctrl-C reaches only the launcher, which then stops
 * the nodes in order) with its log in logFile; warnings and errors are echoed to stderr. Resolves when the node
 * logs "listening". execArgv: node flags before the script (a shard's heap limits, see shard-process.ts).
 */
export function startChild(
  id: string,
  script: string,
  env: Record<string, string>,
  logFile: string,
  timeoutMs = 30_000,
  execArgv: readonly string[] = [],
): Promise<Child> {
  // The launcher learns that a node is up from its "listening" line (level info): keep at least that level.
  const level = process.env.ENGRAM_LOG_LEVEL === 'trace' || process.env.ENGRAM_LOG_LEVEL === 'debug' ? process.env.ENGRAM_LOG_LEVEL : 'info';
  const proc = spawn(process.execPath, [...execArgv, script], {
    // A node stops when this launcher goes away, however it went (ENGRAM_STOP_WITH_PARENT).
    env: { ...process.env, ENGRAM_LOG_LEVEL: level, ENGRAM_STOP_WITH_PARENT: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  proc.stderr!.pipe(log);
  proc.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${id}] ${chunk.toString()}`));
  return new Promise<Child>((resolve, reject) => {
    let buffered = '';
    let listening = false;
    const timer = setTimeout(() => reject(new Error(`${id} did not start within ${timeoutMs} ms (see ${logFile})`)), timeoutMs);
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry: { msg?: string; level?: number; address?: string; metricsAddress?: string; err?: { message?: string } };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if ((entry.level ?? 0) >= 40) process.stderr.write(`[${id}] ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}\n`);
        if (!listening && entry.msg === 'listening' && entry.address) {
          listening = true;
          clearTimeout(timer);
          resolve({ id, address: entry.address, metricsAddress: entry.metricsAddress ?? '', proc, exited });
        }
      }
    });
    void exited.then((code) => {
      log.end();
      if (!listening) {
        clearTimeout(timer);
        reject(new Error(`${id} exited (${code}) while starting (see ${logFile})`));
      }
    });
  });
}

/** SIGTERM, then waits for the exit (SIGKILL after graceMs). */
export async function stopChild(child: Child, graceMs: number): Promise<number | string> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exited;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  const code = await child.exited;
  clearTimeout(timer);
  return code;
}
