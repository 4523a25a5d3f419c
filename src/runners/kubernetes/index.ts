/**
 * The Kubernetes task runner and the PodCreate machinery. Loaded lazily by the runner registry,
 * so flows that never touch Kubernetes never load the client library.
 */
import type { TaskRunner } from '../contract.ts';
import { KubernetesRunner, type KubernetesRunnerOptions } from './runner.ts';

export function createKubernetesRunner(options: KubernetesRunnerOptions = {}): TaskRunner {
  return new KubernetesRunner(options);
}

export { runPodCreate } from './pod-create.ts';
export type { PodCreateJob, PodCreateResult } from './pod-create-job.ts';
export type { KubernetesRunnerOptions } from './runner.ts';
export type { KubernetesTuning } from './pod-session.ts';
export { CONTAINER_WORKING_DIR } from './layout.ts';
export { InformerRegistry, stopAllInformers } from './informer.ts';
