export * from './node-server.js';
export * from './process.js';
