/** PodCreate's properties, with Kestra's names and defaults. */
import { inputFiles } from '../../flow/flow-schemas.ts';
import { anyMap, boolean, duration, string, stringList } from '../../flow/schema-kit.ts';
import { fileSidecarSchema, kubernetesConnectionSchema } from '../../runners/kubernetes/schema.ts';
import type { TaskSlots } from '../descriptor.ts';

export function podCreateProperties(slots: TaskSlots) {
  return {
    namespace: string().optional(),
    metadata: anyMap('a metadata map (name, labels, annotations)').default({}),
    spec: anyMap('a pod spec map'),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]),
    connection: slots.settings(kubernetesConnectionSchema),
    waitUntilRunning: duration().default('PT10M'),
    waitRunning: duration().default('PT1H'),
    delete: boolean().default(true),
    resume: boolean().default(true),
    fileSidecar: slots.settings(fileSidecarSchema),
    containerDefaultSpec: anyMap('a container spec map').optional(),
    /**
     * Kestra's pause before the last log fetch, accepted so Kestra flows validate. Harrier needs
     * none: it reads every container's log to its end once the container has ended.
     */
    waitForLogInterval: duration().default('PT30S'),
  };
}
