/**
 * `--task-runner`: a runner's kind, from the runner table. Kept apart from context.ts because the
 * table loads the runners' schemas (zod): only `run` pays for it.
 */
import { isRunnerKind, RUNNER_KINDS, type RunnerKind } from '../runners/table.ts';
import { UsageError } from '../shared/errors.ts';

export const RUNNER_CHOICES = RUNNER_KINDS;

export function parseRunnerChoice(value: string | undefined): RunnerKind | undefined {
  if (value === undefined) return undefined;
  const choice = value.toLowerCase();
  if (!isRunnerKind(choice)) {
    throw new UsageError(`--task-runner must be one of ${RUNNER_CHOICES.join(', ')}, not '${value}'`);
  }
  return choice;
}
