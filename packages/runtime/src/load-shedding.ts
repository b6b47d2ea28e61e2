import { status, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

/** Counts calls in flight across the services of one node. */
export class InFlightLimit {
  private current = 0;
  shed = 0;
  /** Calls admitted so far. */
  started = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.current;
  }

  /**
   * Wraps the unary handlers of a service: beyond max calls in flight a call is refused at once with
   * RESOURCE_EXHAUSTED (retryable after backing off) instead of queueing until every call is slow.
   */
  wrap(implementation: UntypedServiceImplementation): UntypedServiceImplementation {
    const wrapped: UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(implementation)) {
      const unary = handler as (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;
      wrapped[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        if (this.current >= this.max) {
          this.shed += 1;
          callback({ code: status.RESOURCE_EXHAUSTED, details: `overloaded: ${this.max} calls in flight; retry with backoff` });
          return;
        }
        this.current += 1;
        this.started += 1;
        let done = false;
        const release = () => {
          if (!done) {
            done = true;
            this.current -= 1;
          }
        };
        try {
          unary(call, (err, value) => {
            release();
            callback(err, value);
          });
        } catch (err) {
          // A handler that threw instead of calling back still gives its place back.
          release();
          throw err;
        }
      };
    }
    return wrapped;
  }
}
