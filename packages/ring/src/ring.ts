import HashRing from 'hashring';

/** A node on the ring: a stable id (a StatefulSet pod name, not an IP) and where to reach it. */
export interface Member {
  id: string;
  address: string;
}

const RING_SPACE = 2 ** 32;

/** The routing key of a subject: subjects of different tenants never collide. */
export const routingKey = (tenant: string, subject: string) => `${tenant}\x00${subject}`;

/**
 * Consistent hashing (ketama, via the hashring package) of (tenant, subject) over member ids. owner() is the
 * first of preferenceList(): the replicas of a subject are the next distinct members clockwise.
 */
/** Owners remembered per ring: a plain Map, emptied when full (hashring's own LRU cost more than the lookup it saves). */
const OWNER_MEMO = 10_000;

export class Ring {
  private readonly ring: HashRing;
  private readonly byId: Map<string, Member>;
  private readonly owners = new Map<string, Member>();

  constructor(
    members: readonly Member[],
    readonly vnodes: number,
  ) {
    if (members.length === 0) throw new Error('a ring needs at least one member');
    this.byId = new Map(members.map((m) => [m.id, m]));
    this.ring = new HashRing(
      members.map((m) => m.id),
      'md5',
      { 'vnode count': vnodes, 'max cache size': 1_000 },
    );
  }

  members(): Member[] {
    return [...this.byId.values()];
  }

  member(id: string): Member | undefined {
    return this.byId.get(id);
  }

  owner(tenant: string, subject: string): Member {
    const key = routingKey(tenant, subject);
    let owner = this.owners.get(key);
    if (owner === undefined) {
      owner = this.byId.get(this.ring.get(key))!;
      if (this.owners.size >= OWNER_MEMO) this.owners.clear();
      this.owners.set(key, owner);
    }
    return owner;
  }

  /** The first n distinct members clockwise from the key: its replica set, in preference order. */
  preferenceList(tenant: string, subject: string, n: number): Member[] {
    return this.ring.range(routingKey(tenant, subject), Math.min(n, this.byId.size), true).map((id) => this.byId.get(id)!);
  }

  /** Fraction of the hash space each member owns (sums to 1). */
  shares(): Map<string, number> {
    const points = (this.ring as unknown as { ring: { value: number; server: string }[] }).ring;
    const shares = new Map<string, number>([...this.byId.keys()].map((id) => [id, 0]));
    points.forEach((p, i) => {
      const arc = i === 0 ? p.value + (RING_SPACE - points[points.length - 1]!.value) : p.value - points[i - 1]!.value;
      shares.set(p.server, (shares.get(p.server) ?? 0) + arc / RING_SPACE);
    });
    return shares;
  }
}
