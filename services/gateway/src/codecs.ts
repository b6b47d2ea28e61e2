import type { MethodDefinition } from '@grpc/grpc-js';
import { PUBLIC_PROTO_FILES, serviceDefinition } from '@engram/protocol';
export { shardMethod } from '@engram/cluster-client';

type Method = MethodDefinition<unknown, unknown>;

const memory = serviceDefinition(PUBLIC_PROTO_FILES, 'engram.v1.MemoryService');

/** Codecs of a MemoryService method, for the requests the gateway must decode itself. */
export function memoryMethod<Req, Res>(name: string) {
  const m = memory[name] as Method;
  return {
    decodeRequest: m.requestDeserialize as (b: Buffer) => Req,
    encodeResponse: m.responseSerialize as (r: Res) => Buffer,
  };
}
