import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { ENGINE_PROTO_FILES, serviceDefinition, unary, type LoadFigures, type BugReporter, type ClusterStatusResponse, type EngineStatsResponse__Output, type NodeStatus, type StatsResponse__Output } from '@engram/protocol';
import { shardMethod } from './codecs.js';
import type { ShardRouter } from '@engram/cluster-client';
import type { EngineRouter } from './engine-router.js';

const stats = shardMethod<Record<string, never>, StatsResponse__Output>('Stats');
const engineStats = serviceDefinition(ENGINE_PROTO_FILES, 'engram.engine.v1.EngineService').Stats!;

export interface AdminOptions {
  router: ShardRouter;
  engines: EngineRouter;
  self: { id: string; address: () => string; startedAt: number; metricsAddress: string; load: () => LoadFigures };
  statusTimeoutMs: number;
  tenant: string;
  report: BugReporter;
}

/** engram.v1.AdminService: cluster status from each shard's own figures and the gateway's view of the ring. */
export function adminService(o: AdminOptions): UntypedServiceImplementation {
  return {
    ClusterStatus: unary('ClusterStatus', async (): Promise<ClusterStatusResponse> => {
      const shares = o.router.ring.shares();
      const shards = await Promise.all(
        o.router.members().map(async (member): Promise<NodeStatus> => {
          const base: NodeStatus = { id: member.id, address: member.address, role: 'NODE_ROLE_MEMORY_SHARD', ringShare: shares.get(member.id) ?? 0 };
          const started = performance.now();
          try {
            const s = await o.router
              .client(member)
              .unary(stats.path, {}, stats.serialize, stats.deserialize, { tenant: o.tenant, deadlineMs: Date.now() + o.statusTimeoutMs });
            return {
              ...base,
              health: 'NODE_HEALTH_SERVING',
              latencyMs: performance.now() - started,
              memories: s.memories,
              subjects: s.subjects,
              layers: s.layers,
              diskBytes: s.diskBytes,
              uptimeSeconds: s.uptimeSeconds,
              cacheBytes: s.cacheBytes,
              pendingWrites: s.pendingWrites,
              load: s.load,
              metricsAddress: s.metricsAddress,
            };
          } catch (err) {
            return { ...base, health: 'NODE_HEALTH_UNREACHABLE', latencyMs: performance.now() - started, error: (err as Error).message };
          }
        }),
      );
      const engines = await Promise.all(
        o.engines.members().map(async (member): Promise<NodeStatus> => {
          const base: NodeStatus = { id: member.id, address: member.address, role: 'NODE_ROLE_THOUGHT_ENGINE' };
          const started = performance.now();
          try {
            const s = await o.engines
              .client(member)
              .unary(engineStats.path, {}, engineStats.requestSerialize as (r: object) => Buffer, engineStats.responseDeserialize as (b: Buffer) => EngineStatsResponse__Output, {
                tenant: o.tenant,
                deadlineMs: Date.now() + o.statusTimeoutMs,
              });
            return {
              ...base,
              health: 'NODE_HEALTH_SERVING',
              latencyMs: performance.now() - started,
              uptimeSeconds: s.uptimeSeconds,
              workerThreads: s.threads,
              queuedTasks: s.queuedTasks,
              runningTasks: s.runningTasks,
              workerUtilization: s.utilization,
              load: s.load,
              metricsAddress: s.metricsAddress,
            };
          } catch (err) {
            return { ...base, health: 'NODE_HEALTH_UNREACHABLE', latencyMs: performance.now() - started, error: (err as Error).message };
          }
        }),
      );
      const gateway: NodeStatus = {
        id: o.self.id,
        address: o.self.address(),
        role: 'NODE_ROLE_GATEWAY',
        health: 'NODE_HEALTH_SERVING',
        uptimeSeconds: (Date.now() - o.self.startedAt) / 1000,
        load: o.self.load(),
        metricsAddress: o.self.metricsAddress,
      };
      return { nodes: [gateway, ...shards, ...engines], vnodes: o.router.ring.vnodes, replicationFactor: 1 };
    }, o.report),
  };
}
