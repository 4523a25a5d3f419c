export { Store } from './store.ts';
export { LogWriter } from './log-writer.ts';
export { InternalStorage } from './internal-storage.ts';
export { diskFullError } from './failures.ts';
export * from './records.ts';
