export * from './weights.js';
export * from './promotion.js';
export * from './context.js';
export * from './baselines.js';
export * from './predictor.js';
