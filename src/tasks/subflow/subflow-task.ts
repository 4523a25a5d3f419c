import { renderDeep } from '../../expr/index.ts';
import { inputValueProblem } from '../../flow/input-values.ts';
import { HarrierError, TaskFailedError } from '../../shared/errors.ts';
import type { State } from '../../store/index.ts';
import type { ResumeHandle } from '../../runners/contract.ts';
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
  const failedChild = task.wait && task.restartBehavior === 'RETRY_FAILED' ? childIn(ctx.restartedFrom) : undefined;
  const restartFailed = failedChild !== undefined || stored?.restartFailed === true;
  const executionId = childIn(stored) ?? failedChild ?? ctx.subflows.newExecutionId();
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

/** The child execution an attempt's resume handle names. */
function childIn(handle: ResumeHandle | undefined): string | undefined {
  return typeof handle?.executionId === 'string' ? handle.executionId : undefined;
}

/** The rendered scheduleDate as an instant, checked as a DATETIME input is; anything else fails the task, saying what was expected. */
function scheduleDateOf(task: SubflowTask, rendered: string): string {
  const text = String(rendered).trim();
  const problem = inputValueProblem({ type: 'DATETIME' }, text);
  if (problem) throw new HarrierError(`task '${task.id}', property 'scheduleDate': ${problem}`, { code: 'TASK_PROPERTY_INVALID' });
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
