import type { TaskRunner } from './contract.ts';
import { runnerOfKind, type RunnerKind } from './table.ts';

/**
 * Runners are loaded on first use, through their descriptor's loader: a flow that only runs local
 * processes never pays for the Docker or Kubernetes client libraries at start-up.
 */
export class RunnerRegistry {
  private readonly loaded = new Map<RunnerKind, Promise<TaskRunner>>();

  get(kind: RunnerKind): Promise<TaskRunner> {
    let runner = this.loaded.get(kind);
    if (!runner) {
      runner = runnerOfKind(kind).load();
      this.loaded.set(kind, runner);
    }
    return runner;
  }
}
