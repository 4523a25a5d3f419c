export type { Store } from './contract.ts';
export { SqliteStore } from './sqlite/sqlite-store.ts';
export { openStore, type StoreOptions } from './open-store.ts';
export { LogWriter } from './log-writer.ts';
export { defaultStorageDir, InternalStorage, STORAGE_SCHEME } from './internal-storage.ts';
export { diskFullError } from './failures.ts';
export * from './records.ts';
export { FencedStore, type ExecutionStore } from './fenced-store.ts';
