/**
 * Rows of the store's tables as records: the column names and encodings (JSON as text, ISO stamps
 * as text) are the same in SQLite and PostgreSQL, so both stores read rows through these.
 */
import type { RunnerKind } from '../runners/table.ts';
import { TERMINAL_STATES } from './records.ts';
import type { AttemptRecord, DeployedFlow, ExecutionFailure, ExecutionOwner, ExecutionRecord, LeaseHolder, State, TaskRunRecord } from './records.ts';

export type Row = Record<string, unknown>;

export function json<T>(text: unknown): T | undefined {
  return typeof text === 'string' ? (JSON.parse(text) as T) : undefined;
}

export function optional(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

export const TERMINAL_LIST = [...TERMINAL_STATES].map((state) => `'${state}'`).join(', ');

export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function toHolder(row: Row): LeaseHolder {
  return { worker: String(row.worker), pid: Number(row.pid), processStart: optional(row.process_start) };
}

export function toFlow(row: Row): DeployedFlow {
  return { namespace: String(row.namespace), id: String(row.id), revision: Number(row.revision), source: String(row.source), updatedAt: String(row.updated_at) };
}

export function sameOwner(a: ExecutionOwner, b: ExecutionOwner): boolean {
  return a.pid === b.pid && (a.processStart ?? '') === (b.processStart ?? '');
}

export function toExecution(row: Row): ExecutionRecord {
  return {
    id: String(row.id),
    flowId: String(row.flow_id),
    namespace: String(row.namespace),
    state: row.state as State,
    flowFile: String(row.flow_file),
    flowSource: String(row.flow_source),
    inputs: json(row.inputs_json) ?? {},
    labels: json(row.labels_json) ?? {},
    options: json(row.options_json) ?? {},
    createdAt: String(row.created_at),
    endedAt: optional(row.ended_at),
    failure: json<ExecutionFailure>(row.failure_json),
    outputs: json(row.outputs_json),
    histories: json(row.histories_json) ?? [{ state: row.state as State, date: String(row.created_at) }],
    // PostgreSQL's BOOLEAN reads as true, SQLite's INTEGER as 1.
    ...(row.kill_requested === true || row.kill_requested === 1 ? { killRequested: true } : {}),
  };
}

export function toTaskRun(row: Row): TaskRunRecord {
  return {
    id: String(row.id),
    executionId: String(row.execution_id),
    taskId: String(row.task_id),
    parentTaskRunId: optional(row.parent_task_run_id),
    value: optional(row.value),
    iteration: row.iteration === null || row.iteration === undefined ? undefined : Number(row.iteration),
    loopPath: String(row.loop_path ?? ''),
    ordinal: Number(row.ordinal),
    state: row.state as State,
    outputs: json(row.outputs_json),
    outputFiles: json(row.output_files_json),
    nextAttemptAt: optional(row.next_attempt_at),
    startedAt: String(row.started_at),
    endedAt: optional(row.ended_at),
  };
}

export function toAttempt(row: Row): AttemptRecord {
  return {
    taskRunId: String(row.task_run_id),
    number: Number(row.number),
    state: row.state as State,
    runnerKind: optional(row.runner_kind) as RunnerKind | undefined,
    exitCode: row.exit_code === null ? undefined : Number(row.exit_code),
    error: optional(row.error),
    resumeHandle: json(row.resume_handle_json),
    startedAt: String(row.started_at),
    endedAt: optional(row.ended_at),
  };
}
