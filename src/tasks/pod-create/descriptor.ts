import type { TaskBase } from '../../flow/model.ts';
import { parseIsoDuration } from '../../shared/duration.ts';
import type { TaskDescriptor } from '../descriptor.ts';
import { podCreateProperties } from './schema.ts';

export interface PodCreateTask extends TaskBase {
  kind: 'podCreate';
  /** Kubernetes namespace; without it (and without `connection`), kubectl's rule picks one. */
  namespace?: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  inputFiles: Record<string, string> | string;
  outputFiles: string[];
  connection?: Record<string, unknown>;
  waitUntilRunningMs: number;
  waitRunningMs: number;
  delete: boolean;
  resume: boolean;
  fileSidecar: Record<string, unknown>;
  containerDefaultSpec?: Record<string, unknown>;
}

interface PodCreateProperties {
  namespace?: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  inputFiles?: Record<string, string> | string;
  outputFiles: string[];
  waitUntilRunning: string;
  waitRunning: string;
  delete: boolean;
  resume: boolean;
  containerDefaultSpec?: Record<string, unknown>;
}

/** `io.kestra.plugin.kubernetes.core.PodCreate`: runs a pod spec as written, files in and out. */
export const podCreateTask: TaskDescriptor<PodCreateTask> = {
  kind: 'podCreate',
  variants: [{
    types: [['io.kestra.plugin.kubernetes.core.PodCreate', 'io.kestra.plugin.kubernetes.PodCreate', 'PodCreate']],
    properties: podCreateProperties,
  }],
  model: ({ properties, raw }, common) => {
    const task = properties as unknown as PodCreateProperties;
    return {
      ...common,
      kind: 'podCreate',
      namespace: task.namespace,
      metadata: task.metadata,
      spec: task.spec,
      inputFiles: task.inputFiles ?? {},
      outputFiles: task.outputFiles,
      connection: raw.connection as Record<string, unknown> | undefined,
      waitUntilRunningMs: parseIsoDuration(task.waitUntilRunning) as number,
      waitRunningMs: parseIsoDuration(task.waitRunning) as number,
      delete: task.delete,
      resume: task.resume,
      fileSidecar: { image: 'busybox', ...(raw.fileSidecar as Record<string, unknown> | undefined) },
      containerDefaultSpec: task.containerDefaultSpec,
    };
  },
  // The task and the Kubernetes client load together, on a flow's first PodCreate.
  load: async () => (await import('../pod-create-task.ts')).runPodCreateTask,
  reattaches: () => true,
};
