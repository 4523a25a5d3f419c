export { Store } from './store.ts';
export { LogWriter } from './log-writer.ts';
export { InternalStorage, STORAGE_SCHEME } from './internal-storage.ts';
export { diskFullError } from './failures.ts';
export * from './records.ts';
export { FencedStore, type ExecutionStore, type Fence } from './fenced-store.ts';
