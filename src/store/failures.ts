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

/**
 * Fencing, the same for every store: a write whose epoch is not the lease's current one (`current`,
 * undefined when the execution has no lease) is refused.
 */
export function checkEpoch(executionId: string, epoch: number, current: number | undefined): void {
  if (current !== epoch) throw leaseLostError(executionId, epoch, current);
}

export function leaseLostError(executionId: string, epoch: number, current: number | undefined): StoreError {
  return new StoreError(`write refused for execution ${executionId}: this worker holds lease epoch ${epoch}, the store has ${current ?? 'no lease'}`, {
    code: 'LEASE_LOST', hint: 'another worker took the execution over; this one stops its part and leaves the containers and pods to it',
  });
}
