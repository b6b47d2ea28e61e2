import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_ROOT } from '@engram/protocol';
import { TestCluster } from './harness/cluster.js';
import { ROOT } from './harness/processes.js';

/** Debian's interpreter, where python3-grpcio and python3-grpc-tools install. */
const PYTHON = '/usr/bin/python3';

function pythonGrpcAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// CI installs python3-grpcio and python3-grpc-tools (.ci/run), so there the test always runs. Elsewhere it is
// skipped, visibly, when they are missing.
const available = pythonGrpcAvailable();
if (!available && process.env.CI) throw new Error(`${PYTHON} cannot import grpc and grpc_tools: install python3-grpcio python3-grpc-tools`);

describe.skipIf(!available)('any-language client (Python, grpcio)', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster({ shards: 3 }).start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('remembers, recalls, queries and forgets through the gateway from Python', async () => {
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [`${ROOT}/test/python/client_check.py`, '--address', cluster.address, '--proto-dir', PROTO_ROOT],
      { timeout: 60_000 },
    );
    const seen = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(seen.remembered).toMatch(/^[0-9A-Z]{26}$/);
    expect(seen.recalled_importance).toBeCloseTo(0.8, 3);
    expect(seen.query_ids).toEqual([seen.remembered]);
    expect(seen.tenant_wide_ids).toEqual([seen.remembered]);
    expect(seen.bad_input).toEqual(['INVALID_ARGUMENT', 'memory.subject: must not be empty']);
    expect(seen.forgot).toBe(true);
    expect(seen.after_forget).toBe('NOT_FOUND');
  });
});
