import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, shardGroups } from '@engram/config';
import { memoryInput, queryRequest } from '@engram/cognition/testing';
import type { MemoryInput__Output, QueryRequest__Output, ReadStreamRequest__Output } from '@engram/protocol';
import { ManualClock, Store } from '@engram/storage';
import { silentLogger } from '@engram/telemetry';
import { MemoryEngine } from './engine.js';

/** An engine on a temporary directory with a manual clock, for tests. */
export async function openTestEngine(env: Record<string, string> = {}, dir = mkdtempSync(join(tmpdir(), 'engram-engine-'))) {
  const config = loadConfig(shardGroups, {
    env: { ENGRAM_DATA_DIR: dir, ENGRAM_STORAGE_SYNC: 'false', ENGRAM_NODE_ID: 'test-shard', ...env },
    argv: [],
  });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const engine = await MemoryEngine.open({ config, nodeId: 'test-shard', clock, logger: silentLogger() });
  return {
    engine,
    clock,
    dir,
    config,
    cleanup: async () => {
      await engine.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A MemoryInput as the gRPC layer decodes it (every field present), for tests. */
export const input = (p: Partial<MemoryInput__Output> & { subject: string }): MemoryInput__Output => memoryInput(p);


/** A QueryRequest as the gRPC layer decodes it, for tests. */
export const query = (p: Partial<QueryRequest__Output>): QueryRequest__Output => queryRequest(p);

/** A ReadStreamRequest as the gRPC layer decodes it, for tests. */
export const streamRequest = (p: Partial<ReadStreamRequest__Output> & { subject: string }): ReadStreamRequest__Output => ({
  layers: [],
  occurred: null,
  afterId: '',
  limit: 0,
  newestFirst: false,
  ...p,
});

/** Opens test engines with shared default settings and closes them all in one call (for afterEach). */
export function testEngines(defaults: Record<string, string> = {}) {
  const opened: Awaited<ReturnType<typeof openTestEngine>>[] = [];
  return {
    opened,
    open: async (env: Record<string, string> = {}) => {
      const o = await openTestEngine({ ...defaults, ...env });
      opened.push(o);
      return o;
    },
    closeAll: async () => {
      for (const o of opened.splice(0)) await o.cleanup();
    },
  };
}

/** Every key and value of a closed engine's store, by key space. */
export async function rawStore(dir: string): Promise<Map<string, Map<string, Uint8Array>>> {
  const store = await Store.open(dir, { keyEncoding: 'utf8', valueEncoding: 'view' }, { maxWrites: 1, maxBytes: 1, maxDelayMs: 0, maxPending: 1, sync: false });
  const spaces = new Map<string, Map<string, Uint8Array>>();
  try {
    for await (const [k, v] of store.db.iterator()) {
      let space = spaces.get(k[0]!);
      if (!space) spaces.set(k[0]!, (space = new Map()));
      space.set(k, v);
    }
  } finally {
    await store.close();
  }
  return spaces;
}
