/**
 * The pod's Warning events, added to the task's log when it fails: what `kubectl describe pod`
 * would show (FailedScheduling, FailedMount, BackOff, Failed to pull...). Listing events is not
 * part of the minimal Role, so a refusal only says how to get them.
 */
import type { CoreV1Event, CoreV1EventList } from '@kubernetes/client-node';
import { hasCode } from '../../shared/errors.ts';
import { readBody, type KubeClient } from './client.ts';

const MAX_EVENTS = 10;
const MAX_BODY = 1024 * 1024;
const TIMEOUT_MS = 5_000;

export interface PodEventsResult {
  lines: string[];
  /** Set when the events could not be read: why, in one line. */
  unavailable?: string;
}

/** One event as a log line: `Warning FailedScheduling (x3, default-scheduler): 0/1 nodes are available...`. */
export function describeEvent(event: CoreV1Event): string {
  const count = event.count !== undefined && event.count > 1 ? `x${event.count}, ` : '';
  const source = event.source?.component ?? event.reportingComponent ?? 'unknown';
  const involved = event.involvedObject?.fieldPath ? ` ${event.involvedObject.fieldPath}` : '';
  const message = (event.message ?? '').replace(/\s+/g, ' ').trim();
  return `${event.type ?? 'Warning'} ${event.reason ?? ''} (${count}${source}${involved}): ${message}`;
}

/** The newest Warning events of a list, oldest first, each described in one line. */
export function warningLines(items: CoreV1Event[], uid: string | undefined): string[] {
  const warnings = items.filter((event) => {
    if (event.type !== 'Warning') return false;
    const involvedUid = event.involvedObject?.uid;
    return uid === undefined || involvedUid === undefined || involvedUid === uid;
  });
  // Parsed JSON holds the RFC 3339 strings where the client's types say Date: both sort as text.
  const time = (event: CoreV1Event): string => String(event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? '');
  warnings.sort((a, b) => time(a).localeCompare(time(b)));
  return warnings.slice(-MAX_EVENTS).map(describeEvent);
}

export async function podWarningEvents(client: KubeClient, namespace: string, pod: string, uid: string | undefined): Promise<PodEventsResult> {
  const selector = encodeURIComponent(`involvedObject.name=${pod},type=Warning`);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?fieldSelector=${selector}`;
  try {
    const response = await client.get(path, { verb: 'list', resource: 'events', namespace }, AbortSignal.timeout(TIMEOUT_MS));
    const body = JSON.parse(await readBody(response, MAX_BODY)) as CoreV1EventList;
    return { lines: warningLines(body.items ?? [], uid) };
  } catch (error) {
    if (hasCode(error, 'KUBE_FORBIDDEN')) {
      return { lines: [], unavailable: `the pod's Warning events are not shown: the service account may not list events in namespace ${namespace} (optional rule in deploy/rbac.yaml)` };
    }
    return { lines: [], unavailable: `the pod's Warning events could not be read: ${(error as Error).message}` };
  }
}

