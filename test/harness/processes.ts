import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NodeProcess {
  id: string;
  address: string;
  port: number;
  /** host:port of its Prometheus endpoint. */
  metricsAddress: string;
  proc: ChildProcess;
  /** Every log line the process printed (stdout JSON and stderr). */
  logs: string[];
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit, killing it after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export interface SpawnOptions {
  id: string;
  script: string;
  env: Record<string, string>;
  args?: string[];
  /** How long to wait for the "listening" line. */
  timeoutMs?: number;
}

/**
 * Starts a service process and resolves once it logs "listening" (with its bound port). Rejects with its logs
 * if it exits first or does not listen in time.
 */
export function spawnNode(o: SpawnOptions): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [o.script, ...(o.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ENGRAM_LOG_LEVEL: 'info', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const timeoutMs = o.timeoutMs ?? 30_000;
  return new Promise<NodeProcess>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${o.id} did not listen within ${timeoutMs} ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      if (!line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number; address?: string; metricsAddress?: string };
        if (entry.msg === 'listening' && entry.port) {
          clearTimeout(timer);
          resolve({
            id: o.id,
            address: entry.address ?? `127.0.0.1:${entry.port}`,
            port: entry.port,
            metricsAddress: entry.metricsAddress ?? '',
            proc,
            logs,
            exited,
            stop: (signal = 'SIGTERM', stopTimeoutMs = 30_000) => stopProcess(proc, exited, signal, stopTimeoutMs),
          });
        }
      } catch {
        // not a JSON log line
      }
    };
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => logs.push(...chunk.split('\n').filter(Boolean)));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${o.id} exited (${code}) before listening:\n${logs.join('\n')}`));
    });
  });
}

async function stopProcess(proc: ChildProcess, exited: Promise<number | string>, signal: NodeJS.Signals, timeoutMs: number) {
  if (proc.exitCode !== null || proc.signalCode !== null) return exited;
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Polls until check() returns a value other than undefined/false, or fails after timeoutMs with the last error. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
