import { setTimeout as sleep } from 'node:timers/promises';
import { formatDurationMs } from '../../shared/duration.ts';
import { InputError } from '../../shared/errors.ts';
import { isTerminal, Store, type LogRecord } from '../../store/index.ts';
import { Engine } from '../../engine/index.ts';
import { stateDirOf } from '../context.ts';
import { alignedTable, durationBetween, formatLogLine, paintState } from '../report.ts';
import { keeps, LastLines, logFilterOf, type LogFilterOptions } from '../log-filter.ts';
import { BufferedWriter } from '../terminal.ts';

/** `harrier executions`: newest first. */
export async function executionsCommand(options: { stateDir?: string; json?: boolean; limit?: string }): Promise<number> {
  const store = Store.open(stateDirOf(options));
  try {
    const limit = options.limit === undefined ? 50 : Number(options.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new InputError(`--limit must be a positive whole number, not '${options.limit}'`);
    const executions = store.listExecutions(limit);
    const out = new BufferedWriter(process.stdout);
    if (options.json) {
      out.line(JSON.stringify(executions.map((e) => ({
        id: e.id, flowId: e.flowId, namespace: e.namespace, state: e.state, startDate: e.createdAt,
        endDate: e.endedAt ?? null, durationMs: durationBetween(e.createdAt, e.endedAt) ?? null,
        parentExecutionId: e.options.parent?.executionId ?? null,
      }))));
    } else if (executions.length === 0) {
      out.line(`no executions in ${store.stateDir}`);
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
    store.close();
  }
}

export interface LogsOptions extends LogFilterOptions {
  stateDir?: string;
  task?: string;
  follow?: boolean;
  timestamps?: boolean;
}

/**
 * `harrier logs ID [--task T] [--follow] [--tail N] [--since T] [--level L] [--timestamps]`: stored
 * logs, in order; --follow waits for more until the execution ends.
 */
export async function logsCommand(id: string, options: LogsOptions): Promise<number> {
  const filter = logFilterOf(options);
  const engine = new Engine({ stateDir: stateDirOf(options) });
  try {
    const execution = engine.findExecution(id);
    const out = new BufferedWriter(process.stdout);
    const print = (record: LogRecord): void => {
      if (keeps(filter, record)) out.line(formatLogLine(record, out.colour, options.timestamps));
    };
    let afterSeq = 0;
    const read = (each: (record: LogRecord) => void): void => {
      for (;;) {
        const batch = engine.store.logs(execution.id, { taskId: options.task, afterSeq, limit: 10_000 });
        for (const record of batch) {
          each(record);
          afterSeq = record.seq ?? afterSeq;
        }
        if (batch.length < 10_000) return;
      }
    };
    if (filter.tail !== undefined) {
      const last = new LastLines(filter.tail);
      read((record) => {
        if (keeps(filter, record)) last.offer(record);
      });
      last.lines.forEach(print);
    }
    for (;;) {
      // The state is read first: lines stored before the end are all read below.
      const ended = isTerminal(engine.store.getExecution(execution.id)!.state);
      read(print);
      await out.drain();
      // Nobody reads any more (`harrier logs -f ID | head`): following would never end.
      if (out.closed || !options.follow || ended) return 0;
      await sleep(200);
    }
  } finally {
    engine.close();
  }
}
