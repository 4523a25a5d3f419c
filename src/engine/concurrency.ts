/**
 * Runs work items with at most `limit` at once (0: all at once). Once an item ends in a state that
 * is not successful, or `stop()` says so, no more start; those running end on their own.
 */
import { isSuccessful, type State } from '../store/index.ts';

export interface LimitedRun<T> {
  /** The states of the items that ran, in the order they ended. */
  ended: State[];
  /** The items that never started, in order. */
  notStarted: T[];
}

export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<State>,
  options: { stop: () => boolean },
): Promise<LimitedRun<T>> {
  const queue = [...items];
  const ended: State[] = [];
  let failed = false;
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && !failed && !options.stop()) {
      const state = await run(queue.shift()!);
      ended.push(state);
      if (!isSuccessful(state)) failed = true;
    }
  };
  const workers = limit > 0 ? Math.min(limit, queue.length) : queue.length;
  await Promise.all(Array.from({ length: Math.max(workers, 1) }, worker));
  return { ended, notStarted: queue };
}
