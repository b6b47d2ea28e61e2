import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { Membership, Member } from '@engram/ring';
import { Ring } from '@engram/ring';
import type { InternalCall, NodeClient } from './node-client.js';
import type { NodePool } from './node-pool.js';

/**
 * Where a subject lives: the ring over the current members, and a pooled client per member. The ring is rebuilt
 * when membership changes.
 */
export class ShardRouter {
  private current: Ring;

  constructor(
    membership: Membership,
    private readonly vnodes: number,
    readonly pool: NodePool,
  ) {
    this.current = new Ring(membership.members(), vnodes);
    membership.onChange((members) => {
      this.current = new Ring(members, this.vnodes);
      pool.retain(members);
    });
  }

  get ring(): Ring {
    return this.current;
  }

  /** The client of the shard that owns a subject. */
  owner(tenant: string, subject: string): NodeClient {
    return this.pool.get(this.current.owner(tenant, subject));
  }

  members(): Member[] {
    return this.current.members();
  }

  client(member: Member): NodeClient {
    return this.pool.get(member);
  }
}

/** The internal-call context of a server call: tenant, the caller's deadline, cancellation. */
export function internalCall(call: ServerUnaryCall<unknown, unknown>, tenant: string, idempotent: boolean): InternalCall {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return { tenant, deadlineMs: Number.isFinite(ms) ? ms : undefined, parent: call, idempotent };
}
