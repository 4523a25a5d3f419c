/**
 * What the runner contract suite needs from a backend: how to make its runner (in this process
 * and in a child that the resume tests SIGKILL), what a job needs to run there, and how to find
 * what a job left behind.
 */
import type { RunnerJob, TaskRunner } from '../../../src/runners/contract.ts';

/** A runner factory that a child process can import too: module URL, export name, one JSON argument. */
export interface RunnerSpec {
  module: string;
  factory: string;
  options?: unknown;
}

export interface ContractBackend {
  runner: RunnerSpec;
  /** Image of the task; must hold busybox's `sh`, `sleep`, `seq`, `cat`, `mkdir`, `printf`. */
  containerImage?: string;
  /** The job's `taskRunner` properties on this backend (connection, namespace, pull policy...). */
  properties: Record<string, unknown>;
  /** False when the backend's log is one merged stream, as the Kubernetes log API is. */
  separatesStreams: boolean;
  /**
   * What this job left behind that the backend owns: containers, volumes, pods. (Processes on this
   * machine are the suite's own check, by the job's marker variable.)
   */
  leftovers(job: RunnerJob): Promise<string[]>;
  close(): Promise<void>;
}

/** The backend cannot run here; the reason is printed and every test skips. */
export interface Unavailable {
  unavailable: string;
}

export async function createRunner(spec: RunnerSpec): Promise<TaskRunner> {
  const module = (await import(spec.module)) as Record<string, (options?: unknown) => TaskRunner>;
  const factory = module[spec.factory];
  if (typeof factory !== 'function') throw new Error(`${spec.module} exports no runner factory '${spec.factory}'`);
  return factory(spec.options);
}
