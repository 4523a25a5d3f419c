/**
 * Reading a pod's status, with no I/O: which containers started or ended, and whether the pod
 * can no longer succeed (with the Kubernetes reason in one line).
 */
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { formatDurationMs } from '../../shared/duration.ts';

export interface ContainerState {
  state: 'waiting' | 'running' | 'terminated' | 'unknown';
  reason?: string;
  message?: string;
  exitCode?: number;
}

/** A pod's metadata, empty when it has none. */
export function metadataOf(pod: V1Pod): V1ObjectMeta {
  return pod.metadata ?? {};
}

export function podName(pod: V1Pod): string {
  return metadataOf(pod).name ?? '';
}

export function podPhase(pod: V1Pod): string {
  return pod.status?.phase ?? 'Pending';
}

export function isTerminating(pod: V1Pod): boolean {
  return Boolean(metadataOf(pod).deletionTimestamp);
}

export function containerState(pod: V1Pod, name: string, init = false): ContainerState {
  const statuses = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
  const state = statuses.find((entry) => entry.name === name)?.state;
  if (!state) return { state: 'unknown' };
  if (state.terminated) {
    const { reason, message, exitCode } = state.terminated;
    return { state: 'terminated', reason, message, exitCode };
  }
  if (state.running) return { state: 'running' };
  if (state.waiting) return { state: 'waiting', reason: state.waiting.reason, message: state.waiting.message };
  return { state: 'unknown' };
}

export function hasStarted(pod: V1Pod, name: string): boolean {
  const { state } = containerState(pod, name);
  return state === 'running' || state === 'terminated';
}

export function hasTerminated(pod: V1Pod, name: string): boolean {
  return containerState(pod, name).state === 'terminated';
}

/** Waiting reasons that will not resolve by themselves. */
const FATAL_WAITING = new Set([
  'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError',
  'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff',
]);

function containerNames(pod: V1Pod, key: 'initContainers' | 'containers'): string[] {
  return (pod.spec?.[key] ?? []).map((container) => container.name);
}

function imageOf(pod: V1Pod, name: string): string {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.find((container) => container.name === name)?.image ?? '?';
}

/**
 * Why this pod can no longer run its task, or undefined while there is hope. Terminated task
 * containers are not failures here: their exit codes are the task's result.
 */
export function podFailure(pod: V1Pod): string | undefined {
  const name = podName(pod);
  const status = pod.status ?? {};
  if (status.reason === 'Evicted') return `pod ${name} was evicted: ${status.message ?? 'no message'}`;
  if (status.reason === 'DeadlineExceeded') return `pod ${name} exceeded its activeDeadlineSeconds: ${status.message ?? ''}`.trim();
  for (const [key, init] of [['initContainers', true], ['containers', false]] as const) {
    for (const container of containerNames(pod, key)) {
      const state = containerState(pod, container, init);
      if (state.state === 'waiting' && state.reason && FATAL_WAITING.has(state.reason)) {
        const detail = state.message ? `: ${state.message}` : '';
        return `container ${container} of pod ${name} cannot start (image ${imageOf(pod, container)}): ${state.reason}${detail}`;
      }
      if (init && state.state === 'terminated' && state.exitCode !== 0) {
        return `init container ${container} of pod ${name} failed with exit code ${state.exitCode} (${state.reason ?? 'Error'})`;
      }
    }
  }
  if (podPhase(pod) === 'Failed' && containerNames(pod, 'containers').every((container) => !hasStarted(pod, container))) {
    return `pod ${name} failed before its containers started: ${status.reason ?? 'Failed'}${status.message ? ` - ${status.message}` : ''}`;
  }
  return undefined;
}

/** Why the pod has not started after `waitedMs`: unschedulable, still pulling, still creating. */
export function notRunningReason(pod: V1Pod | undefined, waitedMs: number, containers: string[]): string {
  const waited = formatDurationMs(waitedMs);
  if (!pod) return `the pod did not appear within ${waited}`;
  const name = podName(pod);
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled && scheduled.status === 'False') {
    return `pod ${name} could not be scheduled within ${waited} (waitUntilRunning): ${scheduled.reason ?? 'Unschedulable'}: ${scheduled.message ?? ''}`.trim();
  }
  const states = containers.map((container) => {
    const state = containerState(pod, container);
    return `${container}: ${state.reason ?? state.state}`;
  });
  return `pod ${name} did not start within ${waited} (waitUntilRunning; phase ${podPhase(pod)}, ${states.join(', ')})`;
}

/** The memory limit of a container, for the OOMKilled message. */
export function memoryLimit(pod: V1Pod, container: string): string | undefined {
  return pod.spec?.containers.find((entry) => entry.name === container)?.resources?.limits?.memory;
}

/**
 * A pod's phase and, while it is not running its task yet, why: not scheduled, or the waiting
 * reason of the container it waits on (ContainerCreating covers the image pull; ErrImagePull,
 * PodInitializing, ...), for the live status line.
 */
export function podProgress(pod: V1Pod, taskContainers: readonly string[]): { phase: string; reason?: string } {
  const phase = podPhase(pod);
  if (phase !== 'Pending') return { phase };
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (!scheduled || scheduled.status !== 'True') return { phase, reason: scheduled?.reason ?? 'waiting for a node' };
  for (const init of pod.status?.initContainerStatuses ?? []) {
    const state = containerState(pod, init.name, true);
    if (state.state === 'waiting') return { phase, reason: state.reason ?? 'ContainerCreating' };
    if (state.state === 'running') return { phase, reason: `${init.name} running` };
  }
  const waiting = taskContainers.map((name) => containerState(pod, name)).find((state) => state.state === 'waiting');
  return { phase, reason: waiting?.reason ?? 'ContainerCreating' };
}
