import { describe, expect, it } from 'vitest';
import type { StreamEntry__Output } from '@engram/protocol';
import { chronological, itemsOf, toEpisodes } from './stream.js';

/** A stream entry as ReadStream returns it: every field present. */
function entry(p: Partial<StreamEntry__Output> & { id: string; occurredAtMs: number }): StreamEntry__Output {
  return { ingestedAtMs: p.occurredAtMs, kind: '', tags: [], terms: [], layer: 'LAYER_SENSORY', importance: 0.5, ...p };
}

const GAP = 1000;

describe('itemsOf', () => {
  const e = entry({ id: 'a', occurredAtMs: 0, kind: 'login', tags: ['web', 'eu'], terms: ['password', 'reset'] });

  it('takes the kind, the tags or the terms', () => {
    expect(itemsOf(e, 'ITEM_SOURCE_KIND')).toEqual(['login']);
    expect(itemsOf(e, 'ITEM_SOURCE_TAGS')).toEqual(['web', 'eu']);
    expect(itemsOf(e, 'ITEM_SOURCE_TERMS')).toEqual(['password', 'reset']);
  });

  it('falls back to the kind for an unspecified source', () => {
    expect(itemsOf(e, 'ITEM_SOURCE_UNSPECIFIED')).toEqual(['login']);
  });

  it('gives no item for an empty kind, tags or terms', () => {
    const bare = entry({ id: 'b', occurredAtMs: 0 });
    expect(itemsOf(bare, 'ITEM_SOURCE_KIND')).toEqual([]);
    expect(itemsOf(bare, 'ITEM_SOURCE_TAGS')).toEqual([]);
    expect(itemsOf(bare, 'ITEM_SOURCE_TERMS')).toEqual([]);
  });
});

describe('chronological', () => {
  it('orders by occurredAt, ties by id, without touching the input', () => {
    const input = [
      entry({ id: 'c', occurredAtMs: 20 }),
      entry({ id: 'b', occurredAtMs: 10 }),
      entry({ id: 'z', occurredAtMs: 5 }),
      entry({ id: 'a', occurredAtMs: 10 }),
      entry({ id: 'a0', occurredAtMs: 10 }),
    ];
    const before = input.map((e) => e.id);
    expect(chronological(input).map((e) => e.id)).toEqual(['z', 'a', 'a0', 'b', 'c']);
    expect(input.map((e) => e.id)).toEqual(before);
  });

  it('gives the same order for any permutation of the input', () => {
    const entries = Array.from({ length: 12 }, (_, i) => entry({ id: `m${(i * 7) % 12}`, occurredAtMs: (i % 4) * 100 }));
    const expected = chronological(entries).map((e) => e.id);
    for (let shift = 1; shift < entries.length; shift++) {
      const rotated = [...entries.slice(shift), ...entries.slice(0, shift)];
      expect(chronological(rotated).map((e) => e.id)).toEqual(expected);
      expect(chronological([...rotated].reverse()).map((e) => e.id)).toEqual(expected);
    }
  });
});

describe('toEpisodes', () => {
  it('is empty for an empty stream', () => {
    expect(toEpisodes([], 'ITEM_SOURCE_KIND', GAP, 123)).toEqual({
      dictionary: [],
      sequences: [],
      evidence: [],
      memories: 0,
      lastIngestedMs: 0,
      nowMs: 123,
      entries: [],
    });
  });

  it('starts a new episode only after a pause strictly longer than the gap', () => {
    const db = toEpisodes(
      [
        entry({ id: 'm1', occurredAtMs: 0, kind: 'a' }),
        entry({ id: 'm2', occurredAtMs: GAP, kind: 'b' }), // exactly the gap: same episode
        entry({ id: 'm3', occurredAtMs: 2 * GAP + 1, kind: 'c' }), // gap + 1: new episode
        entry({ id: 'm4', occurredAtMs: 2 * GAP + 2, kind: 'a' }),
        entry({ id: 'm5', occurredAtMs: 10 * GAP, kind: 'b' }),
      ],
      'ITEM_SOURCE_KIND',
      GAP,
      0,
    );
    expect(db.dictionary).toEqual(['a', 'b', 'c']);
    expect(db.sequences).toEqual([[[0], [1]], [[2], [0]], [[1]]]);
    expect(db.evidence).toEqual([['m1', 'm2'], ['m3', 'm4'], ['m5']]);
    expect(db.memories).toBe(5);
  });

  it('sorts out-of-order input by occurredAt, then id', () => {
    const db = toEpisodes(
      [
        entry({ id: 'm9', occurredAtMs: 300, kind: 'c' }),
        entry({ id: 'm2', occurredAtMs: 100, kind: 'b' }),
        entry({ id: 'm1', occurredAtMs: 100, kind: 'a' }),
        entry({ id: 'm0', occurredAtMs: 200, kind: 'a' }),
      ],
      'ITEM_SOURCE_KIND',
      GAP,
      0,
    );
    expect(db.entries.map((e) => e.id)).toEqual(['m1', 'm2', 'm0', 'm9']);
    expect(db.evidence).toEqual([['m1', 'm2', 'm0', 'm9']]);
    expect(db.sequences).toEqual([[[0], [1], [0], [2]]]);
  });

  it('builds the same database for any input order (sorted dictionary)', () => {
    const entries = [
      entry({ id: 'a1', occurredAtMs: 0, tags: ['zeta', 'alpha'] }),
      entry({ id: 'a2', occurredAtMs: 10, tags: ['mid'] }),
      entry({ id: 'a3', occurredAtMs: 5000, tags: ['beta', 'zeta'] }),
      entry({ id: 'a4', occurredAtMs: 5010, tags: ['Alpha'] }),
    ];
    const expected = toEpisodes(entries, 'ITEM_SOURCE_TAGS', GAP, 0);
    expect(expected.dictionary).toEqual(['Alpha', 'alpha', 'beta', 'mid', 'zeta']);
    expect(expected.sequences).toEqual([[[1, 4], [3]], [[2, 4], [0]]]);
    const shuffled = [entries[2]!, entries[0]!, entries[3]!, entries[1]!];
    expect(toEpisodes(shuffled, 'ITEM_SOURCE_TAGS', GAP, 0)).toEqual(expected);
    expect(toEpisodes([...entries].reverse(), 'ITEM_SOURCE_TAGS', GAP, 0)).toEqual(expected);
  });

  it('makes each element the sorted, distinct item ids of one memory', () => {
    const db = toEpisodes(
      [
        entry({ id: 'm1', occurredAtMs: 0, terms: ['reset', 'password', 'reset'] }),
        entry({ id: 'm2', occurredAtMs: 1, terms: ['login'] }),
      ],
      'ITEM_SOURCE_TERMS',
      GAP,
      0,
    );
    expect(db.dictionary).toEqual(['login', 'password', 'reset']);
    expect(db.sequences).toEqual([[[1, 2], [0]]]);
  });

  it('reads the items of the chosen source only', () => {
    const entries = [
      entry({ id: 'm1', occurredAtMs: 0, kind: 'click', tags: ['ui'], terms: ['button'] }),
      entry({ id: 'm2', occurredAtMs: 1, kind: 'buy', tags: ['shop', 'ui'], terms: ['cart'] }),
    ];
    expect(toEpisodes(entries, 'ITEM_SOURCE_KIND', GAP, 0)).toMatchObject({ dictionary: ['buy', 'click'], sequences: [[[1], [0]]] });
    expect(toEpisodes(entries, 'ITEM_SOURCE_TAGS', GAP, 0)).toMatchObject({ dictionary: ['shop', 'ui'], sequences: [[[1], [0, 1]]] });
    expect(toEpisodes(entries, 'ITEM_SOURCE_TERMS', GAP, 0)).toMatchObject({ dictionary: ['button', 'cart'], sequences: [[[0], [1]]] });
  });

  it('adds no element for a memory without items, but counts it and its time', () => {
    const entries = [
      entry({ id: 'm1', occurredAtMs: 0, kind: 'a' }),
      entry({ id: 'm2', occurredAtMs: 800 }), // no kind: no element
      entry({ id: 'm3', occurredAtMs: 1600, kind: 'b' }),
    ];
    const db = toEpisodes(entries, 'ITEM_SOURCE_KIND', GAP, 0);
    expect(db.memories).toBe(3);
    expect(db.entries).toHaveLength(3);
    // m1 → m3 is 1600 ms (over the gap), but m2 in between keeps every pause at 800 ms: one episode.
    expect(db.sequences).toEqual([[[0], [1]]]);
    expect(db.evidence).toEqual([['m1', 'm3']]);
    // Without m2 the pause splits the episode.
    expect(toEpisodes([entries[0]!, entries[2]!], 'ITEM_SOURCE_KIND', GAP, 0).sequences).toEqual([[[0]], [[1]]]);
  });

  it('makes no empty episode of memories without items', () => {
    const db = toEpisodes(
      [
        entry({ id: 'm1', occurredAtMs: 0, kind: 'a' }),
        entry({ id: 'm2', occurredAtMs: 5000 }),
        entry({ id: 'm3', occurredAtMs: 5001 }),
        entry({ id: 'm4', occurredAtMs: 10_000, kind: 'a' }),
      ],
      'ITEM_SOURCE_KIND',
      GAP,
      0,
    );
    expect(db.sequences).toEqual([[[0]], [[0]]]);
    expect(db.evidence).toEqual([['m1'], ['m4']]);
    expect(db.memories).toBe(4);
    expect(toEpisodes([entry({ id: 'x', occurredAtMs: 0 })], 'ITEM_SOURCE_TAGS', GAP, 0)).toMatchObject({ sequences: [], evidence: [], memories: 1, dictionary: [] });
  });

  it('aligns evidence ids with elements', () => {
    const entries = Array.from({ length: 30 }, (_, i) =>
      entry({ id: `m${String(i).padStart(2, '0')}`, occurredAtMs: i * 400 + (i % 7 === 0 ? 5000 * i : 0), kind: i % 3 === 0 ? '' : `k${i % 4}` }),
    );
    const db = toEpisodes(entries, 'ITEM_SOURCE_KIND', GAP, 0);
    const byId = new Map(entries.map((e) => [e.id, e]));
    expect(db.evidence.map((ids) => ids.length)).toEqual(db.sequences.map((s) => s.length));
    db.sequences.forEach((seq, s) => {
      seq.forEach((element, i) => {
        const e = byId.get(db.evidence[s]![i]!)!;
        expect(element.map((item) => db.dictionary[item])).toEqual([e.kind]);
      });
    });
    // Every memory with items is an element exactly once.
    expect(db.evidence.flat().sort()).toEqual(entries.filter((e) => e.kind !== '').map((e) => e.id).sort());
  });

  it('reports the newest ingest time, of memories without items too, and passes nowMs through', () => {
    const db = toEpisodes(
      [
        entry({ id: 'm1', occurredAtMs: 500, ingestedAtMs: 9000, kind: 'a' }),
        entry({ id: 'm2', occurredAtMs: 100, ingestedAtMs: 12_000 }),
        entry({ id: 'm3', occurredAtMs: 900, ingestedAtMs: 7000, kind: 'b' }),
      ],
      'ITEM_SOURCE_KIND',
      GAP,
      42_000,
    );
    expect(db.lastIngestedMs).toBe(12_000);
    expect(db.nowMs).toBe(42_000);
  });
});
