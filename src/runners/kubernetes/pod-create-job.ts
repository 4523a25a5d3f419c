import type { V1ObjectMeta, V1PodStatus } from '@kubernetes/client-node';
import type { RunnerJob } from '../contract.ts';

/** What the PodCreate task hands to the Kubernetes machinery: rendered values only. */
export interface PodCreateJob extends Pick<RunnerJob,
  'identity' | 'hostWorkingDir' | 'outputDirName' | 'outputGlobs' | 'signal' | 'log' | 'notice' | 'resume' | 'saveResumeHandle' | 'taskTimeoutMs' | 'settings' | 'progress'> {
  /** The task's `namespace`; kubectl's rule (connection.ts) when absent. */
  namespace?: string;
  /** Rendered `metadata`: name, labels, annotations. */
  metadata: Record<string, unknown>;
  /** Rendered PodSpec. */
  spec: Record<string, unknown>;
  /** Kestra's Connection; kubeconfig / in-cluster rules when absent. */
  connection?: Record<string, unknown>;
  waitUntilRunningMs: number;
  /** Maximum run time once running (a task `timeout` wins). */
  waitRunningMs: number;
  delete: boolean;
  resumeEnabled: boolean;
  fileSidecar: Record<string, unknown>;
  containerDefaultSpec?: Record<string, unknown>;
}

export interface PodCreateResult {
  /** 0 when every task container exited 0, else the first non-zero exit code. */
  exitCode: number;
  /** The pod's last metadata and status, as the API sent them (JSON: timestamps are strings). */
  metadata: V1ObjectMeta;
  status: V1PodStatus;
}
