import { setTimeout as sleep } from 'node:timers/promises';
import { formatDurationMs } from '../../shared/duration.ts';
import { InputError } from '../../shared/errors.ts';
import { isTerminal, SqliteStore, type LogRecord } from '../../store/index.ts';
import { Engine, type ExecutionListener } from '../../engine/index.ts';
import { engineFilesOf, stateDirOf, storeExists } from '../context.ts';
import { formatOf, printDocument, yamlText, type OutputFormat } from '../output.ts';
import { alignedTable, attemptsByTaskRun, durationBetween, executionDocument, formatLogLine, paintState, summaryLines } from '../report.ts';
import { keeps, LastLines, logFilterOf, type LogFilterOptions } from '../log-filter.ts';
import { BufferedWriter } from '../terminal.ts';

/** `harrier executions`: newest first. */
export async function executionsCommand(options: { stateDir?: string; output?: string; json?: boolean; limit?: string }): Promise<number> {
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit <= 0) throw new InputError(`--limit must be a positive whole number, not '${options.limit}'`);
  const stateDir = stateDirOf(options);
  const store = storeExists(stateDir) ? await SqliteStore.open(stateDir) : undefined;
  try {
    const executions = await store?.listExecutions(limit) ?? [];
    const format = formatOf(options);
    if (format !== 'text') {
      await printDocument(format, executions.map((e) => ({
        id: e.id, flowId: e.flowId, namespace: e.namespace, state: e.state, startDate: e.createdAt,
        endDate: e.endedAt ?? null, durationMs: durationBetween(e.createdAt, e.endedAt) ?? null,
        parentExecutionId: e.options.parent?.executionId ?? null,
      })));
      return 0;
    }
    const out = new BufferedWriter(process.stdout);
    if (executions.length === 0) {
      out.line(`no executions in ${stateDir}`);
    } else {
      const rows = [['ID', 'FLOW', 'STATE', 'STARTED', 'DURATION', 'PARENT']];
      for (const e of executions) {
        const duration = durationBetween(e.createdAt, e.endedAt);
        rows.push([e.id, `${e.namespace}.${e.flowId}`, paintState(out.colour, e.state), e.createdAt.replace('T', ' ').slice(0, 19),
          duration === undefined ? '-' : formatDurationMs(duration), e.options.parent?.executionId ?? '-']);
      }
      for (const line of alignedTable(rows)) out.line(line);
    }
    await out.drain();
    return 0;
  } finally {
    await store?.close();
  }
}

export interface LogsOptions extends LogFilterOptions {
  stateDir?: string;
  task?: string;
  follow?: boolean;
  timestamps?: boolean;
  output?: string;
  json?: boolean;
}

/**
 * `harrier logs ID [--task T] [--follow] [--tail N] [--since T] [--level L] [--timestamps]`: stored
 * logs, in order; --follow waits for more until the execution ends.
 */
export async function logsCommand(id: string, options: LogsOptions): Promise<number> {
  const filter = logFilterOf(options);
  const engine = await openExisting(stateDirOf(options), id);
  try {
    const execution = await engine.findExecution(id);
    const out = new BufferedWriter(process.stdout);
    const show = await logLineFormat(formatOf(options), out.colour, options.timestamps);
    const print = (record: LogRecord): void => {
      if (keeps(filter, record)) out.line(show(record));
    };
    let afterSeq = 0;
    const read = async (each: (record: LogRecord) => void): Promise<void> => {
      for (;;) {
        const batch = await engine.store.logs(execution.id, { taskId: options.task, afterSeq, limit: 10_000 });
        for (const record of batch) {
          each(record);
          afterSeq = record.seq ?? afterSeq;
        }
        if (batch.length < 10_000) return;
      }
    };
    if (filter.tail !== undefined) {
      const last = new LastLines(filter.tail);
      await read((record) => {
        if (keeps(filter, record)) last.offer(record);
      });
      last.lines.forEach(print);
    }
    for (;;) {
      // The state is read first: lines stored before the end are all read below.
      const ended = isTerminal((await engine.store.getExecution(execution.id))!.state);
      await read(print);
      await out.drain();
      // Nobody reads any more (`harrier logs -f ID | head`): following would never end.
      if (out.closed || !options.follow || ended) return 0;
      await sleep(200);
    }
  } finally {
    await engine.close();
  }
}

/** The engine over an existing store; without one, no execution can be found and nothing is created. */
export async function openExisting(stateDir: string, id: string, listener?: ExecutionListener): Promise<Engine> {
  if (!storeExists(stateDir)) {
    throw new InputError(`no execution '${id}' in ${stateDir} (no store there yet)`, {
      code: 'EXECUTION_NOT_FOUND',
      hint: 'pass the same --state-dir (or HARRIER_STATE_DIR) as the run',
    });
  }
  return Engine.open({ ...engineFilesOf({ stateDir }), listener });
}

/** `harrier executions show ID`: the execution with its inputs, outputs, task runs and output files. */
export async function showCommand(id: string, options: { stateDir?: string; output?: string; json?: boolean }): Promise<number> {
  const engine = await openExisting(stateDirOf(options), id);
  try {
    const execution = await engine.findExecution(id);
    const secrets = engine.secretsFor(execution);
    const format = formatOf(options);
    if (format !== 'text') {
      await printDocument(format, secrets.redact(await executionDocument(engine.store, execution)));
      return 0;
    }
    const out = new BufferedWriter(process.stdout);
    const taskRuns = await engine.store.taskRuns(execution.id);
    const lines = summaryLines(execution, taskRuns, await attemptsByTaskRun(engine.store, execution.id), out.colour).slice(1);
    lines.splice(1, 0, `flow file: ${execution.flowFile}`, ...valueLines('inputs', secrets.redact(execution.inputs)), ...valueLines('outputs', secrets.redact(execution.outputs ?? {})));
    const taskOutputs = taskRuns.flatMap((taskRun) => valueLines(`${taskRun.taskId} outputs`, secrets.redact(taskRun.outputs ?? {})));
    for (const line of [...lines, ...(taskOutputs.length ? ['', ...taskOutputs] : [])]) out.line(secrets.masker.mask(line));
    await out.drain();
    return 0;
  } finally {
    await engine.close();
  }
}

function valueLines(title: string, values: unknown): string[] {
  const entries = Object.entries((values ?? {}) as Record<string, unknown>);
  if (entries.length === 0) return [];
  return [`${title}:`, ...entries.map(([key, value]) => `  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)];
}

/**
 * One stored log record as printed: text for people; with -o json one JSON object per line (JSON
 * Lines, so `logs -f` can be read as it goes), with -o yaml one YAML document per record.
 */
async function logLineFormat(format: OutputFormat, colour: boolean, timestamps: boolean | undefined): Promise<(record: LogRecord) => string> {
  if (format === 'text') return (record) => formatLogLine(record, colour, timestamps);
  const fields = (record: LogRecord): object => ({
    timestamp: record.timestamp, taskId: record.taskId ?? null, attempt: record.attempt ?? null, level: record.level,
    stream: record.stream ?? null, container: record.container ?? null, line: record.line,
  });
  if (format === 'json') return (record) => JSON.stringify(fields(record));
  const text = await yamlText();
  return (record) => `---\n${text(fields(record))}`;
}
