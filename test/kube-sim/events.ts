/** core/v1 Events the scheduler and kubelet record about pods, aggregated by object, reason and message. */
import { randomUUID } from 'node:crypto';
import { rfc3339 } from './clock.ts';
import type { Pod } from './types.ts';

export interface PodEvent {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  involvedObject: { kind: 'Pod'; namespace: string; name: string; uid: string; apiVersion: 'v1'; resourceVersion?: string; fieldPath?: string };
  reason: string;
  message: string;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: 'Normal' | 'Warning';
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

/** Field labels the events registry supports. */
export const EVENT_FIELDS: Record<string, (event: PodEvent) => string> = {
  'metadata.name': (e) => e.metadata.name,
  'metadata.namespace': (e) => e.metadata.namespace,
  'involvedObject.kind': (e) => e.involvedObject.kind,
  'involvedObject.namespace': (e) => e.involvedObject.namespace,
  'involvedObject.name': (e) => e.involvedObject.name,
  'involvedObject.uid': (e) => e.involvedObject.uid,
  'involvedObject.apiVersion': (e) => e.involvedObject.apiVersion,
  'involvedObject.resourceVersion': (e) => e.involvedObject.resourceVersion ?? '',
  'involvedObject.fieldPath': (e) => e.involvedObject.fieldPath ?? '',
  reason: (e) => e.reason,
  reportingComponent: (e) => e.reportingComponent,
  source: (e) => e.source.component,
  type: (e) => e.type,
};

export class EventStore {
  private readonly events: PodEvent[] = [];
  private readonly nextRevision: () => string;
  private readonly limit: number;

  constructor(nextRevision: () => string, limit = 5000) {
    this.nextRevision = nextRevision;
    this.limit = limit;
  }

  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, options: { container?: string; init?: boolean; component?: string; host?: string } = {}): void {
    const namespace = pod.metadata.namespace!;
    const fieldPath = options.container ? `spec.${options.init ? 'initContainers' : 'containers'}{${options.container}}` : undefined;
    const now = rfc3339();
    const same = this.events.find((e) => e.involvedObject.uid === pod.metadata.uid && e.reason === reason && e.message === message && e.involvedObject.fieldPath === fieldPath);
    if (same) {
      same.count++;
      same.lastTimestamp = now;
      same.metadata.resourceVersion = this.nextRevision();
      return;
    }
    const component = options.component ?? 'kubelet';
    const event: PodEvent = {
      metadata: { name: `${pod.metadata.name}.${(Date.now() * 1e6 + this.events.length).toString(16).slice(-16)}`, namespace, uid: randomUUID(), resourceVersion: this.nextRevision(), creationTimestamp: now },
      involvedObject: { kind: 'Pod', namespace, name: pod.metadata.name!, uid: pod.metadata.uid!, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      source: options.host ? { component, host: options.host } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: options.host ?? '',
    };
    this.events.push(event);
    if (this.events.length > this.limit) this.events.shift();
  }

  list(namespace: string | undefined): PodEvent[] {
    return this.events.filter((e) => namespace === undefined || e.metadata.namespace === namespace).map((e) => structuredClone(e));
  }
}
