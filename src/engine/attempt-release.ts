/**
 * Which ended attempts still hold a container, volume or pod. The engine removes them through the
 * runner's `release` only once the attempt's end is stored, then stores the handle again marked
 * released (no schema change); an attempt that ended without that mark (a crash in between, a
 * failed removal) is released when its execution is resumed or taken over.
 */
import type { ResumeHandle } from '../runners/contract.ts';
import type { RunnerKind } from '../runners/table.ts';
import { isTerminal, type AttemptRecord } from '../store/index.ts';

const RELEASED = 'released';

export function markedReleased(handle: ResumeHandle): ResumeHandle {
  return { ...handle, [RELEASED]: true };
}

/** An attempt to release: what ran it, and the handle as stored (secret values still sealed). */
export interface Unreleased {
  number: number;
  runnerKind: RunnerKind;
  storedHandle: ResumeHandle;
}

/** The ended attempts whose runner saved a handle that is not marked released. */
export function unreleased(attempts: readonly AttemptRecord[]): Unreleased[] {
  return attempts.flatMap((attempt) => (isTerminal(attempt.state) && attempt.runnerKind && attempt.resumeHandle && attempt.resumeHandle[RELEASED] !== true
    ? [{ number: attempt.number, runnerKind: attempt.runnerKind, storedHandle: attempt.resumeHandle }]
    : []));
}
