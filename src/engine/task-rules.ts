/**
 * Kestra's per-task rules on how a task's end counts for the execution, and its `runIf` test; pure,
 * so the engine's walk stays a walk.
 */
import type { LogLevel, TaskBase } from '../flow/model.ts';
import type { State } from '../store/index.ts';
import { isTruthy } from '../tasks/truthiness.ts';

/** `allowFailure` turns a FAILED task into WARNING (the next tasks run); `allowWarning` a WARNING into SUCCESS. */
export function allowedState(task: Pick<TaskBase, 'allowFailure' | 'allowWarning'>, state: State): State {
  if (state === 'FAILED' && task.allowFailure) return task.allowWarning ? 'SUCCESS' : 'WARNING';
  if (state === 'WARNING' && task.allowWarning) return 'SUCCESS';
  return state;
}

const LEVEL_RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** A task's `logLevel` keeps its lines of that level and above. */
export function logLevelKeeps(minimum: LogLevel | undefined, level: LogLevel): boolean {
  return minimum === undefined || LEVEL_RANK[level] >= LEVEL_RANK[minimum];
}

/** Whether a rendered `runIf` lets the task run: Kestra's truthiness of the rendered text. */
export const runIfHolds = isTruthy;

/**
 * The execution's state once its `errors` and `finally` handlers ran: errors never rescue a
 * failure; a failing `finally` fails a successful execution, a warning one downgrades it.
 */
export function stateAfterHandlers(main: State, finallyState: State | undefined): State {
  if (finallyState === undefined || main === 'FAILED' || main === 'KILLED') return main;
  if (finallyState === 'FAILED' || finallyState === 'KILLED') return finallyState;
  return main === 'WARNING' || finallyState === 'WARNING' ? 'WARNING' : main;
}

/**
 * Kestra's system labels on every execution. `system.correlationId` is the execution's id, and an
 * execution made from another (a flow retry) keeps the first one's.
 */
export function systemLabels(executionId: string, labels: Record<string, string>): Record<string, string> {
  return { 'system.correlationId': executionId, ...labels };
}

/**
 * Labels as expressions see them: `labels.system.correlationId` reads the label
 * `system.correlationId`, so a dotted key is also reachable through maps, next to its flat form.
 */
export function labelScope(labels: Record<string, string>): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...labels };
  for (const [key, value] of Object.entries(labels)) {
    const parts = key.split('.');
    if (parts.length < 2 || parts.some((part) => part === '')) continue;
    let node = scope;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined) node[part] = {};
      else if (typeof next !== 'object' || next === null) { node = {}; break; }
      node = node[part] as Record<string, unknown>;
    }
    const leaf = parts.at(-1)!;
    if (node[leaf] === undefined) node[leaf] = value;
  }
  return scope;
}
