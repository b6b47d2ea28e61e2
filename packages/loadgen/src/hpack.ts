import { createRequire } from 'node:module';
import { huffmanDecode } from './huffman.js';

// RFC 7541 Appendix A, as hpack.js ships it (61 entries; HPACK indexes them from 1).
const { table: STATIC } = createRequire(import.meta.url)('hpack.js/lib/hpack/static-table.js') as {
  table: { name: string; value: string }[];
};
const STATIC_NAMES = STATIC.map((e) => e.name);
const STATIC_VALUES = STATIC.map((e) => e.value);

/** The HPACK entry overhead (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

export class HpackError extends Error {
  override readonly name = 'HpackError';
}

/**
 * An HPACK decoder (RFC 7541) for the response side of one HTTP/2 connection. Every header block the
 * connection receives must pass through it, in order, to keep the dynamic table in step with the server's
 * encoder. Decoded fields land in the reusable `names`/`values` arrays (the first `count` entries), so decoding
 * allocates only the strings.
 */
export class HpackDecoder {
  readonly names: string[] = [];
  readonly values: string[] = [];
  count = 0;
  // The dynamic table, oldest first: HPACK index 62 is its last entry.
  private readonly dynNames: string[] = [];
  private readonly dynValues: string[] = [];
  private size = 0;
  private pos = 0;
  private limit: number;

  /** @param maxTableSize our SETTINGS_HEADER_TABLE_SIZE (the encoder may lower, never raise, it). */
  constructor(private readonly maxTableSize = 4096) {
    this.limit = maxTableSize;
  }

  /** Decodes bytes [start, end) of buf. */
  decode(buf: Buffer, start: number, end: number): void {
    this.count = 0;
    this.pos = start;
    while (this.pos < end) {
      const b = buf[this.pos]!;
      if (b & 0x80) {
        const index = this.integer(buf, end, 7);
        this.emitIndexed(index);
      } else if (b & 0x40) {
        this.literal(buf, end, 6, true);
      } else if (b & 0x20) {
        const size = this.integer(buf, end, 5);
        if (size > this.maxTableSize) throw new HpackError(`table size update ${size} above ${this.maxTableSize}`);
        this.limit = size;
        this.evict(0);
      } else {
        // 0000xxxx without indexing, 0001xxxx never indexed: the same for a decoder.
        this.literal(buf, end, 4, false);
      }
    }
  }

  /** The value of the first decoded field named `name`, if any. */
  get(name: string): string | undefined {
    for (let i = 0; i < this.count; i++) if (this.names[i] === name) return this.values[i];
    return undefined;
  }

  private push(name: string, value: string): void {
    this.names[this.count] = name;
    this.values[this.count] = value;
    this.count++;
  }

  private emitIndexed(index: number): void {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_NAMES.length) {
      this.push(STATIC_NAMES[index - 1]!, STATIC_VALUES[index - 1]!);
      return;
    }
    const d = this.dynNames.length - 1 - (index - STATIC_NAMES.length - 1);
    if (d < 0) throw new HpackError(`index ${index} beyond the table`);
    this.push(this.dynNames[d]!, this.dynValues[d]!);
  }

  private nameAt(index: number): string {
    if (index <= STATIC_NAMES.length) return STATIC_NAMES[index - 1]!;
    const d = this.dynNames.length - 1 - (index - STATIC_NAMES.length - 1);
    if (d < 0) throw new HpackError(`index ${index} beyond the table`);
    return this.dynNames[d]!;
  }

  private literal(buf: Buffer, end: number, prefix: number, index: boolean): void {
    const nameIndex = this.integer(buf, end, prefix);
    const name = nameIndex === 0 ? this.string(buf, end) : this.nameAt(nameIndex);
    const value = this.string(buf, end);
    this.push(name, value);
    if (index) this.insert(name, value);
  }

  private insert(name: string, value: string): void {
    const entry = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(entry);
    if (entry > this.limit) return; // Too big for the table: the table is now empty (RFC 7541 §4.4).
    this.dynNames.push(name);
    this.dynValues.push(value);
    this.size += entry;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    let drop = 0;
    while (this.size + room > this.limit && drop < this.dynNames.length) {
      this.size -= this.dynNames[drop]!.length + this.dynValues[drop]!.length + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) {
      this.dynNames.splice(0, drop);
      this.dynValues.splice(0, drop);
    }
  }

  private integer(buf: Buffer, end: number, prefix: number): number {
    const max = (1 << prefix) - 1;
    let value = buf[this.pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= end) throw new HpackError('truncated integer');
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return value;
      if (shift > 28) throw new HpackError('integer overflow');
    }
  }

  private string(buf: Buffer, end: number): string {
    if (this.pos >= end) throw new HpackError('truncated string');
    const huffman = (buf[this.pos]! & 0x80) !== 0;
    const length = this.integer(buf, end, 7);
    const start = this.pos;
    this.pos += length;
    if (this.pos > end) throw new HpackError('truncated string');
    if (huffman) return huffmanDecode(buf, start, this.pos);
    return buf.toString('latin1', start, this.pos);
  }
}

/** Encodes an HPACK integer with an n-bit prefix; `first` holds the representation's high bits. */
export function hpackInteger(value: number, prefix: number, first: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function rawString(text: string): number[] {
  const bytes = Buffer.from(text, 'latin1');
  return [...hpackInteger(bytes.length, 7, 0), ...bytes];
}

/**
 * The header block of the requests of a run in three forms. Every request of a run carries the same headers,
 * so the first request on a connection sends `primer`, which adds them to the server's dynamic table (literals
 * with incremental indexing), and every later one sends `indexed`, a few bytes of table references: the
 * server decodes it at the cost h2load's requests have. `plain` (literals without indexing) serves when the
 * server's table is too small for them. Exact matches of the static table (:method POST, :scheme) are indexed
 * in all three.
 */
export interface RequestHeaderBlocks {
  primer: Buffer;
  indexed: Buffer;
  plain: Buffer;
  /** Octets the headers take in the server's dynamic table (RFC 7541 §4.1). */
  tableSize: number;
}

export function encodeRequestHeaders(headers: readonly (readonly [string, string])[]): RequestHeaderBlocks {
  const primer: number[] = [];
  const plain: number[] = [];
  const inserted: number[] = []; // positions in `indexed` that reference the dynamic table, in insertion order
  const indexed: (number[] | null)[] = [];
  let tableSize = 0;
  for (const [name, value] of headers) {
    const exact = STATIC.findIndex((e) => e.name === name && e.value === value);
    if (exact >= 0) {
      const ref = hpackInteger(exact + 1, 7, 0x80);
      primer.push(...ref);
      plain.push(...ref);
      indexed.push(ref);
      continue;
    }
    const named = STATIC_NAMES.indexOf(name);
    primer.push(...(named >= 0 ? hpackInteger(named + 1, 6, 0x40) : [0x40, ...rawString(name)]), ...rawString(value));
    plain.push(...(named >= 0 ? hpackInteger(named + 1, 4, 0x00) : [0x00, ...rawString(name)]), ...rawString(value));
    inserted.push(indexed.length);
    indexed.push(null);
    tableSize += Buffer.byteLength(name, 'latin1') + Buffer.byteLength(value, 'latin1') + ENTRY_OVERHEAD;
  }
  // The last entry inserted is at index 62, the first at 62 + n - 1.
  inserted.forEach((at, k) => {
    indexed[at] = hpackInteger(STATIC_NAMES.length + inserted.length - k, 7, 0x80);
  });
  return { primer: Buffer.from(primer), indexed: Buffer.from(indexed.flatMap((b) => b!)), plain: Buffer.from(plain), tableSize };
}
