export { MemoryEngine, type EngineOptions } from './engine.js';
export { KeyedLock } from './keyed-lock.js';
export { CounterBook } from './counters.js';

export { ThoughtStore } from './thoughts.js';
