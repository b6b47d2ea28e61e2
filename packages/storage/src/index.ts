export * from './keys.js';
export * from './clock.js';
export * from './hlc.js';
export * from './codec.js';
export * from './group-commit.js';
export * from './store.js';
export * from './level-options.js';
