import type { MethodDefinition } from '@grpc/grpc-js';
import { PUBLIC_PROTO_FILES, SHARD_PROTO_FILES, serviceDefinition } from '@engram/protocol';
import type { InternalCall, NodeClient } from './node-client.js';

type Method = MethodDefinition<unknown, unknown>;

let shard: Record<string, Method> | undefined;

/** A ShardService method: its path and proto-loader codecs (the same ones servers use). */
export function shardMethod<Req, Res>(name: string) {
  shard ??= serviceDefinition([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES], 'engram.shard.v1.ShardService') as Record<string, Method>;
  const m = shard[name];
  if (!m) throw new Error(`ShardService has no method ${name}`);
  return {
    path: m.path,
    serialize: m.requestSerialize as (r: Req) => Buffer,
    deserialize: m.responseDeserialize as (b: Buffer) => Res,
  };
}

/** Calls a ShardService method on a node with decoded messages. */
export function callShard<Req, Res>(client: NodeClient, name: string, request: Req, call: InternalCall): Promise<Res> {
  const m = shardMethod<Req, Res>(name);
  return client.unary(m.path, request, m.serialize, m.deserialize, call);
}
