export * from './node-client.js';
export * from './node-pool.js';
export * from './internal-error.js';
export * from './shard-router.js';
export * from './shard-methods.js';
export * from './h2-channel.js';
