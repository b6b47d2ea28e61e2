import { describe, expect, it } from 'vitest';
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { InFlightLimit } from './load-shedding.js';

type Handler = (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => void;

describe('InFlightLimit', () => {
  it('refuses calls beyond the limit with RESOURCE_EXHAUSTED and admits again once calls finish', () => {
    const pending: (() => void)[] = [];
    const limit = new InFlightLimit(2);
    const service = limit.wrap({
      Slow: ((_call, cb) => pending.push(() => cb(null, 'ok'))) as Handler,
    });
    const slow = service.Slow as Handler;
    const results: unknown[] = [];
    const call = () => slow({} as ServerUnaryCall<unknown, unknown>, (err, value) => results.push(err ? err.code : value));
    call();
    call();
    call();
    expect(results).toEqual([8]);
    expect(limit.inFlight).toBe(2);
    pending.shift()!();
    expect(limit.inFlight).toBe(1);
    call();
    expect(limit.inFlight).toBe(2);
    for (const finish of pending.splice(0)) finish();
    expect(results).toEqual([8, 'ok', 'ok', 'ok']);
    expect(limit.inFlight).toBe(0);
    expect(limit.shed).toBe(1);
  });
});
