export * from './node-server.js';
export * from './process.js';
export * from './load-shedding.js';
