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

  it('resolves every service from server reflection alone, as grpcurl and ghz do, on the gateway and a shard', async () => {
    const reflectionProtos = `${ROOT}/node_modules/@grpc/reflection/build/proto`;
    const run = async (address: string, call?: string) => {
      const args = [`${ROOT}/test/python/reflection_check.py`, '--address', address, '--reflection-proto-dir', reflectionProtos];
      const { stdout } = await promisify(execFile)(PYTHON, call ? [...args, '--call', call] : args, { timeout: 60_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!);
    };
    const gateway = await run(
      cluster.address,
      'engram.v1.MemoryService/Remember={"memory":{"subject":"reflected","content":"built from reflection","occurredAt":"2026-01-01T00:00:00Z","attributes":{"k":"v"}}}',
    );
    expect(gateway.services).toEqual(expect.arrayContaining(['engram.v1.MemoryService', 'engram.v1.AdminService', 'grpc.health.v1.Health']));
    expect(gateway.files).toEqual(expect.arrayContaining(['engram/v1/memory.proto', 'google/protobuf/timestamp.proto', 'google/protobuf/duration.proto']));
    expect(gateway.response.id).toMatch(/^[0-9A-Z]{26}$/);
    const shard = await run(cluster.shards[0]!.address);
    expect(shard.services).toContain('engram.shard.v1.ShardService');
    expect(shard.methods).toBeGreaterThanOrEqual(10);
  });
});
