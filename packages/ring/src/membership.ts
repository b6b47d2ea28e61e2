import type { Member } from './ring.js';

/**
 * Where the ring's members come from. The ring does not care which source feeds it: a static list here, the DNS
 * of a Kubernetes headless Service later.
 */
export interface Membership {
  members(): readonly Member[];
  /** Called with the new list when membership changes; returns an unsubscribe function. */
  onChange(listener: (members: readonly Member[]) => void): () => void;
}

/** A fixed member list from configuration. */
export class StaticMembership implements Membership {
  constructor(private readonly list: readonly Member[]) {}
  members(): readonly Member[] {
    return this.list;
  }
  onChange(): () => void {
    return () => undefined;
  }
}
