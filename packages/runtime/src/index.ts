export * from './node-server.js';
export * from './process.js';
export * from './load-shedding.js';
export * from './rpc-telemetry.js';
export * from './observability.js';
export * from './idle-gc.js';
