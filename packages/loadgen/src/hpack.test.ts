import { describe, expect, it } from 'vitest';
import { HpackDecoder, encodeRequestHeaders } from './hpack.js';
import { huffmanDecode, huffmanEncode } from './huffman.js';

const fields = (d: HpackDecoder): [string, string][] => Array.from({ length: d.count }, (_, i) => [d.names[i]!, d.values[i]!]);

describe('HpackDecoder', () => {
  it('decodes RFC 7541 C.4.1 (indexed fields, a Huffman literal added to the table)', () => {
    const d = new HpackDecoder();
    const block = Buffer.from('828684418cf1e3c2e5f23a6ba0ab90f4ff', 'hex');
    d.decode(block, 0, block.length);
    expect(fields(d)).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    // C.4.2: the next request refers to the entry just added (index 62).
    const next = Buffer.from('828684be5886a8eb10649cbf', 'hex');
    d.decode(next, 0, next.length);
    expect(fields(d)).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
  });

  it('evicts the oldest entries past the table size and honours size updates', () => {
    const d = new HpackDecoder(64);
    // Literal with indexing, new name "a" (1) value "b" (1): 34 octets; a second one does not fit with it.
    const add = (name: string, value: string) => Buffer.from([0x40, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)]);
    const block = Buffer.concat([add('a', 'b'), add('c', 'd'), Buffer.from([0xbe])]);
    d.decode(block, 0, block.length);
    expect(fields(d).at(-1)).toEqual(['c', 'd']);
    const stale = Buffer.from([0xbf]);
    expect(() => d.decode(stale, 0, 1)).toThrow(/beyond the table/);
    const shrink = Buffer.from([0x20, 0xbe]);
    expect(() => d.decode(shrink, 0, 2)).toThrow(/beyond the table/);
  });

  it('reads back what encodeRequestHeaders writes: primer, then indexed references, or plain', () => {
    const headers = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/engram.v1.MemoryService/Remember'],
      [':authority', '127.0.0.1:50051'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['x-tenant', 'bench'],
    ] as const;
    const blocks = encodeRequestHeaders(headers);
    const d = new HpackDecoder();
    d.decode(blocks.primer, 0, blocks.primer.length);
    expect(fields(d)).toEqual(headers);
    d.decode(blocks.indexed, 0, blocks.indexed.length);
    expect(fields(d)).toEqual(headers);
    // Two static references and five one-byte dynamic ones.
    expect(blocks.indexed.length).toBe(7);
    const fresh = new HpackDecoder();
    fresh.decode(blocks.plain, 0, blocks.plain.length);
    expect(fields(fresh)).toEqual(headers);
    // (5 dynamic entries: name + value + 32 each.)
    expect(blocks.tableSize).toBe(headers.slice(2).reduce((n, [k, v]) => n + k.length + v.length + 32, 0));
  });
});

describe('Huffman', () => {
  it('round-trips text and decodes the RFC example', () => {
    expect(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex'), 0, 12)).toBe('www.example.com');
    for (const text of ['', '0', 'grpc-status', 'application/grpc+proto', 'Ünïcode~!{}']) {
      const encoded = huffmanEncode(text);
      expect(huffmanDecode(encoded, 0, encoded.length)).toBe(text);
    }
  });
});
