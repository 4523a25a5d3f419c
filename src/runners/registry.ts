import type { RunnerKind } from '../flow/model.ts';
import type { TaskRunner } from './contract.ts';

/**
 * Runners are loaded on first use: a flow that only runs local processes never pays for the Docker
 * or Kubernetes client libraries at start-up.
 */
const loaders: Record<RunnerKind, () => Promise<TaskRunner>> = {
  process: async () => (await import('./process/index.ts')).createProcessRunner(),
  docker: async () => (await import('./docker/index.ts')).createDockerRunner(),
  kubernetes: async () => (await import('./kubernetes/index.ts')).createKubernetesRunner(),
};

/** Whether a runner's saved resume handle lets a new harrier process re-attach to running work. */
export const RUNNER_REATTACHES: Record<RunnerKind, boolean> = { process: false, docker: true, kubernetes: true };

export class RunnerRegistry {
  private readonly loaded = new Map<RunnerKind, Promise<TaskRunner>>();

  get(kind: RunnerKind): Promise<TaskRunner> {
    let runner = this.loaded.get(kind);
    if (!runner) {
      runner = loaders[kind]();
      this.loaded.set(kind, runner);
    }
    return runner;
  }
}
