import type { MethodDefinition } from '@grpc/grpc-js';
import { PUBLIC_PROTO_FILES, SHARD_PROTO_FILES, serviceDefinition } from '@engram/protocol';

type Method = MethodDefinition<unknown, unknown>;

const shard = serviceDefinition([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES], 'engram.shard.v1.ShardService');
const memory = serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.MemoryService');

/** A ShardService method: its path and proto-loader codecs (the same ones servers use). */
export function shardMethod<Req, Res>(name: string) {
  const m = shard[name] as Method;
  return {
    path: m.path,
    serialize: m.requestSerialize as (r: Req) => Buffer,
    deserialize: m.responseDeserialize as (b: Buffer) => Res,
  };
}

/** Codecs of a MemoryService method, for the requests the gateway must decode itself. */
export function memoryMethod<Req, Res>(name: string) {
  const m = memory[name] as Method;
  return {
    decodeRequest: m.requestDeserialize as (b: Buffer) => Req,
    encodeResponse: m.responseSerialize as (r: Res) => Buffer,
  };
}
