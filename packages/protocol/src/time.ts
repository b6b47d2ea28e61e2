import type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';
import type { Duration__Output } from './generated/google/protobuf/Duration.js';

/** Milliseconds since the epoch → google.protobuf.Timestamp. */
export function toTimestamp(ms: number): Timestamp {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds, nanos: (whole - seconds * 1000) * 1e6 };
}

/** google.protobuf.Timestamp → milliseconds since the epoch; undefined when unset. */
export function fromTimestamp(ts: Timestamp__Output | null | undefined): number | undefined {
  if (!ts) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

/** google.protobuf.Duration → milliseconds; undefined when unset. */
export function fromDuration(d: Duration__Output | null | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}
