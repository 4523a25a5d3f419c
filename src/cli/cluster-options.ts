import { resolve } from 'node:path';
import type { ExecutionOptions } from '../store/index.ts';

/** `--kubeconfig` / `--context` on `run` and `resume`. */
export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
}

/**
 * The options as the Kubernetes runner's settings (RunnerJob.settings), stored with the execution
 * so that a resume reaches the same cluster. The kubeconfig path is made absolute: a resume may
 * start from another folder.
 */
export function clusterRunnerSettings(options: ClusterOptions): NonNullable<ExecutionOptions['runnerSettings']> {
  const settings: Record<string, string> = {};
  if (options.kubeconfig) settings.kubeconfig = resolve(options.kubeconfig);
  if (options.context) settings.context = options.context;
  return Object.keys(settings).length > 0 ? { kubernetes: settings } : {};
}
