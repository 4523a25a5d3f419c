/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which kubectl get
 * asks for: the pod columns and status text of pkg/printers/internalversion printPod.
 */
import type { Pod } from './types.ts';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',')[0].includes('as=Table');
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Ready', type: 'string', format: '', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0 },
  { name: 'Status', type: 'string', format: '', description: 'The aggregate status of the containers in this pod.', priority: 0 },
  { name: 'Restarts', type: 'string', format: '', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  { name: 'IP', type: 'string', format: '', description: 'podIP is an IP address allocated to the pod.', priority: 1 },
  { name: 'Node', type: 'string', format: '', description: 'NodeName indicates in which node this pod is scheduled.', priority: 1 },
  { name: 'Nominated Node', type: 'string', format: '', description: 'nominatedNodeName is set when this pod preempts other pods on the node.', priority: 1 },
  { name: 'Readiness Gates', type: 'string', format: '', description: 'If specified, all readiness gates will be evaluated for pod readiness.', priority: 1 },
];

/** apimachinery duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

/** The STATUS column of `kubectl get pods`. */
export function podStatusText(pod: Pod): string {
  let reason = pod.status.reason ?? pod.status.phase;
  let initializing = false;
  const initStatuses = pod.status.initContainerStatuses ?? [];
  const initCount = pod.spec.initContainers?.length ?? 0;
  initStatuses.forEach((status, i) => {
    if (initializing) return;
    const sidecar = pod.spec.initContainers?.[i]?.restartPolicy === 'Always';
    const { terminated, waiting } = status.state;
    if (terminated && terminated.exitCode === 0) return;
    if (sidecar && status.started) return;
    if (terminated) {
      reason = terminated.reason ? `Init:${terminated.reason}` : terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const status of [...(pod.status.containerStatuses ?? [])].reverse()) {
      const { terminated, waiting, running } = status.state;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (running && status.ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function row(pod: Pod, now: number): Record<string, unknown> {
  const statuses = pod.status.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((sum, s) => sum + s.restartCount, 0);
  const age = pod.metadata.creationTimestamp ? humanDuration(now - Date.parse(pod.metadata.creationTimestamp)) : '<unknown>';
  const { name, namespace, uid, resourceVersion, creationTimestamp, labels, annotations, deletionTimestamp, deletionGracePeriodSeconds, generateName } = pod.metadata;
  const metadata = Object.fromEntries(Object.entries({ name, generateName, namespace, uid, resourceVersion, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, labels, annotations }).filter(([, v]) => v !== undefined));
  return {
    cells: [name, `${ready}/${pod.spec.containers.length}`, podStatusText(pod), String(restarts), age, pod.status.podIP ?? '<none>', pod.spec.nodeName ?? '<none>', '<none>', '<none>'],
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata },
  };
}

export function podTable(pods: Pod[], listMetadata: Record<string, unknown>): Record<string, unknown> {
  const now = Date.now();
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMetadata, columnDefinitions: COLUMNS, rows: pods.map((pod) => row(pod, now)) };
}
