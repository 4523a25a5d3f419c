import { setTimeout as sleep } from 'node:timers/promises';
import { formatDurationMs } from '../../shared/duration.ts';
import { InputError } from '../../shared/errors.ts';
import { isTerminal, Store } from '../../store/index.ts';
import { Engine } from '../../engine/index.ts';
import { stateDirOf } from '../context.ts';
import { alignedTable, durationBetween, formatLogLine, paintState } from '../report.ts';
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

/** `harrier logs ID [--task T] [--follow]`: stored logs, in order; --follow waits for more until the end. */
export async function logsCommand(id: string, options: { stateDir?: string; task?: string; follow?: boolean; all?: boolean }): Promise<number> {
  const engine = new Engine({ stateDir: stateDirOf(options) });
  try {
    const execution = engine.findExecution(id);
    const out = new BufferedWriter(process.stdout);
    let afterSeq = 0;
    for (;;) {
      const batch = engine.store.logs(execution.id, { taskId: options.task, afterSeq, limit: 10_000 });
      for (const record of batch) {
        if (options.all || (record.level !== 'TRACE' && record.level !== 'DEBUG')) out.line(formatLogLine(record, out.colour));
        afterSeq = record.seq ?? afterSeq;
      }
      if (batch.length === 10_000) continue;
      await out.drain();
      // Nobody reads any more (`harrier logs -f ID | head`): following would never end.
      if (out.closed) return 0;
      if (!options.follow || isTerminal(engine.store.getExecution(execution.id)!.state)) {
        const rest = engine.store.logs(execution.id, { taskId: options.task, afterSeq });
        for (const record of rest) if (options.all || (record.level !== 'TRACE' && record.level !== 'DEBUG')) out.line(formatLogLine(record, out.colour));
        await out.drain();
        return 0;
      }
      await sleep(200);
    }
  } finally {
    engine.close();
  }
}
