export * from './node-client.js';
export * from './node-pool.js';
export * from './internal-error.js';
