import { createRequire } from 'node:module';

// RFC 7541 Appendix B's code table, as hpack.js ships it: [bit length, code] per symbol, 256 = EOS.
const { encode: CODES } = createRequire(import.meta.url)('hpack.js/lib/hpack/huffman.js') as { encode: [number, number][] };

// A binary trie in flat arrays: node n's children are ZERO[n] and ONE[n] (0 = none); SYMBOL[n] >= 0 at leaves.
const MAX_NODES = 2 * CODES.length;
const ZERO = new Int32Array(MAX_NODES);
const ONE = new Int32Array(MAX_NODES);
const SYMBOL = new Int32Array(MAX_NODES).fill(-1);
let nodes = 1;
for (let symbol = 0; symbol < CODES.length; symbol++) {
  const [bits, code] = CODES[symbol]!;
  let node = 0;
  for (let b = bits - 1; b >= 0; b--) {
    const next = (code >>> b) & 1 ? ONE : ZERO;
    if (next[node] === 0) next[node] = nodes++;
    node = next[node]!;
  }
  SYMBOL[node] = symbol;
}

/** Decodes a Huffman-coded HPACK string literal (bytes [start, end) of buf) as latin1. */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let node = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let b = 7; b >= 0; b--) {
      node = ((byte >>> b) & 1 ? ONE : ZERO)[node]!;
      if (node === 0) throw new Error('invalid Huffman code in a header block');
      const symbol = SYMBOL[node]!;
      if (symbol >= 0) {
        if (symbol === 256) throw new Error('EOS in a Huffman-coded header');
        out += String.fromCharCode(symbol);
        node = 0;
      }
    }
  }
  // The rest is padding: at most 7 bits of the EOS prefix (all ones), which leaves us inside the trie.
  return out;
}

/** Huffman-encodes a latin1 string (used by tests to build header blocks as servers send them). */
export function huffmanEncode(text: string): Buffer {
  const bytes: number[] = [];
  let acc = 0n;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const [len, code] = CODES[text.charCodeAt(i)]!;
    acc = (acc << BigInt(len)) | BigInt(code);
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      bytes.push(Number((acc >> BigInt(bits)) & 0xffn));
    }
  }
  if (bits > 0) bytes.push(Number(((acc << BigInt(8 - bits)) | ((1n << BigInt(8 - bits)) - 1n)) & 0xffn));
  return Buffer.from(bytes);
}
