import { StoreError } from '../shared/errors.ts';

/**
 * A full disk under the state or storage directory, whichever met it (SQLite's file, or an upload or
 * output file); `flag` names the option that chooses that folder.
 */
export function diskFullError(dir: string, cause?: unknown, flag: '--state-dir' | '--storage-dir' = '--state-dir'): StoreError {
  return new StoreError(`no space left on device at ${dir}`, {
    code: 'STORE_DISK_FULL', cause, hint: `free some space, or choose another ${flag}`,
  });
}
