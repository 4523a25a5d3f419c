/**
 * Pod names and labels derived from the task run. The name is deterministic (same task run and
 * attempt, same name), so a repeated create answers 409 and the runner adopts the pod it already
 * made instead of starting a second one.
 */
import { createHash } from 'node:crypto';
import type { TaskIdentity } from '../contract.ts';
import { LABEL_PREFIX, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './layout.ts';

const MAX_NAME = 63;
const HASH_LENGTH = 10;

/** `<namespace>-<flow>-<task>` slugified and cut, then a hash of the whole identity: a valid DNS-1123 label. */
export function podNameFor(identity: TaskIdentity): string {
  const hash = createHash('sha256')
    .update([identity.namespace, identity.flowId, identity.taskId, identity.taskRunId, String(identity.attempt)].join('/'))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const slug = slugify(`${identity.namespace}-${identity.flowId}-${identity.taskId}`).slice(0, MAX_NAME - HASH_LENGTH - 1).replace(/-+$/, '');
  return slug ? `${slug}-${hash}` : `harrier-${hash}`;
}

function slugify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+/, '');
}

/** A valid label value: at most 63 characters of `[A-Za-z0-9._-]`, starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '_');
  return trimEdges(trimEdges(cleaned).slice(0, 63));
}

function trimEdges(text: string): string {
  return text.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

export const TASKRUN_LABEL = `${LABEL_PREFIX}taskrun-id`;
export const ATTEMPT_LABEL = `${LABEL_PREFIX}attempt`;

/** The labels Harrier sets on every pod it creates; they win over user labels of the same key. */
export function podLabels(identity: TaskIdentity): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [`${LABEL_PREFIX}namespace`]: labelValue(identity.namespace),
    [`${LABEL_PREFIX}flow-id`]: labelValue(identity.flowId),
    [`${LABEL_PREFIX}task-id`]: labelValue(identity.taskId),
    [`${LABEL_PREFIX}execution-id`]: labelValue(identity.executionId),
    [TASKRUN_LABEL]: labelValue(identity.taskRunId),
    [ATTEMPT_LABEL]: String(identity.attempt),
  };
}
