import { formatDurationMs } from '../shared/duration.ts';
import { lineageOf, type AttemptRecord, type ExecutionRecord, type LogRecord, type State, type Store, type TaskRunRecord } from '../store/index.ts';
import { paint, taskColour, type Colour } from './terminal.ts';

const STATE_COLOURS: Partial<Record<State, Colour>> = {
  SUCCESS: 'green', WARNING: 'yellow', FAILED: 'red', KILLED: 'red', RETRYING: 'yellow', RETRIED: 'yellow', RUNNING: 'blue',
};

export function paintState(colour: boolean, state: State): string {
  const hue = STATE_COLOURS[state];
  return hue ? paint(colour, hue, state) : state;
}

/**
 * One log record as the terminal shows it: `[task] line` (`[task value]` in a ForEach iteration), with the level when it is not plain output,
 * and `[container] ` before the line when one of several containers printed it. The one named `main`
 * goes without: it is the task's own output, as in a pod with a single container.
 */
export function formatLogLine(record: LogRecord, colour: boolean, timestamps = false): string {
  const name = record.taskRunValue === undefined ? record.taskId : `${record.taskId} ${record.taskRunValue}`;
  const prefix = record.taskId ? paint(colour, taskColour(record.taskId), `[${name}]`) : paint(colour, 'bold', '[harrier]');
  const plainOutput = record.level === 'INFO' || (record.level === 'WARN' && record.stream === 'stderr');
  const level = plainOutput ? '' : `${paint(colour, record.level === 'ERROR' ? 'red' : record.level === 'WARN' ? 'yellow' : 'grey', record.level)} `;
  const container = record.container && record.container !== 'main' ? `[${record.container}] ` : '';
  const stamp = timestamps ? `${paint(colour, 'grey', shortStamp(record.timestamp))} ` : '';
  return `${stamp}${prefix} ${level}${container}${record.line}`;
}

/** A stored stamp to the millisecond, as `--timestamps` shows it: `2026-12-01T13:00:00.123Z`. */
export function shortStamp(timestamp: string): string {
  return timestamp.replace(/(\.\d{3})\d+/, '$1');
}

export function durationBetween(start: string, end: string | undefined): number | undefined {
  return end ? Date.parse(end) - Date.parse(start) : undefined;
}

/** Length as the terminal shows it: colour escapes take no room. */
function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Rows padded into columns two spaces apart. */
export function alignedTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) => row
    .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell) + 2)))
    .join('')
    .trimEnd());
}

/** The closing summary of `harrier run` / `resume`: state, task runs, output files. */
export function summaryLines(execution: ExecutionRecord, taskRuns: TaskRunRecord[], attempts: Map<string, AttemptRecord[]>, colour: boolean): string[] {
  const total = durationBetween(execution.createdAt, execution.endedAt);
  const lines = [
    '',
    `Execution ${execution.id} ${paintState(colour, execution.state)}${total === undefined ? '' : ` in ${formatDurationMs(total)}`} (flow ${execution.namespace}.${execution.flowId})`,
  ];
  const rows = [['TASK', 'STATE', 'ATTEMPTS', 'DURATION']];
  for (const taskRun of taskRuns) {
    const duration = durationBetween(taskRun.startedAt, taskRun.endedAt);
    rows.push([taskRun.value === undefined ? taskRun.taskId : `${taskRun.taskId} [${taskRun.value}]`, paintState(colour, taskRun.state), String(attempts.get(taskRun.id)?.length ?? 0), duration === undefined ? '-' : formatDurationMs(duration)]);
  }
  lines.push(...alignedTable(rows));
  const files = taskRuns.flatMap((taskRun) => Object.entries(taskRun.outputFiles ?? {}).map(([name, file]) => [taskRun.taskId, name, file.path]));
  if (files.length > 0) {
    lines.push('', 'Output files:');
    lines.push(...alignedTable(files).map((line) => `  ${line}`));
  }
  const failures = taskRuns.flatMap((taskRun) => (attempts.get(taskRun.id) ?? []).filter((a) => a.error && taskRun.state !== 'SUCCESS').slice(-1)
    .map((a) => `  ${taskRun.taskId}: ${a.error}`));
  if (execution.failure && failures.length === 0) failures.push(`  ${execution.failure.message}`);
  if (failures.length > 0 && execution.state !== 'SUCCESS') lines.push('', 'Errors:', ...failures);
  return lines;
}

/** The `--json` document: exactly what scripts need about an execution. */
export async function executionDocument(store: Store, execution: ExecutionRecord): Promise<object> {
  const taskRuns = await store.taskRuns(execution.id);
  const attempts = await attemptsByTaskRun(store, execution.id);
  const lineage = lineageOf(execution);
  return {
    id: execution.id,
    flowId: execution.flowId,
    namespace: execution.namespace,
    state: execution.state,
    startDate: execution.createdAt,
    endDate: execution.endedAt ?? null,
    failure: execution.failure ?? null,
    inputs: execution.inputs,
    outputs: execution.outputs ?? {},
    metadata: { attemptNumber: lineage.attemptNumber, originalCreatedDate: lineage.originalCreatedAt, originalId: lineage.originalId },
    taskRuns: taskRuns.map((taskRun) => ({
      id: taskRun.id,
      taskId: taskRun.taskId,
      parentTaskRunId: taskRun.parentTaskRunId ?? null,
      ...(taskRun.value === undefined ? {} : { value: taskRun.value, iteration: taskRun.iteration ?? null }),
      state: taskRun.state,
      attempts: (attempts.get(taskRun.id) ?? []).map((attempt) => ({
        state: attempt.state,
        exitCode: attempt.exitCode ?? null,
        runner: attempt.runnerKind ?? null,
        error: attempt.error ?? null,
        startDate: attempt.startedAt,
        endDate: attempt.endedAt ?? null,
      })),
      outputs: taskRun.outputs ?? {},
      outputFiles: taskRun.outputFiles ?? {},
    })),
  };
}

export async function attemptsByTaskRun(store: Pick<Store, 'attemptsOfExecution'>, executionId: string): Promise<Map<string, AttemptRecord[]>> {
  const map = new Map<string, AttemptRecord[]>();
  for (const attempt of await store.attemptsOfExecution(executionId)) {
    const list = map.get(attempt.taskRunId) ?? [];
    list.push(attempt);
    map.set(attempt.taskRunId, list);
  }
  return map;
}
