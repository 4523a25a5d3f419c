/**
 * Kestra's replay: a new execution of an old one's inputs, of its own flow source or another
 * revision's, from the start or from one of its task runs (see replay-plan.ts), stored and queued
 * at once.
 */
import type { Flow, TaskDef } from '../flow/model.ts';
import { parseFlow } from '../flow/parse.ts';
import { HarrierError } from '../shared/errors.ts';
import type { ExecutionRecord, Store } from '../store/index.ts';
import { childTasks } from '../tasks/index.ts';
import { newId } from './ids.ts';
import { replayPlan, type ReplayPlan, type ReplayTarget } from './replay-plan.ts';
import { systemLabels } from './task-rules.ts';

export interface ReplayRequest {
  /** The flow the new execution runs: the old one's source unless another revision was asked for. */
  flowSource: string;
  flowRevision?: number;
  /** Run this task run of the old execution and all after it again, keeping what ran before it. */
  fromTaskRunId?: string;
}

/** Stores the new execution with the task runs it keeps, in one transaction that also queues it and labels the old one `system.replayed`. */
export async function replayExecution(store: Store, old: ExecutionRecord, request: ReplayRequest): Promise<ExecutionRecord> {
  const id = newId();
  const createdAt = new Date().toISOString();
  const flowLabels = Object.fromEntries(Object.entries(old.labels).filter(([key]) => !key.startsWith('system.')));
  const replay: ExecutionRecord = {
    ...old, id, state: 'CREATED', createdAt, endedAt: undefined, failure: undefined, outputs: undefined, killRequested: undefined, histories: undefined,
    flowSource: request.flowSource,
    // Kestra's label on a replay; `system.replayOf` says of which execution.
    labels: { ...systemLabels(id, flowLabels), 'system.replay': 'true', 'system.replayOf': old.id },
    options: {
      ...old.options, retryOf: undefined, notBefore: undefined, flowRevision: request.flowRevision ?? old.options.flowRevision,
      replayOf: [...(old.options.replayOf ?? []), old.id],
    },
  };
  const plan = request.fromTaskRunId === undefined ? { taskRuns: [], attempts: [] } : await planFrom(store, old, request.fromTaskRunId, {
    executionId: id, createdAt, newId, sharesFolder: folderSharing(parseFlow(request.flowSource, old.flowFile)),
  });
  await store.transaction(async () => {
    await store.insertExecution(replay);
    for (const taskRun of plan.taskRuns) await store.insertTaskRun(taskRun);
    for (const attempt of plan.attempts) await store.insertAttempt(attempt);
    await store.queueExecution(id);
    await store.setLabel(old.id, 'system.replayed', 'true');
  });
  return replay;
}

async function planFrom(store: Store, old: ExecutionRecord, fromTaskRunId: string, target: ReplayTarget): Promise<ReplayPlan> {
  const plan = replayPlan({ taskRuns: await store.taskRuns(old.id), attempts: await store.attemptsOfExecution(old.id) }, fromTaskRunId, target);
  if (!plan) {
    throw new HarrierError(`execution ${old.id} has no task run '${fromTaskRunId}'`, {
      code: 'TASK_RUN_NOT_FOUND', hint: `the ids are the taskRunList[].id of GET /api/v1/executions/${old.id}`,
    });
  }
  return plan;
}

/** Whether a task of the flow runs its children in one folder of its run (WorkingDirectory). */
function folderSharing(flow: Flow): (taskId: string) => boolean {
  const ids = new Set<string>();
  const visit = (task: TaskDef): void => {
    if (task.kind === 'workingDirectory') ids.add(task.id);
    for (const child of childTasks(task)) visit(child.task);
  };
  for (const task of [...flow.tasks, ...flow.errors, ...flow.finally, ...flow.afterExecution]) visit(task);
  return (taskId) => ids.has(taskId);
}
