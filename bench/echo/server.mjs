#!/usr/bin/env node
// A raw grpc-js echo server for calibrating load generators: one unary method, /echo.Echo/Echo, that answers
// with the request's bytes. Identity serialisers keep protobuf out of the measurement: it measures the
// transport (HTTP/2 + gRPC framing in grpc-js), so a generator that reaches h2load's rate here is not the
// bottleneck of a real benchmark.
//
//   node bench/echo/server.mjs [--port N] [--host 127.0.0.1]
//
// Prints one JSON line {"port":N} on stdout once listening. Each line "stats" written to its stdin is answered
// with {"calls":N} (calls answered so far); SIGTERM or SIGINT stop it.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');

const identity = (b) => b;
export const ECHO_PATH = '/echo.Echo/Echo';
const service = {
  Echo: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Starts the server; resolves with its port, a live call counter and a stop function. */
export async function startEchoServer({ host = '127.0.0.1', port = 0 } = {}) {
  const server = new grpc.Server({ 'grpc.max_concurrent_streams': 1000 });
  const stats = { calls: 0 };
  server.addService(service, {
    Echo(call, callback) {
      stats.calls++;
      callback(null, call.request);
    },
  });
  const bound = await new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    stats,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

const isMain = process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isMain) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const echo = await startEchoServer({ host: arg('--host', '127.0.0.1'), port: Number(arg('--port', '0')) });
  process.stdout.write(`${JSON.stringify({ port: echo.port })}\n`);
  const stop = async () => {
    await echo.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify({ calls: echo.stats.calls })}\n`);
  });
}
