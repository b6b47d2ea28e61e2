export * from './types.js';
export * from './datasets.js';
export * from './database.js';
export * from './prefixspan.js';
export * from './ngram.js';
export * from './transactions.js';
export * from './fpgrowth.js';
