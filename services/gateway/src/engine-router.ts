import { NodePool, type InternalCall, type NodeClient } from '@engram/cluster-client';
import { EngramError, SATURATED_MESSAGE, unavailable } from '@engram/protocol';
import { Ring, type Member, type Membership } from '@engram/ring';
import { status } from '@grpc/grpc-js';

/** How far above the average load (requests in flight from this gateway) an engine may go before others take over. */
const LOAD_FACTOR = 1.25;

/**
 * Which thought engine serves a subject: consistent hashing of (tenant, subject) for cache affinity (the engine
 * keeps the subject's model), with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018): an engine already
 * carrying more than LOAD_FACTOR times the average share of this gateway's calls is passed over for the next one
 * in the subject's preference list. A call that fails because its engine is down, or because its pool is
 * saturated, moves on to the next engine (once per engine), so one engine down or busy leaves the service working.
 */
export class EngineRouter {
  private current: Ring | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(
    membership: Membership,
    private readonly vnodes: number,
    readonly pool: NodePool,
  ) {
    const ring = (members: readonly Member[]) => (members.length === 0 ? undefined : new Ring(members, this.vnodes));
    this.current = ring(membership.members());
    membership.onChange((members) => {
      this.current = ring(members);
      pool.retain(members);
    });
  }

  members(): Member[] {
    return this.current?.members() ?? [];
  }

  client(member: Member): NodeClient {
    return this.pool.get(member);
  }

  /** Engines to try for a subject, in order: the preference list, with overloaded engines moved to the end. */
  candidates(tenant: string, subject: string): Member[] {
    if (!this.current) return [];
    const members = this.current.members();
    const list = this.current.preferenceList(tenant, subject, members.length);
    let total = 0;
    for (const m of members) total += this.inFlight.get(m.id) ?? 0;
    const bound = Math.ceil((LOAD_FACTOR * (total + 1)) / Math.max(1, members.length));
    const under = list.filter((m) => (this.inFlight.get(m.id) ?? 0) < bound);
    return [...under, ...list.filter((m) => !under.includes(m))];
  }

  /**
   * Forwards request bytes to the subject's engine. idempotent: whether a call that may have reached an engine
   * that then failed can be sent to another one.
   */
  async forward(tenant: string, subject: string, path: string, bytes: Buffer, call: InternalCall): Promise<Buffer> {
    const candidates = this.candidates(tenant, subject);
    if (candidates.length === 0) throw unavailable('no thought engine is configured (ENGRAM_ENGINES)');
    let last: unknown;
    for (const member of candidates) {
      if (call.deadlineMs !== undefined && Date.now() >= call.deadlineMs) break;
      this.inFlight.set(member.id, (this.inFlight.get(member.id) ?? 0) + 1);
      try {
        return await this.pool.get(member).raw(path, bytes, { ...call, idempotent: false });
      } catch (err) {
        last = err;
        if (!retryElsewhere(err, call.idempotent ?? false)) throw err;
      } finally {
        this.inFlight.set(member.id, this.inFlight.get(member.id)! - 1);
      }
    }
    throw last ?? new EngramError(status.DEADLINE_EXCEEDED, 'deadline exceeded before an engine answered');
  }
}

function retryElsewhere(err: unknown, idempotent: boolean): boolean {
  if (!(err instanceof EngramError)) return false;
  if (err.code === status.RESOURCE_EXHAUSTED) return err.message.includes(SATURATED_MESSAGE);
  if (err.code !== status.UNAVAILABLE) return false;
  // A call that never left (no connection, or the engine's circuit is open) is safe to send anywhere.
  return idempotent || NOT_SENT.some((marker) => err.message.includes(marker));
}

const NOT_SENT = ['No connection established', 'ECONNREFUSED', 'failing fast'];
