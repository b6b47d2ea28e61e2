import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { LOADER_OPTIONS } from './loader-options.js';

/** Root of the repository's proto/ tree. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

/** Public API served by gateways (package engram.v1). */
export const PUBLIC_PROTO_FILES = ['engram/v1/memory.proto', 'engram/v1/thought.proto', 'engram/v1/admin.proto'] as const;
/** Internal API of memory shards (package engram.shard.v1). */
export const SHARD_PROTO_FILES = ['engram/shard/v1/shard.proto'] as const;
/** Internal API of thought engines (package engram.engine.v1). */
export const ENGINE_PROTO_FILES = ['engram/engine/v1/engine.proto'] as const;
/** On-disk value formats (package engram.storage.v1). */
export const STORAGE_PROTO_FILES = ['engram/storage/v1/record.proto'] as const;

const definitions = new Map<string, protoLoader.PackageDefinition>();

/** Loads (once) the package definition of the given proto files, for servers, clients and reflection. */
export function packageDefinition(files: readonly string[]): protoLoader.PackageDefinition {
  const key = files.join('|');
  let def = definitions.get(key);
  if (!def) {
    def = protoLoader.loadSync([...files], { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    definitions.set(key, def);
  }
  return def;
}

let root: protobuf.Root | undefined;

/** All protos as one protobufjs root, for codecs that bypass grpc (storage records, wire merging). */
export function protoRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : `${PROTO_ROOT}/${target}`);
    r.loadSync([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES, ...ENGINE_PROTO_FILES, ...STORAGE_PROTO_FILES], { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

/** A message type by its full name, e.g. "engram.v1.RememberRequest". */
export function messageType(fullName: string): protobuf.Type {
  return protoRoot().lookupType(fullName);
}
