/**
 * What a pod's resume handle carries so that any harrier process can delete the pod once the
 * engine stored the attempt's end (TaskRunner.release): its name and namespace, the task's own
 * way to the cluster (its `config` / `connection` values, or its `context`; the command line's
 * settings come with the release), and whether the task keeps it. The engine stores handles with
 * secret values encrypted, as it stores outputs.
 */
import type { ResumeHandle } from '../contract.ts';
import { hasCode } from '../../shared/errors.ts';
import { KubeClient } from './client.ts';
import { clusterSettingsOf, clusterTarget } from './connection.ts';
import type { KubernetesConnection } from './schema.ts';

const CONNECTION_PREFIX = 'connection.';

/** How the task reached its cluster, besides the command line's settings. */
export interface TaskTarget {
  connection?: KubernetesConnection;
  /** The runner's `context` property. */
  context?: string;
}

/** The target as flat handle entries: `connection.masterUrl`, `connection.oauthToken`, ..., `context`. */
export function targetEntries(target: TaskTarget): ResumeHandle {
  const entries: ResumeHandle = {};
  for (const [key, value] of Object.entries(target.connection ?? {})) {
    if (typeof value === 'string' || typeof value === 'boolean') entries[`${CONNECTION_PREFIX}${key}`] = value;
  }
  if (target.context !== undefined) entries.context = target.context;
  return entries;
}

function targetOf(handle: ResumeHandle): TaskTarget {
  const connection = Object.fromEntries(Object.entries(handle)
    .filter(([key]) => key.startsWith(CONNECTION_PREFIX))
    .map(([key, value]) => [key.slice(CONNECTION_PREFIX.length), value])) as KubernetesConnection;
  return {
    connection: Object.keys(connection).length > 0 ? connection : undefined,
    context: typeof handle.context === 'string' ? handle.context : undefined,
  };
}

export async function releasePod(handle: ResumeHandle, settings: Record<string, string> | undefined): Promise<void> {
  if (handle.keep === true || typeof handle.podName !== 'string' || typeof handle.namespace !== 'string') return;
  const { connection, context } = targetOf(handle);
  const { kc } = clusterTarget({ connection, context, namespace: handle.namespace, settings: clusterSettingsOf(settings) });
  await deletePodIfPresent(new KubeClient(kc), handle.namespace, handle.podName);
}

export async function deletePodIfPresent(client: KubeClient, namespace: string, name: string): Promise<void> {
  try {
    await client.deletePod(namespace, name);
  } catch (error) {
    // Already gone: what deleting it was for.
    if (!hasCode(error, 'KUBE_NOT_FOUND', 'KUBE_NAMESPACE_NOT_FOUND')) throw error;
  }
}
