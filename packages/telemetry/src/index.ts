export * from './logger.js';
export * from './otel.js';
export * from './metrics.js';
export * from './stage-marks.js';
