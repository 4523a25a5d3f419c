/**
 * Kestra's view of task runs inside flowables, for expressions: where a run's outputs are filed
 * (`outputs.t[value]` under a ForEach), and what `parent` / `parents` show. Pure.
 */
import type { TaskRunRecord } from '../store/index.ts';

type RunTree = ReadonlyMap<string, Pick<TaskRunRecord, 'parentTaskRunId' | 'value' | 'outputs'>>;
type TreeRun = Pick<TaskRunRecord, 'parentTaskRunId' | 'value'>;

/** The key of a task run in one execution: its task and its iteration. */
export function runKey(taskId: string, loopPath: string): string {
  return loopPath === '' ? taskId : `${taskId}[${loopPath}]`;
}

/** The runs a run sits in, closest first. */
export function ancestorsOf(taskRun: TreeRun, byId: RunTree): Array<Pick<TaskRunRecord, 'value' | 'outputs'>> {
  const ancestors = [];
  const seen = new Set<string>();
  for (let id = taskRun.parentTaskRunId; id !== undefined && !seen.has(id); id = byId.get(id)?.parentTaskRunId) {
    seen.add(id);
    const parent = byId.get(id);
    if (!parent) break;
    ancestors.push(parent);
  }
  return ancestors;
}

/** The values under which a run's outputs are filed: its ancestors' values, outermost first, then its own. */
export function valuePath(taskRun: TreeRun, byId: RunTree): string[] {
  const values = ancestorsOf(taskRun, byId).flatMap((ancestor) => (ancestor.value === undefined ? [] : [ancestor.value])).reverse();
  return taskRun.value === undefined ? values : [...values, taskRun.value];
}

/** Files `outputs` in the tree expressions read: `tree[taskId]`, or `tree[taskId][v1][v2]` inside ForEach iterations. */
export function fileOutputs(tree: Record<string, unknown>, taskId: string, values: readonly string[], outputs: Record<string, unknown>): void {
  if (values.length === 0) {
    tree[taskId] = outputs;
    return;
  }
  let node = (isRecord(tree[taskId]) ? tree[taskId] : (tree[taskId] = {})) as Record<string, unknown>;
  for (const value of values.slice(0, -1)) node = (isRecord(node[value]) ? node[value] : (node[value] = {})) as Record<string, unknown>;
  node[values.at(-1)!] = outputs;
}

/**
 * Kestra's `parents`: for each enclosing run, closest first, its `taskrun.value` and its outputs,
 * when it has either; `parent` is the first.
 */
export function parentsScope(taskRun: TreeRun, byId: RunTree, open: (outputs: Record<string, unknown>) => Record<string, unknown>): Array<Record<string, unknown>> {
  return ancestorsOf(taskRun, byId).flatMap((ancestor) => {
    const entry: Record<string, unknown> = {};
    if (ancestor.value !== undefined) entry.taskrun = { value: ancestor.value };
    if (ancestor.outputs && Object.keys(ancestor.outputs).length > 0) entry.outputs = open(ancestor.outputs);
    return Object.keys(entry).length > 0 ? [entry] : [];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
