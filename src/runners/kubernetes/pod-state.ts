/**
 * Reading a pod's status, with no I/O: which containers started or ended, and whether the pod
 * can no longer succeed (with the Kubernetes reason in one line).
 */
import { formatDurationMs } from '../../shared/duration.ts';
import { isPlainObject, type Json } from './merge.ts';

export interface ContainerState {
  state: 'waiting' | 'running' | 'terminated' | 'unknown';
  reason?: string;
  message?: string;
  exitCode?: number;
  finishedAt?: string;
}

function object(value: unknown): Json {
  return isPlainObject(value) ? value : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

/** A pod's (or a list's) metadata, empty when it has none. */
export function metadataOf(object: Json): Json {
  return isPlainObject(object.metadata) ? object.metadata : {};
}

export function podName(pod: Json): string {
  return String(metadataOf(pod).name ?? '');
}

export function podPhase(pod: Json): string {
  return String(object(pod.status).phase ?? 'Pending');
}

export function isTerminating(pod: Json): boolean {
  return Boolean(metadataOf(pod).deletionTimestamp);
}

export function containerState(pod: Json, name: string, init = false): ContainerState {
  const statuses = list(object(pod.status)[init ? 'initContainerStatuses' : 'containerStatuses']);
  const status = statuses.find((entry) => entry.name === name);
  if (!status) return { state: 'unknown' };
  const state = object(status.state);
  if (isPlainObject(state.terminated)) {
    const terminated = state.terminated;
    return {
      state: 'terminated',
      reason: terminated.reason as string | undefined,
      message: terminated.message as string | undefined,
      exitCode: typeof terminated.exitCode === 'number' ? terminated.exitCode : undefined,
      finishedAt: terminated.finishedAt as string | undefined,
    };
  }
  if (isPlainObject(state.running)) return { state: 'running' };
  if (isPlainObject(state.waiting)) {
    return { state: 'waiting', reason: state.waiting.reason as string | undefined, message: state.waiting.message as string | undefined };
  }
  return { state: 'unknown' };
}

export function hasStarted(pod: Json, name: string): boolean {
  const { state } = containerState(pod, name);
  return state === 'running' || state === 'terminated';
}

export function hasTerminated(pod: Json, name: string): boolean {
  return containerState(pod, name).state === 'terminated';
}

/** Waiting reasons that will not resolve by themselves. */
const FATAL_WAITING = new Set([
  'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError',
  'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff',
]);

function containerNames(pod: Json, key: 'initContainers' | 'containers'): string[] {
  return list(object(pod.spec)[key]).map((container) => String(container.name));
}

function imageOf(pod: Json, name: string): string {
  const all = [...list(object(pod.spec).initContainers), ...list(object(pod.spec).containers)];
  return String(all.find((container) => container.name === name)?.image ?? '?');
}

/**
 * Why this pod can no longer run its task, or undefined while there is hope. Terminated task
 * containers are not failures here: their exit codes are the task's result.
 */
export function podFailure(pod: Json): string | undefined {
  const name = podName(pod);
  const status = object(pod.status);
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
export function notRunningReason(pod: Json | undefined, waitedMs: number, containers: string[]): string {
  const waited = formatDurationMs(waitedMs);
  if (!pod) return `the pod did not appear within ${waited}`;
  const name = podName(pod);
  const scheduled = list(object(pod.status).conditions).find((condition) => condition.type === 'PodScheduled');
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
export function memoryLimit(pod: Json, container: string): string | undefined {
  const spec = list(object(pod.spec).containers).find((entry) => entry.name === container);
  const limit = object(object(spec?.resources).limits).memory;
  return limit === undefined ? undefined : String(limit);
}
