import { renderDeep } from '../../expr/index.ts';
import { TaskFailedError } from '../../shared/errors.ts';
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
  };
  const stored = ctx.resume?.handle.executionId;
  const executionId = typeof stored === 'string' ? stored : ctx.subflows.newExecutionId();
  if (stored === undefined) await ctx.saveResumeHandle({ executionId });
  const announce = (): void => {
    ctx.recordOutputs({ executionId });
    ctx.notice('INFO', `subflow ${request.namespace}.${request.flowId} runs as execution ${executionId}`);
  };
  if (!task.wait) {
    await ctx.subflows.start(executionId, request);
    announce();
    return { state: 'SUCCESS' };
  }
  const child = await ctx.subflows.run(executionId, request, ctx.signal);
  announce();
  const ended = await child.ended;
  ctx.recordOutputs({ executionId, state: ended.state, outputs: ended.outputs });
  return { state: transmitted(task, executionId, ended.state) };
}

/** Kestra's rule: with transmitFailed a FAILED or KILLED child fails the task and a WARNING one warns it; else SUCCESS. */
function transmitted(task: SubflowTask, executionId: string, state: State): 'SUCCESS' | 'WARNING' {
  if (!task.transmitFailed) return 'SUCCESS';
  if (state === 'FAILED' || state === 'KILLED') {
    throw new TaskFailedError(`subflow execution ${executionId} (${task.namespace}.${task.flowId}) ended ${state}`);
  }
  return state === 'WARNING' ? 'WARNING' : 'SUCCESS';
}
