export * from './setting.js';
export * from './parsers.js';
export * from './load.js';
export * from './services.js';
export { configReference, renderReadme } from './readme-table.js';
export { alertsGroup, metricsGroup } from './groups/observability.js';
