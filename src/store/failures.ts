import { StoreError } from '../shared/errors.ts';

/** A full disk under the state directory, whichever store met it (SQLite's file, or an upload or output file). */
export function diskFullError(stateDir: string, cause?: unknown): StoreError {
  return new StoreError(`no space left on device at ${stateDir}`, {
    code: 'STORE_DISK_FULL', cause, hint: 'free some space, or choose another --state-dir',
  });
}
