import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { ENGINE_PROTO_FILES, packageDefinition, PUBLIC_PROTO_FILES, SHARD_PROTO_FILES, TENANT_METADATA_KEY } from '@engram/protocol';

type Callback = (err: ServiceError | null, res: unknown) => void;
type RawMethod = (req: unknown, metadata: Metadata, options: { deadline: number }, cb: Callback) => void;

/** A promise-returning client of any service in the protos, with an optional tenant header (for shards). */
export interface AsyncClient {
  call<T = any>(method: string, request: unknown, timeoutMs?: number): Promise<T>;
  close(): void;
}

function asyncClient(client: Client, tenant?: string): AsyncClient {
  return {
    call: (method, request, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const metadata = new Metadata();
        if (tenant) metadata.set(TENANT_METADATA_KEY, tenant);
        const fn = (client as unknown as Record<string, RawMethod>)[method];
        if (!fn) throw new Error(`no method ${method}`);
        fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as never)));
      }),
    close: () => client.close(),
  };
}

const loaded = () => loadPackageDefinition(packageDefinition([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES, ...ENGINE_PROTO_FILES])) as any;

export function memoryClient(address: string): AsyncClient {
  return asyncClient(new (loaded().engram.v1.MemoryService)(address, credentials.createInsecure()));
}

export function thoughtClient(address: string): AsyncClient {
  return asyncClient(new (loaded().engram.v1.ThoughtService)(address, credentials.createInsecure()));
}

/** The internal EngineService of one thought engine. */
export function engineClient(address: string): AsyncClient {
  return asyncClient(new (loaded().engram.engine.v1.EngineService)(address, credentials.createInsecure()));
}

export function adminClient(address: string): AsyncClient {
  return asyncClient(new (loaded().engram.v1.AdminService)(address, credentials.createInsecure()));
}

export function shardClient(address: string, tenant = 'default'): AsyncClient {
  return asyncClient(new (loaded().engram.shard.v1.ShardService)(address, credentials.createInsecure()), tenant);
}

/** The gRPC status code of a failed call. */
export async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    return (err as ServiceError).code;
  }
}
