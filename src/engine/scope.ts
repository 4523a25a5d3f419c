import type { Scope } from '../expr/index.ts';
import type { Flow, TaskDef } from '../flow/model.ts';
import type { ExecutionRecord } from '../store/index.ts';
import { labelScope } from './task-rules.ts';

/**
 * Kestra's `envs`: environment variables prefixed ENV_, without the prefix and lower-cased
 * (ENV_MY_VAR → envs.my_var).
 */
export function envsFromEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  const envs: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (key.startsWith('ENV_') && value !== undefined) envs[key.slice(4).toLowerCase()] = value;
  }
  return envs;
}

/** `inputs` are the execution's, as expressions see them: SECRET inputs decrypted. */
export function executionScope(
  flow: Flow, execution: ExecutionRecord, inputs: Record<string, unknown>, outputs: Record<string, unknown>, envs: Record<string, string>,
): Scope {
  return {
    flow: { id: flow.id, namespace: flow.namespace, description: flow.description },
    execution: { id: execution.id, startDate: execution.createdAt },
    inputs,
    vars: flow.variables,
    labels: labelScope({ ...flow.labels, ...execution.labels }),
    outputs,
    envs,
    ...(execution.options.parent ? { trigger: triggerOf(execution.options.parent) } : {}),
  };
}

/** What a subflow's expressions see of the execution that started it, under Kestra's names. */
function triggerOf(parent: NonNullable<ExecutionRecord['options']['parent']>): Record<string, unknown> {
  return { executionId: parent.executionId, namespace: parent.namespace, flowId: parent.flowId, taskId: parent.taskId };
}

/** What a task run sees of itself (`taskrun`) and of the flowables around it (`parent`, `parents`). */
export interface TaskRunView {
  id: string;
  startedAt: string;
  parentTaskRunId?: string;
  value?: string;
  iteration?: number;
}

export function taskScope(base: Scope, task: TaskDef, taskRun: TaskRunView, attempt: number, parents: Array<Record<string, unknown>> = []): Scope {
  const taskrun: Record<string, unknown> = { id: taskRun.id, startDate: taskRun.startedAt, attemptsCount: attempt - 1 };
  if (taskRun.parentTaskRunId !== undefined) taskrun.parentId = taskRun.parentTaskRunId;
  if (taskRun.value !== undefined) taskrun.value = taskRun.value;
  if (taskRun.iteration !== undefined) taskrun.iteration = taskRun.iteration;
  const scope: Scope = { ...base, task: { id: task.id, type: task.type }, taskrun, parents };
  if (parents.length > 0) scope.parent = parents[0];
  return scope;
}
