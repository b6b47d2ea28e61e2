import { describe, expect, it } from 'vitest';
import { messageType } from '@engram/protocol';
import { CodecError, methodCodec, parseCall } from './codec.js';

describe('methodCodec', () => {
  it('encodes protobuf JSON (camelCase or proto names, enums, Timestamp and Duration strings)', () => {
    const codec = methodCodec('engram.v1.MemoryService/Remember');
    expect(codec.path).toBe('/engram.v1.MemoryService/Remember');
    expect(codec.method).toMatchObject({ name: 'Remember', service: 'engram.v1.MemoryService', input: 'RememberRequest' });
    const bytes = codec.encode({
      memory: { subject: 's1', content: 'hello', layer: 'LAYER_LOGIC', evidence_ids: ['a'], occurredAt: '2024-05-06T07:08:09.5Z', ttl: '90s', importance: 0.25 },
    });
    const decoded = messageType('engram.v1.RememberRequest').toObject(messageType('engram.v1.RememberRequest').decode(bytes), { enums: String, longs: Number });
    expect(decoded).toMatchObject({
      memory: { subject: 's1', content: 'hello', layer: 'LAYER_LOGIC', evidenceIds: ['a'], occurredAt: { seconds: 1714979289, nanos: 500_000_000 }, ttl: { seconds: 90 }, importance: 0.25 },
    });
  });

  it('rejects unknown fields and methods instead of dropping them', () => {
    const codec = methodCodec('engram.v1.MemoryService.Recall');
    expect(() => codec.encode({ subjekt: 'x' })).toThrow(/no field "subjekt"/);
    expect(() => methodCodec('engram.v1.MemoryService/Nope')).toThrow(CodecError);
    expect(() => methodCodec('nope.Service/Call')).toThrow(/--proto/);
    expect(() => parseCall('NoMethod')).toThrow(CodecError);
  });
});
