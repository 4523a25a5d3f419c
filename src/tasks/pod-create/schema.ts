/** PodCreate's properties, with Kestra's names and defaults. */
import { inputFiles } from '../../flow/flow-schemas.ts';
import { anyMap, boolean, duration, string, stringList } from '../../flow/schema-kit.ts';
import { CONNECTION_DESCRIPTION, fileSidecarSchema, kubernetesConnectionSchema, NAMESPACE_DESCRIPTION } from '../../runners/kubernetes/schema.ts';
import type { TaskSlots } from '../descriptor.ts';

export function podCreateProperties(slots: TaskSlots) {
  return {
    namespace: string().optional().describe(NAMESPACE_DESCRIPTION),
    metadata: anyMap('a metadata map (name, labels, annotations)').default({}).describe('The pod\'s metadata: labels and annotations (expressions rendered); Harrier names the pod.'),
    spec: anyMap('a pod spec map').describe('The Kubernetes PodSpec (containers, volumes, ...), expressions rendered. Example: {containers: [{name: main, image: busybox, command: [echo, hi]}]}.'),
    inputFiles: inputFiles().optional(),
    outputFiles: stringList().default([]).describe('Globs of files under {{ workingDir }} handed back by a sidecar and kept in internal storage. Example: ["*.json"].'),
    connection: slots.settings(kubernetesConnectionSchema, CONNECTION_DESCRIPTION),
    waitUntilRunning: duration().default('PT10M').describe('How long scheduling, image pull and start may take (an ISO-8601 duration).'),
    waitRunning: duration().default('PT1H').describe('The longest the pod may run once started (a task timeout wins); then it is deleted and the task fails.'),
    delete: boolean().default(true).describe('Delete the pod when the task ends; false keeps it (a kill or timeout still deletes it).'),
    resume: boolean().default(true).describe('After a harrier crash, re-attach to the pod of the interrupted attempt; false deletes it and starts a new attempt.'),
    fileSidecar: slots.settings(fileSidecarSchema, 'The helper containers that move input and output files (image, default busybox; resources; defaultSpec).'),
    containerDefaultSpec: anyMap('a container spec map').optional().describe('Merged into every container (securityContext, resources, volumeMounts, env).'),
    /**
     * Harrier needs no pause: it reads every container's log to its end once the container has ended.
     */
    waitForLogInterval: duration().default('PT30S').describe('Kestra\'s pause before the last log fetch; accepted so Kestra flows validate, not needed by Harrier.'),
  };
}
