export * from './ring.js';
export * from './membership.js';
