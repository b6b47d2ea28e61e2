import { connect, type ClientHttp2Session } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@engram/telemetry';
import { CONNECTION_WINDOW_BYTES } from '@engram/protocol';
import { NodeServer } from './node-server.js';

/** Polls cond every 10 ms, at most timeoutMs. */
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!cond() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return cond();
}

describe('NodeServer', () => {
  let server: NodeServer;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    server = new NodeServer({ listen: '127.0.0.1:0', maxInFlight: 10, services: [], protoFiles: [], maxMessageBytes: 2 ** 20, logger: silentLogger() });
    await server.start();
  });
  afterAll(async () => {
    session?.close();
    await server?.shutdown(1000);
  });

  it("opens each peer's HTTP/2 connection window wide, so a busy node still takes in queued requests", async () => {
    session = connect(`http://127.0.0.1:${server.port}`);
    // The window a peer may send into: Node's default is 65,535 bytes until the server's WINDOW_UPDATE arrives.
    const widened = await waitFor(() => (session.state.remoteWindowSize ?? 0) >= CONNECTION_WINDOW_BYTES, 5000);
    expect(session.state.remoteWindowSize).toBe(CONNECTION_WINDOW_BYTES);
    expect(widened).toBe(true);
  });
});
