import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, spawnNode, type NodeProcess } from './processes.js';

const SHARD = join(ROOT, 'services/memory-shard/dist/main.js');
const GATEWAY = join(ROOT, 'services/gateway/dist/main.js');
const ENGINE = join(ROOT, 'services/thought-engine/dist/main.js');

export interface ClusterOptions {
  shards?: number;
  /** Extra environment of every shard. */
  shardEnv?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  /** Thought engines (default none: ThoughtService then answers UNAVAILABLE). */
  engines?: number;
  engineEnv?: Record<string, string>;
}

/** A real cluster of processes on loopback with ephemeral ports and temporary stores. */
export class TestCluster {
  shards: NodeProcess[] = [];
  engines: NodeProcess[] = [];
  gateway!: NodeProcess;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'engram-cluster-'));

  constructor(private readonly options: ClusterOptions = {}) {}

  shardId(i: number): string {
    return `shard-${i}`;
  }

  shardDir(i: number): string {
    return join(this.dataDir, this.shardId(i));
  }

  private startShard(i: number, port = 0): Promise<NodeProcess> {
    return spawnNode({
      id: this.shardId(i),
      script: SHARD,
      env: {
        ENGRAM_NODE_ID: this.shardId(i),
        ENGRAM_LISTEN: `127.0.0.1:${port}`,
        ENGRAM_DATA_DIR: this.shardDir(i),
        ENGRAM_METRICS_LISTEN: '127.0.0.1:0',
        ENGRAM_SHUTDOWN_GRACE: '5s',
        ...this.options.shardEnv,
      },
    });
  }

  async start(): Promise<this> {
    const n = this.options.shards ?? 3;
    this.shards = await Promise.all(Array.from({ length: n }, (_, i) => this.startShard(i)));
    this.engines = await Promise.all(Array.from({ length: this.options.engines ?? 0 }, (_, i) => this.startEngine(i)));
    this.gateway = await spawnNode({
      id: 'gateway',
      script: GATEWAY,
      env: {
        ENGRAM_NODE_ID: 'gateway-0',
        ENGRAM_LISTEN: '127.0.0.1:0',
        ENGRAM_METRICS_LISTEN: '127.0.0.1:0',
        ENGRAM_SHARDS: this.shardList(),
        ENGRAM_ENGINES: this.engines.map((e) => `${e.id}=127.0.0.1:${e.port}`).join(','),
        ENGRAM_INTERNAL_TIMEOUT: '3s',
        ENGRAM_BREAKER_HALF_OPEN_AFTER: '200ms',
        ...this.options.gatewayEnv,
      },
    });
    return this;
  }

  private shardList(): string {
    return this.shards.map((s) => `${s.id}=127.0.0.1:${s.port}`).join(',');
  }

  private startEngine(i: number, port = 0): Promise<NodeProcess> {
    return spawnNode({
      id: `engine-${i}`,
      script: ENGINE,
      env: {
        ENGRAM_NODE_ID: `engine-${i}`,
        ENGRAM_LISTEN: `127.0.0.1:${port}`,
        ENGRAM_METRICS_LISTEN: '127.0.0.1:0',
        ENGRAM_SHARDS: this.shardList(),
        ENGRAM_ENGINES: '',
        ENGRAM_INTERNAL_TIMEOUT: '3s',
        ENGRAM_DREAM_INTERVAL: '0',
        ENGRAM_SHUTDOWN_GRACE: '5s',
        ...this.options.engineEnv,
      },
    });
  }

  /** Stops an engine gracefully (SIGTERM) or not (SIGKILL). */
  async stopEngine(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    return this.engines[i]!.stop(signal);
  }

  get address(): string {
    return `127.0.0.1:${this.gateway.port}`;
  }

  /** Stops a shard gracefully (SIGTERM) or not (SIGKILL). */
  async stopShard(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    return this.shards[i]!.stop(signal);
  }

  /** Starts a stopped shard again on its old port and store. */
  async restartShard(i: number): Promise<NodeProcess> {
    const port = this.shards[i]!.port;
    this.shards[i] = await this.startShard(i, port);
    return this.shards[i]!;
  }

  async stop(): Promise<void> {
    await Promise.all([this.gateway?.stop(), ...this.engines.map((e) => e.stop()), ...this.shards.map((s) => s.stop())]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
