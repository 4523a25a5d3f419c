export { Engine, type EngineOptions, type StartRequest } from './engine.ts';
export type { ExecutionListener } from './listener.ts';
