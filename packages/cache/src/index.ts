export * from './byte-lru.js';
