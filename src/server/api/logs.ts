/** Kestra's log endpoints: JSON entries (minimum level, per task), SSE follow, plain-text download. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type ExecutionRecord, type LogLevel, type LogRecord } from '../../store/index.ts';
import { apiError, startEvents, sendJson, type Request, type Router } from '../http.ts';
import { logShape } from '../kestra-shapes.ts';
import { executionOr404, FOLLOW_GAP_MS, FOLLOW_POLL_MS, type ApiContext } from './context.ts';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const BATCH = 5_000;

interface LogQuery {
  minLevel: number;
  taskId?: string;
  taskRunId?: string;
}

function logQuery(request: Request): LogQuery {
  const level = (request.query.get('minLevel') ?? 'TRACE').toUpperCase();
  const minLevel = LEVELS.indexOf(level as LogLevel);
  if (minLevel < 0) throw apiError('REQUEST_INVALID', `minLevel '${level}' is not one of ${LEVELS.join(', ')}`);
  return { minLevel, taskId: request.query.get('taskId') ?? undefined, taskRunId: request.query.get('taskRunId') ?? undefined };
}

function keeps(query: LogQuery, record: LogRecord): boolean {
  return LEVELS.indexOf(record.level) >= query.minLevel && (query.taskRunId === undefined || record.taskRunId === query.taskRunId);
}

export function logRoutes(router: Router, ctx: ApiContext): void {
  const { engine } = ctx;
  const store = engine.store;
  const find = (id: string): Promise<ExecutionRecord> => executionOr404(ctx, id);
  /** Every stored record after `afterSeq` that the query keeps, in batches. */
  const eachBatch = async function* (execution: ExecutionRecord, query: LogQuery, afterSeq = 0): AsyncGenerator<LogRecord[]> {
    for (;;) {
      const batch = await store.logs(execution.id, { taskId: query.taskId, afterSeq, limit: BATCH });
      if (batch.length === 0) return;
      afterSeq = batch.at(-1)!.seq!;
      yield batch.filter((record) => keeps(query, record));
      if (batch.length < BATCH) return;
    }
  };
  const shaped = (execution: ExecutionRecord) => {
    const secrets = engine.secretsFor(execution);
    return (record: LogRecord) => logShape(execution, { ...record, line: secrets.masker.mask(record.line) });
  };

  router.add('GET', '/api/v1/logs/{executionId}', 'Log entries of an execution (minLevel, taskId, taskRunId)', async (request, response) => {
    const execution = await find(request.params.executionId);
    const query = logQuery(request);
    const shape = shaped(execution);
    const entries: unknown[] = [];
    for await (const batch of eachBatch(execution, query)) entries.push(...batch.map(shape));
    sendJson(response, 200, entries);
  });

  router.add('GET', '/api/v1/logs/{executionId}/follow', 'Server-Sent Events: each log entry as it is stored, until the execution ends', async (request, response) => {
    const execution = await find(request.params.executionId);
    const query = logQuery(request);
    const shape = shaped(execution);
    const events = startEvents(request.raw, response);
    let afterSeq = 0;
    for (;;) {
      const changed = engine.changes.next(execution.id, ['logs'], FOLLOW_POLL_MS).then(() => sleep(FOLLOW_GAP_MS));
      // Read the state first: lines stored before it ended are all read below.
      const ended = isTerminal((await find(execution.id)).state);
      const batch = await store.logs(execution.id, { taskId: query.taskId, afterSeq, limit: BATCH });
      for (const record of batch) if (keeps(query, record)) events.send(shape(record));
      if (batch.length > 0) afterSeq = batch.at(-1)!.seq!;
      if (events.closed() || (ended && batch.length < BATCH)) break;
      if (batch.length < BATCH) await changed;
    }
    events.end();
  });

  router.add('GET', '/api/v1/logs/{executionId}/download', 'The execution\'s logs as plain text', async (request, response) => {
    const execution = await find(request.params.executionId);
    const query = logQuery(request);
    const secrets = engine.secretsFor(execution);
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${execution.id}.log"` });
    for await (const batch of eachBatch(execution, query)) {
      const text = batch.map((record) => `${record.timestamp} ${record.level.padEnd(5)} [${record.taskId ?? 'harrier'}] ${secrets.masker.mask(record.line)}\n`).join('');
      if (!response.write(text)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
  });
}
