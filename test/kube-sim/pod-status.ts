/**
 * The kubelet's pod status generation (pkg/kubelet/kubelet_pods.go getPhase and
 * pkg/kubelet/status/generate.go), as pure functions over the container statuses.
 */
import { isSidecar, type ContainerStatus, type PodCondition, type PodSpec, type PodStatus } from './types.ts';

type Phase = PodStatus['phase'];

function statusOf(statuses: ContainerStatus[] | undefined, name: string): ContainerStatus | undefined {
  return statuses?.find((s) => s.name === name);
}

/** getPhase: the pod phase from the spec and the current container statuses. */
export function computePhase(spec: PodSpec, initStatuses: ContainerStatus[] | undefined, statuses: ContainerStatus[] | undefined): Phase {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const container of spec.initContainers ?? []) {
    const status = statusOf(initStatuses, container.name);
    if (!status) {
      pendingInitialization++;
      continue;
    }
    if (isSidecar(container)) {
      if (!(status.state.running && status.started)) pendingInitialization++;
      continue;
    }
    const { running, terminated, waiting } = status.state;
    if (running) pendingInitialization++;
    else if (terminated) {
      if (terminated.exitCode !== 0) failedInitialization++;
    } else if (waiting) {
      if (status.lastState.terminated && status.lastState.terminated.exitCode !== 0) failedInitialization++;
      else pendingInitialization++;
    } else pendingInitialization++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const container of spec.containers) {
    const status = statusOf(statuses, container.name);
    if (!status) {
      unknown++;
      continue;
    }
    const state = status.state;
    if (state.running) running++;
    else if (state.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (state.waiting) {
      if (status.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInitialization > 0 && spec.restartPolicy === 'Never') return 'Failed';
  if (pendingInitialization > 0 || failedInitialization > 0 || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (spec.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (spec.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

interface ConditionValue {
  status: PodCondition['status'];
  reason?: string;
  message?: string;
}

function names(list: string[]): string {
  return `[${list.join(' ')}]`;
}

function initializedCondition(spec: PodSpec, phase: Phase, initStatuses: ContainerStatus[] | undefined, anyRegularCreated: boolean): ConditionValue {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const container of spec.initContainers ?? []) {
    const status = statusOf(initStatuses, container.name);
    if (!status) {
      unknown.push(container.name);
      continue;
    }
    if (isSidecar(container) && status.state.running && status.started) continue;
    if (!status.state.terminated || status.state.terminated.exitCode !== 0) incomplete.push(container.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { status: 'True', reason: 'PodCompleted' };
  if (anyRegularCreated) return { status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${names(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${names(incomplete)}`);
  if (messages.length) return { status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { status: 'True' };
}

function containersReadyCondition(spec: PodSpec, phase: Phase, initStatuses: ContainerStatus[] | undefined, statuses: ContainerStatus[] | undefined): ConditionValue {
  if (phase === 'Succeeded') return { status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { status: 'False', reason: 'PodFailed' };
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const container of (spec.initContainers ?? []).filter(isSidecar)) {
    const status = statusOf(initStatuses, container.name);
    if (!status) unknown.push(container.name);
    else if (!status.ready) unready.push(container.name);
  }
  for (const container of spec.containers) {
    const status = statusOf(statuses, container.name);
    if (!status) unknown.push(container.name);
    else if (!status.ready) unready.push(container.name);
  }
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${names(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${names(unready)}`);
  if (messages.length) return { status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { status: 'True' };
}

function withTransition(type: string, value: ConditionValue, previous: PodCondition[] | undefined, now: string): PodCondition {
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === value.status ? before.lastTransitionTime : now;
  const condition: PodCondition = { type, status: value.status, lastProbeTime: null, lastTransitionTime };
  if (value.reason) condition.reason = value.reason;
  if (value.message) condition.message = value.message;
  return condition;
}

export interface ConditionInputs {
  spec: PodSpec;
  phase: Phase;
  initStatuses?: ContainerStatus[];
  statuses?: ContainerStatus[];
  /** Whether the sandbox (network, volumes) is up: PodReadyToStartContainers. */
  sandboxReady: boolean;
  /** The scheduler's verdict: undefined before it looked, a message when unschedulable. */
  scheduled: { ok: true } | { ok: false; message: string } | undefined;
  /** Whether the kubelet has started working on the pod at all. */
  kubeletStarted: boolean;
  previous?: PodCondition[];
  now: string;
  /** Extra conditions (DisruptionTarget on eviction) placed first. */
  extra?: Array<{ type: string } & ConditionValue>;
}

/** The pod conditions in the order a real kubelet writes them. */
export function computeConditions(input: ConditionInputs): PodCondition[] {
  const { spec, phase, previous, now } = input;
  const conditions: PodCondition[] = [];
  for (const extra of input.extra ?? []) conditions.push(withTransition(extra.type, extra, previous, now));
  if (input.kubeletStarted) {
    conditions.push(withTransition('PodReadyToStartContainers', { status: input.sandboxReady ? 'True' : 'False' }, previous, now));
    const anyRegularCreated = (input.statuses ?? []).some((s) => !s.state.waiting || s.lastState.terminated || s.restartCount > 0);
    conditions.push(withTransition('Initialized', initializedCondition(spec, phase, input.initStatuses, anyRegularCreated), previous, now));
    const ready = containersReadyCondition(spec, phase, input.initStatuses, input.statuses);
    conditions.push(withTransition('Ready', ready, previous, now));
    conditions.push(withTransition('ContainersReady', ready, previous, now));
  }
  if (input.scheduled) {
    const value: ConditionValue = input.scheduled.ok ? { status: 'True' } : { status: 'False', reason: 'Unschedulable', message: input.scheduled.message };
    conditions.push(withTransition('PodScheduled', value, previous, now));
  }
  return conditions;
}
