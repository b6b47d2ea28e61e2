import type { Clock } from './clock.js';

/** A hybrid logical clock timestamp (Kulkarni et al. 2014): wall time, a logical counter, the issuing node. */
export interface HlcTimestamp {
  wallMs: number;
  logical: number;
  node: string;
}

/** Total order of HLC timestamps; ties on time break by node id so that last-writer-wins is deterministic. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.wallMs - b.wallMs || a.logical - b.logical || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
}

/**
 * Issues versions that never go backwards on this node and move past any version it has seen from others,
 * while staying close to wall time.
 */
export class HybridLogicalClock {
  private wallMs = 0;
  private logical = 0;

  constructor(
    private readonly node: string,
    private readonly clock: Clock,
  ) {}

  /** A new timestamp for a local event. */
  now(): HlcTimestamp {
    const pt = this.clock.now();
    if (pt > this.wallMs) {
      this.wallMs = pt;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
    return { wallMs: this.wallMs, logical: this.logical, node: this.node };
  }

  /** Merges a timestamp received from another node; returns the timestamp of the receive event. */
  observe(remote: HlcTimestamp): HlcTimestamp {
    const pt = this.clock.now();
    const wall = Math.max(this.wallMs, remote.wallMs, pt);
    if (wall === this.wallMs && wall === remote.wallMs) this.logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wallMs) this.logical += 1;
    else if (wall === remote.wallMs) this.logical = remote.logical + 1;
    else this.logical = 0;
    this.wallMs = wall;
    return { wallMs: this.wallMs, logical: this.logical, node: this.node };
  }
}
