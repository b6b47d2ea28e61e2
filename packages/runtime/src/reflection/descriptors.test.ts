import { describe, expect, it } from 'vitest';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { PROTO_ROOT } from '@engram/protocol';
import { describeFiles } from './descriptors.js';

const sources = ['engram/v1/memory.proto', 'engram/v1/thought.proto', 'engram/v1/admin.proto', 'engram/shard/v1/shard.proto'].map((name) => ({
  name,
  path: `${PROTO_ROOT}/${name}`,
}));

function file(name: string) {
  const d = describeFiles(sources);
  return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(d.files.get(name)!), { defaults: false }) as any;
}

describe('describeFiles', () => {
  it('describes each source file under its own name with its imports, and every import too', () => {
    const d = describeFiles(sources);
    expect([...d.files.keys()].sort()).toEqual([
      'engram/shard/v1/shard.proto',
      'engram/v1/admin.proto',
      'engram/v1/memory.proto',
      'engram/v1/thought.proto',
      'google/protobuf/duration.proto',
      'google/protobuf/timestamp.proto',
    ]);
    expect(d.dependencies.get('engram/v1/memory.proto')).toEqual(['google/protobuf/duration.proto', 'google/protobuf/timestamp.proto']);
    expect(d.dependencies.get('engram/shard/v1/shard.proto')).toEqual(['engram/v1/admin.proto', 'engram/v1/memory.proto', 'engram/v1/thought.proto']);
  });

  it('puts each definition in the file that declares it, with fully-qualified type names', () => {
    const memory = file('engram/v1/memory.proto');
    expect(memory.package).toBe('engram.v1');
    expect(memory.service.map((s: { name: string }) => s.name)).toEqual(['MemoryService']);
    expect(memory.messageType.map((m: { name: string }) => m.name)).not.toContain('ClusterStatusRequest');
    const input = memory.messageType.find((m: { name: string }) => m.name === 'MemoryInput');
    const occurred = input.field.find((f: { name: string }) => f.name === 'occurred_at');
    expect(occurred).toMatchObject({ typeName: '.google.protobuf.Timestamp', jsonName: 'occurredAt' });
    const importance = input.field.find((f: { name: string }) => f.name === 'importance');
    expect(input.oneofDecl[importance.oneofIndex].name).toBe('_importance');
    const remember = memory.service[0].method.find((m: { name: string }) => m.name === 'Remember');
    expect(remember).toMatchObject({ inputType: '.engram.v1.RememberRequest', outputType: '.engram.v1.RememberResponse' });
  });

  it('describes map fields as protoc does: a repeated <Name>Entry message marked map_entry', () => {
    const input = file('engram/v1/memory.proto').messageType.find((m: { name: string }) => m.name === 'MemoryInput');
    const attributes = input.field.find((f: { name: string }) => f.name === 'attributes');
    expect(attributes).toMatchObject({ label: 3, type: 11, typeName: '.engram.v1.MemoryInput.AttributesEntry' });
    const entry = input.nestedType.find((n: { name: string }) => n.name === 'AttributesEntry');
    expect(entry.options.mapEntry).toBe(true);
    expect(entry.field.map((f: { name: string; number: number }) => [f.name, f.number])).toEqual([
      ['key', 1],
      ['value', 2],
    ]);
  });

  it('indexes messages, enums, services and methods by full name', () => {
    const { symbols } = describeFiles(sources);
    expect(symbols.get('engram.v1.MemoryService')).toBe('engram/v1/memory.proto');
    expect(symbols.get('engram.v1.MemoryService.Query')).toBe('engram/v1/memory.proto');
    expect(symbols.get('engram.v1.Layer')).toBe('engram/v1/memory.proto');
    expect(symbols.get('engram.v1.NodeStatus')).toBe('engram/v1/admin.proto');
    expect(symbols.get('engram.shard.v1.ShardService.ScatterQuery')).toBe('engram/shard/v1/shard.proto');
    expect(symbols.get('google.protobuf.Timestamp')).toBe('google/protobuf/timestamp.proto');
  });
});
