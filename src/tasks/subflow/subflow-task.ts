import { renderDeep } from '../../expr/index.ts';
import { HarrierError, TaskFailedError } from '../../shared/errors.ts';
import type { State } from '../../store/index.ts';
import type { TaskContext, TaskOutcome } from '../contract.ts';
import type { SubflowTask } from './descriptor.ts';

/**
 * `io.kestra.plugin.core.flow.Subflow`: a child execution of the named flow in the same store.
 * Outputs `executionId`, and once it ended (with `wait`) its `state` and flow `outputs`.
 */
export async function runSubflowTask(task: SubflowTask, ctx: TaskContext): Promise<TaskOutcome> {
  const render = <T>(value: T, property: string): T => renderDeep(value, ctx.scope, ctx.runtime, `task '${task.id}', property '${property}'`);
  const request = {
    namespace: render(task.namespace, 'namespace'),
    flowId: render(task.flowId, 'flowId'),
    revision: task.revision,
    inputs: render(task.inputs, 'inputs'),
    labels: render(task.labels, 'labels'),
    inheritLabels: task.inheritLabels,
    notBefore: task.scheduleDate === undefined ? undefined : scheduleDateOf(task, render(task.scheduleDate, 'scheduleDate')),
  };
  const stored = ctx.resume?.handle;
  // Kestra's RETRY_FAILED: a restarted parent restarts the child its failed attempt waited for.
  const failedChild = task.wait && task.restartBehavior === 'RETRY_FAILED' ? ctx.restartedFrom?.executionId : undefined;
  const restartFailed = typeof failedChild === 'string' || stored?.restartFailed === true;
  const executionId = typeof stored?.executionId === 'string' ? stored.executionId : typeof failedChild === 'string' ? failedChild : ctx.subflows.newExecutionId();
  if (stored === undefined) await ctx.saveResumeHandle(restartFailed ? { executionId, restartFailed } : { executionId });
  const announce = (): void => {
    ctx.recordOutputs({ executionId });
    ctx.notice('INFO', `subflow ${request.namespace}.${request.flowId} runs as execution ${executionId}`);
  };
  if (!task.wait) {
    await ctx.subflows.start(executionId, request);
    announce();
    return { state: 'SUCCESS' };
  }
  const child = await ctx.subflows.run(executionId, request, ctx.signal, { restartFailed });
  announce();
  const ended = await child.ended;
  ctx.recordOutputs({ executionId, state: ended.state, outputs: ended.outputs });
  return { state: transmitted(task, executionId, ended.state) };
}

/** The rendered scheduleDate as an instant; anything else fails the task, saying what was expected. */
function scheduleDateOf(task: SubflowTask, rendered: string): string {
  const text = String(rendered).trim();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new HarrierError(`task '${task.id}', property 'scheduleDate': expected an ISO-8601 date-time like 2024-01-31T12:00:00Z, got '${text}'`, { code: 'TASK_PROPERTY_INVALID' });
  }
  return new Date(text).toISOString();
}

/** Kestra's rule: with transmitFailed a FAILED or KILLED child fails the task and a WARNING one warns it; else SUCCESS. */
function transmitted(task: SubflowTask, executionId: string, state: State): 'SUCCESS' | 'WARNING' {
  if (!task.transmitFailed) return 'SUCCESS';
  if (state === 'FAILED' || state === 'KILLED') {
    throw new TaskFailedError(`subflow execution ${executionId} (${task.namespace}.${task.flowId}) ended ${state}`);
  }
  return state === 'WARNING' ? 'WARNING' : 'SUCCESS';
}
