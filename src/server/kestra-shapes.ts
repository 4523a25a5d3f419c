/** Harrier's records in the JSON shapes of Kestra's API, so that existing scripts read them unchanged. */
import { lineageOf, type AttemptRecord, type DeployedFlow, type ExecutionRecord, type LogRecord, type State, type StateChange, type Store, type TaskRunRecord } from '../store/index.ts';

interface KestraState {
  current: State;
  histories: StateChange[];
  startDate: string;
  endDate: string | null;
  duration: string | null;
}

/** ISO 8601 duration as Kestra prints it (PT1.234S). */
function isoDuration(start: string, end: string | undefined): string | null {
  if (!end) return null;
  return `PT${Math.max(0, Date.parse(end) - Date.parse(start)) / 1000}S`;
}

function stateOf(current: State, histories: StateChange[], start: string, end: string | undefined): KestraState {
  return { current, histories, startDate: start, endDate: end ?? null, duration: isoDuration(start, end) };
}

function simpleHistory(current: State, start: string, end: string | undefined): StateChange[] {
  const histories: StateChange[] = [{ state: 'CREATED', date: start }];
  if (current !== 'CREATED') histories.push({ state: 'RUNNING', date: start });
  if (end && current !== 'RUNNING' && current !== 'CREATED') histories.push({ state: current, date: end });
  return histories;
}

function attemptShape(attempt: AttemptRecord): Record<string, unknown> {
  return {
    state: stateOf(attempt.state, simpleHistory(attempt.state, attempt.startedAt, attempt.endedAt), attempt.startedAt, attempt.endedAt),
    exitCode: attempt.exitCode ?? null,
    runner: attempt.runnerKind ?? null,
    error: attempt.error ?? null,
  };
}

function taskRunShape(execution: ExecutionRecord, taskRun: TaskRunRecord, attempts: AttemptRecord[]): Record<string, unknown> {
  return {
    id: taskRun.id,
    executionId: execution.id,
    namespace: execution.namespace,
    flowId: execution.flowId,
    taskId: taskRun.taskId,
    parentTaskRunId: taskRun.parentTaskRunId ?? null,
    value: taskRun.value ?? null,
    attempts: attempts.map(attemptShape),
    outputs: taskRun.outputs ?? {},
    outputFiles: Object.fromEntries(Object.entries(taskRun.outputFiles ?? {}).map(([name, file]) => [name, file.uri])),
    state: stateOf(taskRun.state, simpleHistory(taskRun.state, taskRun.startedAt, taskRun.endedAt), taskRun.startedAt, taskRun.endedAt),
  };
}

/** Kestra's Execution, read from the store: the caller masks secrets in it. */
export async function readExecutionShape(store: Store, execution: ExecutionRecord): Promise<Record<string, unknown>> {
  // Task runs before attempts: an attempt stored between the two reads belongs to a task run already read.
  const taskRuns = await store.taskRuns(execution.id);
  return executionShape(execution, taskRuns, await store.attemptsOfExecution(execution.id));
}

/** Kestra's Execution from its records (an execution just created has no task runs yet): the caller masks secrets in it. */
export function executionShape(execution: ExecutionRecord, taskRuns: TaskRunRecord[], attempts: AttemptRecord[]): Record<string, unknown> {
  const attemptsByTaskRun = new Map<string, AttemptRecord[]>();
  for (const attempt of attempts) {
    const list = attemptsByTaskRun.get(attempt.taskRunId) ?? [];
    list.push(attempt);
    attemptsByTaskRun.set(attempt.taskRunId, list);
  }
  const lineage = lineageOf(execution);
  return {
    id: execution.id,
    namespace: execution.namespace,
    flowId: execution.flowId,
    flowRevision: execution.options.flowRevision ?? null,
    inputs: execution.inputs,
    outputs: execution.outputs ?? {},
    labels: Object.entries(execution.labels).map(([key, value]) => ({ key, value })),
    // A record not read from the store (just created) has no histories yet: the store's first entry.
    state: stateOf(execution.state, execution.histories ?? [{ state: execution.state, date: execution.createdAt }], execution.createdAt, execution.endedAt),
    taskRunList: taskRuns.map((taskRun) => taskRunShape(execution, taskRun, attemptsByTaskRun.get(taskRun.id) ?? [])),
    originalId: lineage.originalId,
    // Kestra's parentId: the execution this one replays.
    parentId: execution.options.replayOf?.at(-1) ?? null,
    metadata: { attemptNumber: lineage.attemptNumber, originalCreatedDate: lineage.originalCreatedAt },
    failure: execution.failure ?? null,
    trigger: subflowTrigger(execution),
  };
}

/** Kestra's trigger of an execution a Subflow task started: the task, and the execution that ran it. */
function subflowTrigger(execution: ExecutionRecord): Record<string, unknown> | null {
  const parent = execution.options.parent;
  if (!parent) return null;
  return {
    id: parent.taskId,
    type: 'io.kestra.plugin.core.flow.Subflow',
    variables: { executionId: parent.executionId, namespace: parent.namespace, flowId: parent.flowId, taskRunId: parent.taskRunId },
  };
}

/** A short form for lists and SSE events, without the task runs. */
export function executionSummary(execution: ExecutionRecord): Record<string, unknown> {
  return {
    id: execution.id,
    namespace: execution.namespace,
    flowId: execution.flowId,
    labels: Object.entries(execution.labels).map(([key, value]) => ({ key, value })),
    state: stateOf(execution.state, execution.histories ?? [], execution.createdAt, execution.endedAt),
  };
}

/** Kestra's LogEntry. */
export function logShape(execution: ExecutionRecord, record: LogRecord): Record<string, unknown> {
  return {
    namespace: execution.namespace,
    flowId: execution.flowId,
    executionId: execution.id,
    taskId: record.taskId ?? null,
    taskRunId: record.taskRunId ?? null,
    attemptNumber: record.attempt === undefined ? null : record.attempt - 1,
    timestamp: record.timestamp,
    level: record.level,
    message: record.line,
    index: record.seq ?? null,
  };
}

export function flowShape(flow: DeployedFlow, parsed?: { description?: string }): Record<string, unknown> {
  return {
    id: flow.id,
    namespace: flow.namespace,
    revision: flow.revision,
    source: flow.source,
    updated: flow.updatedAt,
    deleted: false,
    ...(parsed?.description ? { description: parsed.description } : {}),
  };
}
