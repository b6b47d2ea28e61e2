import { describe, expect, it } from 'vitest';
import { EMPTY, encodeCount, expiryKey, MemoryIndexEntries, postingKey } from '@engram/storage';

/** The entries putInto gives, in order. */
function entriesOf(index: MemoryIndexEntries): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const n = index.putInto({ put: (key, value) => out.push([key, value]) });
  expect(n).toBe(out.length);
  return out;
}

const bytesOf = (entries: [string, Uint8Array][]) => entries.reduce((sum, [key, value]) => sum + key.length + value.length, 0);

describe('MemoryIndexEntries', () => {
  const terms = [
    { term: 'tea', count: 2 },
    { term: 'café', count: 1 },
    { term: 'often', count: 300 },
  ];

  it('puts a posting per term and the expiry entry, and counts their bytes as BatchOps do', () => {
    const index = new MemoryIndexEntries('acme', 'alice', '01HZX', terms, 1_700_000_000_000);
    const entries = entriesOf(index);
    expect(entries).toEqual([
      [postingKey('acme', 'tea', 'alice', '01HZX'), encodeCount(2)],
      [postingKey('acme', 'café', 'alice', '01HZX'), encodeCount(1)],
      [postingKey('acme', 'often', 'alice', '01HZX'), encodeCount(300)],
      [expiryKey(1_700_000_000_000, 'acme', 'alice', '01HZX'), EMPTY],
    ]);
    expect(index.bytes).toBe(bytesOf(entries));
  });

  it('has no expiry entry for a memory that does not expire, and nothing for one without terms', () => {
    const index = new MemoryIndexEntries('acme', 'alice', '01HZX', terms, 0);
    expect(entriesOf(index).map(([key]) => key)).toEqual(terms.map((t) => postingKey('acme', t.term, 'alice', '01HZX')));
    expect(index.bytes).toBe(bytesOf(entriesOf(index)));
    const empty = new MemoryIndexEntries('acme', 'alice', '01HZX', [], 0);
    expect(entriesOf(empty)).toEqual([]);
    expect(empty.bytes).toBe(0);
  });
});
