import { describe, expect, it } from 'vitest';
import { Ring } from './ring.js';

const members = [0, 1, 2].map((i) => ({ id: `shard-${i}`, address: `127.0.0.1:${50061 + i}` }));

describe('Ring', () => {
  it('routes a subject to the same owner every time and by id, not address', () => {
    const a = new Ring(members, 64);
    const b = new Ring(members.map((m) => ({ ...m, address: 'elsewhere:1' })), 64);
    for (let i = 0; i < 200; i++) expect(a.owner('t', `s${i}`).id).toBe(b.owner('t', `s${i}`).id);
  });

  it('spreads 1000 subjects over all members roughly evenly', () => {
    const ring = new Ring(members, 64);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) counts.set(ring.owner('default', `subject-${i}`).id, (counts.get(ring.owner('default', `subject-${i}`).id) ?? 0) + 1);
    for (const m of members) expect(counts.get(m.id)).toBeGreaterThan(200);
  });

  it('gives distinct replicas whose first is the owner', () => {
    const ring = new Ring(members, 64);
    for (let i = 0; i < 100; i++) {
      const list = ring.preferenceList('t', `s${i}`, 3);
      expect(new Set(list.map((m) => m.id)).size).toBe(3);
      expect(list[0]!.id).toBe(ring.owner('t', `s${i}`).id);
    }
    expect(ring.preferenceList('t', 's', 5)).toHaveLength(3);
  });

  it('reports ownership shares that sum to one', () => {
    const shares = new Ring(members, 64).shares();
    const total = [...shares.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 9);
    for (const s of shares.values()) expect(s).toBeGreaterThan(0.2);
  });

  it('moves only the keys of a removed member', () => {
    const before = new Ring(members, 64);
    const after = new Ring(members.slice(0, 2), 64);
    for (let i = 0; i < 500; i++) {
      const owner = before.owner('t', `s${i}`).id;
      if (owner !== 'shard-2') expect(after.owner('t', `s${i}`).id).toBe(owner);
    }
  });
});
