import { describe, expect, it } from 'vitest';
import { messageType, mulberry32, serviceDefinition, SHARD_PROTO_FILES, PUBLIC_PROTO_FILES, LAYER_NAMES, type RememberBatchResponse } from '@engram/protocol';
import { encodeRememberBatchResponse, withRememberBatchEncoder } from './remember-batch-encoder.js';

const definition = serviceDefinition([...PUBLIC_PROTO_FILES, ...SHARD_PROTO_FILES], 'engram.shard.v1.ShardService');
/** proto-loader's serializer: fromObject, then protobufjs's encoder. */
const protobufjs = (res: unknown) => Buffer.from(definition.RememberBatch!.responseSerialize(res));
const ours = withRememberBatchEncoder(definition).RememberBatch!.responseSerialize;


/** A response as the engine gives it: results in order, ok or error, every field set. */
function typicalResponse(seed: number): RememberBatchResponse {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const results: NonNullable<RememberBatchResponse['results']> = [];
  const n = [0, 1, 3, 100, 200][int(5)]!;
  for (let index = 0; index < n; index++) {
    if (random() < 0.1) {
      results.push({ index, error: { code: [2, 3, 6, 9][int(4)]!, message: random() < 0.2 ? '' : `memories[${index}].content: must be at most ${int(1e6)} bytes` } });
      continue;
    }
    const wallMs = [0, 1, 1_764_000_000_123, 2 ** 53 - 1][int(4)]!;
    const expiresMs = 1_764_000_000_000 + int(1e10);
    results.push({
      index,
      ok: {
        id: `01JD${'X'.repeat(int(2) * 22)}`.slice(0, 26),
        layer: LAYER_NAMES[int(LAYER_NAMES.length)],
        deduplicated: random() < 0.3,
        version: { wallMs, logical: [0, 1, 127, 128, 2 ** 32 - 1][int(5)]!, node: ['', 'shard-0', 'node-with-a-rather-long-name-over-forty-chars'][int(3)]! },
        expiresAt: random() < 0.3 ? null : { seconds: Math.floor(expiresMs / 1000), nanos: (expiresMs % 1000) * 1e6 },
        importance: [0, 0.5, Math.fround(0.123), 1, -0.75, NaN][int(6)]!,
        valence: random() * 2 - 1,
        arousal: random(),
      },
    });
  }
  const failed = results.filter((r) => r.error).length;
  return { results, succeeded: results.length - failed, failed };
}

describe('encodeRememberBatchResponse', () => {
  it('gives protobufjs’s bytes for the responses the engine gives', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const res = typicalResponse(seed);
      const bytes = encodeRememberBatchResponse(res);
      expect(bytes, `seed ${seed}`).toBeDefined();
      expect(bytes!.equals(protobufjs(res)), `seed ${seed}`).toBe(true);
    }
  });

  it('gives protobufjs’s bytes for absent, null and default fields', () => {
    const cases: RememberBatchResponse[] = [
      {},
      { results: [], succeeded: 0, failed: 0 },
      { results: [{ index: 0 }, { ok: {} }, { error: {} }, { index: 3, ok: { id: '', deduplicated: false, version: {}, expiresAt: {} } }] },
      { results: [{ index: 1, ok: { id: undefined, layer: null, version: null, importance: undefined } }], failed: null } as unknown as RememberBatchResponse,
      { results: [{ index: 2 ** 32 - 1, ok: { layer: 5, version: { wallMs: 128, logical: 0 } } }], succeeded: 1 },
    ];
    for (const res of cases) {
      expect(encodeRememberBatchResponse(res), JSON.stringify(res)).toBeDefined();
      expect(Buffer.from(ours(res)).equals(protobufjs(res)), JSON.stringify(res)).toBe(true);
    }
  });

  it('leaves what it does not expect to protobufjs, with the same result', () => {
    const odd: unknown[] = [
      { results: [{ index: 0, ok: { id: 'ünïcode' } }] },
      { results: [{ index: 0, error: { code: -1, message: 'x' } }] },
      { results: [{ index: 0, error: { code: 3, message: 'naïve' } }] },
      { results: [{ index: 1.5, ok: {} }] },
      { results: [{ index: 0, ok: { layer: 'LAYER_NOT_A_LAYER' } }] },
      { results: [{ index: 0, ok: { layer: -2 } }] },
      { results: [{ index: 0, ok: { deduplicated: 1 } }] },
      { results: [{ index: 0, ok: { importance: '0.5' } }] },
      { results: [{ index: 0, ok: { version: { wallMs: -5 } } }] },
      { results: [{ index: 0, ok: { version: { wallMs: '1764000000000' } } }] },
      { results: [{ index: 0, ok: { expiresAt: { seconds: 1, nanos: -1 } } }] },
      { results: [{ index: 0, ok: { id: 'a' }, error: { code: 2 } }] },
      { results: [], succeeded: -1 },
    ];
    for (const res of odd) {
      expect(encodeRememberBatchResponse(res as RememberBatchResponse), JSON.stringify(res)).toBeUndefined();
      expect(Buffer.from(ours(res as RememberBatchResponse)).equals(protobufjs(res)), JSON.stringify(res)).toBe(true);
    }
  });

  it('knows every field of the messages it encodes (update the encoder when this fails)', () => {
    const fields = (name: string) =>
      messageType(name)
        .fieldsArray.map((f) => `${f.id} ${f.name} ${f.repeated ? 'repeated ' : ''}${f.type}`)
        .sort();
    expect({
      response: fields('engram.v1.RememberBatchResponse'),
      result: fields('engram.v1.RememberBatchResult'),
      ok: fields('engram.v1.RememberResponse'),
      version: fields('engram.v1.Version'),
      timestamp: fields('google.protobuf.Timestamp'),
      error: fields('engram.v1.ItemError'),
    }).toEqual({
      response: ['1 results repeated RememberBatchResult', '2 succeeded uint32', '3 failed uint32'],
      result: ['1 index uint32', '2 ok RememberResponse', '3 error ItemError'],
      ok: ['1 id string', '2 layer Layer', '3 deduplicated bool', '4 version Version', '5 expiresAt google.protobuf.Timestamp', '6 importance float', '7 valence float', '8 arousal float'],
      version: ['1 wallMs int64', '2 logical uint32', '3 node string'],
      timestamp: ['1 seconds int64', '2 nanos int32'],
      error: ['1 code int32', '2 message string'],
    });
  });
});
