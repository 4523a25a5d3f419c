import { AsyncLocalStorage } from 'node:async_hooks';
import pg, { type ClientConfig, type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { RunnerKind } from '../../runners/table.ts';
import { StoreError } from '../../shared/errors.ts';
import type { Store } from '../contract.ts';
import type {
  AttemptEnd, AttemptOutputs, AttemptRecord, DeployedFlow, ExecutionFailure, ExecutionFilter, ExecutionOptions, ExecutionOwner, ExecutionRecord, Fence, Lease, LeaseHolder, LogRecord,
  MetricRecord, State, StoredFile, StoredOutputLine, TakenLease, TaskRunRecord,
} from '../records.ts';
import { json, likeEscaped, optional, sameOwner, TERMINAL_LIST, toAttempt, toExecution, toFlow, toHolder, toTaskRun, type Row } from '../rows.ts';
import { isConnectionLost, postgresFailure, serverAddress, type ServerAddress } from './failures.ts';
import { leaseLostError } from '../failures.ts';
import { FENCE_REFUSED, migrate } from './migrations.ts';
import { QUEUE_CHANNEL, QueueListener } from './queue-listener.ts';

export interface PostgresStoreOptions {
  /** Connections in the pool (node-postgres's default is 10). */
  poolSize?: number;
  /** How long to wait for a connection, in milliseconds. */
  connectTimeoutMs?: number;
}

/**
 * The transaction of the current async context; `done` once it committed or rolled back, so stray
 * continuations use the pool. `fence`: the lease checked (and held) at its BEGIN.
 */
interface Transaction {
  client: PoolClient;
  done: boolean;
  fence?: Fence;
}

/** Rows read per page by the async iterables over an attempt's lines. */
const PAGE_LINES = 1_000;

/** Key space of the advisory locks that serialise claims of one execution (the migration lock uses the one-key form). */
const OWNER_LOCK_SPACE = 0x6861;

/**
 * The database's clock in milliseconds since the Unix epoch, as lease expiries are stored. The
 * statement's own moment, not the transaction's: a long transaction must not take leases with an old time.
 */
const DATABASE_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** PostgreSQL's code for "cached plan must not change result type" (feature_not_supported), met by a statement prepared before a schema change. */
const STALE_PLAN = '0A000';

/** PostgreSQL text cannot hold NUL; a task printing one keeps its line, with U+FFFD in its place. */
function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

function rowCount(result: QueryResult): number {
  return result.rowCount ?? 0;
}

function sameFence(a: Fence | undefined, b: Fence): boolean {
  return a !== undefined && a.executionId === b.executionId && a.epoch === b.epoch;
}

/** Puts the executions that `ids` selects in the queue: lease rows nobody holds, their epochs kept across re-queues. */
function queueUpsert(ids: string): string {
  return `INSERT INTO execution_leases (execution_id, epoch, expires_at) SELECT id, 0, 0 FROM (${ids}) AS queued(id)
    ON CONFLICT (execution_id) DO UPDATE SET worker = NULL, pid = NULL, process_start = NULL, expires_at = 0`;
}

/**
 * The store on a PostgreSQL server, for harriers on many machines sharing one database. Calls run
 * on a connection pool; inside `transaction(work)`, every call down `work`'s async chain runs on
 * that transaction's connection (AsyncLocalStorage), so other contexts never see its uncommitted
 * writes. Worker slots take executions with `FOR UPDATE SKIP LOCKED` and are woken by
 * LISTEN/NOTIFY. The SQL mirrors the SQLite store's, whose semantics are the reference.
 */
export class PostgresStore implements Store {
  readonly location: string;
  private readonly pool: Pool;
  private readonly address: ServerAddress;
  private readonly context = new AsyncLocalStorage<Transaction>();
  /** The lease that the writes of the current async context are fenced by (see fenced). */
  private readonly fences = new AsyncLocalStorage<Fence>();
  private readonly statementNames = new Map<string, string>();
  private preparedStatements = 0;
  private readonly listener: QueueListener;

  private constructor(pool: Pool, address: ServerAddress, listener: QueueListener) {
    this.pool = pool;
    this.address = address;
    this.location = address.location;
    this.listener = listener;
  }

  /** Connects, migrates the schema to this harrier's version, and returns the store (see ./index.ts to load it lazily). */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const address = serverAddress(url);
    const config: ClientConfig = {
      connectionString: url, application_name: 'harrier', connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    };
    const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
    // An idle connection the server closes is dropped by the pool; without a listener its error would end the process.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, address, new QueueListener(() => new pg.Client(config)));
    try {
      const client = await pool.connect();
      try {
        await migrate(client, address);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw postgresFailure(error, address);
    }
    return store;
  }

  private async query<R extends QueryResultRow = Row>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    const transaction = this.context.getStore();
    const inTransaction = transaction !== undefined && !transaction.done;
    const send = (name: string): Promise<QueryResult<R>> => {
      const statement = { name, text, values };
      return inTransaction ? transaction.client.query<R>(statement) : this.pool.query<R>(statement);
    };
    try {
      return await send(this.statementNames.get(text) ?? this.newStatementName(text));
    } catch (error) {
      // A newer harrier's migration (a rolling upgrade) changed a table that a statement prepared
      // here reads: prepared again under a new name, it works on every connection. In a transaction,
      // which the failure aborted, the caller sees the failure once.
      if (inTransaction || (error as { code?: unknown }).code !== STALE_PLAN) throw this.failure(error);
      try {
        return await send(this.newStatementName(text));
      } catch (again) {
        throw this.failure(again);
      }
    }
  }

  /**
   * Every statement is prepared once per connection under its own name: PostgreSQL then parses and
   * plans it once, not at every call, which is most of a small statement's cost on the server.
   */
  private newStatementName(text: string): string {
    const name = `harrier_${++this.preparedStatements}`;
    this.statementNames.set(text, name);
    return name;
  }

  /** harrier_fence's refusal is LEASE_LOST, worded as on every store; the rest as postgresFailure says. */
  private failure(error: unknown): unknown {
    const fence = this.fences.getStore();
    if (fence && (error as { code?: unknown }).code === FENCE_REFUSED) {
      const held = (error as { detail?: string }).detail;
      return leaseLostError(fence.executionId, fence.epoch, held ? Number(held) : undefined);
    }
    return postgresFailure(error, this.address);
  }

  /**
   * The condition a write's statement adds to its WHERE so that it is fenced: `harrier_fence(...)`
   * (its values appended to `values`) under a fence that the current transaction did not check
   * already, `true` otherwise. The function locks the lease row FOR SHARE until the statement's
   * transaction ends, so a take-over (FOR UPDATE) waits for the write or passes it over.
   */
  private fenceCondition(values: unknown[]): string {
    const fence = this.fences.getStore();
    if (!fence) return 'true';
    const transaction = this.context.getStore();
    if (transaction && !transaction.done && sameFence(transaction.fence, fence)) return 'true';
    values.push(fence.executionId, fence.epoch);
    return `harrier_fence($${values.length - 1}, $${values.length})`;
  }

  async fenced<T>(fence: Fence, work: () => Promise<T>): Promise<T> {
    return this.fences.run(fence, work);
  }

  private async rows<R extends QueryResultRow = Row>(text: string, values?: unknown[]): Promise<R[]> {
    return (await this.query<R>(text, values)).rows;
  }

  private async row<R extends QueryResultRow = Row>(text: string, values?: unknown[]): Promise<R | undefined> {
    return (await this.query<R>(text, values)).rows[0];
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const current = this.context.getStore();
    if (current && !current.done) return work();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw postgresFailure(error, this.address);
    }
    // A connection lost mid-transaction also emits 'error'; the failing query already reports it.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    const fence = this.fences.getStore();
    const transaction: Transaction = { client, done: false, fence };
    let lost = false;
    try {
      // A fenced transaction checks its lease in BEGIN's round trip (a simple query has no parameters, hence the literals).
      await client.query(fence ? `BEGIN; SELECT harrier_fence(${client.escapeLiteral(fence.executionId)}, ${Number(fence.epoch)})` : 'BEGIN');
      const result = await this.context.run(transaction, work);
      transaction.done = true;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      transaction.done = true;
      lost = isConnectionLost(error);
      if (!lost) await client.query('ROLLBACK').catch(() => { lost = true; });
      throw this.failure(error);
    } finally {
      client.off('error', ignore);
      client.release(lost);
    }
  }

  async close(): Promise<void> {
    await this.listener.stop();
    await this.pool.end();
  }

  // Executions

  /** One statement, queued or not: the execution row, then its lease row and the wake-up of idle slots. */
  async insertExecution(execution: ExecutionRecord, options: { queued?: boolean } = {}): Promise<void> {
    const values: unknown[] = [
      execution.id, execution.flowId, execution.namespace, execution.state, execution.flowFile, execution.flowSource,
      JSON.stringify(execution.inputs), JSON.stringify(execution.labels), JSON.stringify(execution.options),
      execution.createdAt, execution.endedAt ?? null, JSON.stringify([{ state: execution.state, date: execution.createdAt }]),
    ];
    const insert = `INSERT INTO executions (id, flow_id, namespace, state, flow_file, flow_source, inputs_json, labels_json,
      options_json, created_at, ended_at, histories_json) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 WHERE ${this.fenceCondition(values)}`;
    if (!options.queued) {
      await this.query(insert, values);
      return;
    }
    values.push(QUEUE_CHANNEL);
    await this.query(`WITH inserted AS (${insert} RETURNING id), queued AS (${queueUpsert('SELECT id FROM inserted')} RETURNING execution_id)
      SELECT pg_notify($${values.length}, '') FROM queued`, values);
  }

  async setSecretNames(id: string, names: readonly string[]): Promise<void> {
    await this.setOption(id, 'secretNames', names);
  }

  async setRunnerSettings(id: string, settings: NonNullable<ExecutionOptions['runnerSettings']>): Promise<void> {
    await this.setOption(id, 'runnerSettings', settings);
  }

  async setLabel(id: string, key: string, value: string): Promise<void> {
    const values: unknown[] = [key, value, id];
    await this.query(`UPDATE executions SET labels_json = (labels_json::jsonb || jsonb_build_object($1::text, $2::text))::text WHERE id = $3 AND ${this.fenceCondition(values)}`, values);
  }

  private async setOption(id: string, key: keyof ExecutionOptions, value: unknown): Promise<void> {
    const values: unknown[] = [[key], JSON.stringify(value), id];
    await this.query(`UPDATE executions SET options_json = jsonb_set(options_json::jsonb, $1, $2::jsonb)::text WHERE id = $3 AND ${this.fenceCondition(values)}`, values);
  }

  async setExecutionState(id: string, state: State, endedAt?: string, failure?: ExecutionFailure): Promise<void> {
    const values: unknown[] = [state, endedAt ?? null, failure ? JSON.stringify(failure) : null, endedAt ?? new Date().toISOString(), id];
    await this.query(`UPDATE executions SET state = $1, ended_at = $2, failure_json = $3,
      histories_json = CASE WHEN state = $1 THEN histories_json
        ELSE (COALESCE(histories_json, '[]')::jsonb || jsonb_build_array(jsonb_build_object('state', $1::text, 'date', $4::text)))::text END
      WHERE id = $5 AND ${this.fenceCondition(values)}`, values);
  }

  async setExecutionOutputs(id: string, outputs: Record<string, unknown>): Promise<void> {
    const values: unknown[] = [JSON.stringify(outputs), id];
    await this.query(`UPDATE executions SET outputs_json = $1 WHERE id = $2 AND ${this.fenceCondition(values)}`, values);
  }

  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    const row = await this.row('SELECT * FROM executions WHERE id = $1', [id]);
    return row ? toExecution(row) : undefined;
  }

  async successorOf(id: string): Promise<ExecutionRecord | undefined> {
    const row = await this.row("SELECT * FROM executions WHERE (options_json::jsonb) #>> '{retryOf,previousId}' = $1 LIMIT 1", [id]);
    return row ? toExecution(row) : undefined;
  }

  async findExecutionIds(prefix: string): Promise<string[]> {
    const rows = await this.rows("SELECT id FROM executions WHERE id LIKE $1 ESCAPE '\\' ORDER BY id LIMIT 5", [`${likeEscaped(prefix)}%`]);
    return rows.map((row) => String(row.id));
  }

  async listExecutions(limit = 100): Promise<ExecutionRecord[]> {
    return (await this.rows('SELECT * FROM executions ORDER BY created_at DESC, ord DESC LIMIT $1', [limit])).map(toExecution);
  }

  async searchExecutions(filter: ExecutionFilter, page: { offset: number; limit: number }): Promise<{ results: ExecutionRecord[]; total: number }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const value = (v: unknown): string => {
      values.push(v);
      return `$${values.length}`;
    };
    if (filter.namespace !== undefined) where.push(`(namespace = ${value(filter.namespace)} OR namespace LIKE ${value(`${likeEscaped(filter.namespace)}.%`)} ESCAPE '\\')`);
    if (filter.flowId !== undefined) where.push(`flow_id = ${value(filter.flowId)}`);
    if (filter.states && filter.states.length > 0) where.push(`state = ANY(${value(filter.states)}::text[])`);
    for (const [key, wanted] of Object.entries(filter.labels ?? {})) where.push(`(labels_json::jsonb) ->> ${value(key)} = ${value(wanted)}`);
    if (filter.startDate !== undefined) where.push(`created_at >= ${value(filter.startDate)}`);
    if (filter.endDate !== undefined) where.push(`created_at <= ${value(filter.endDate)}`);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const counted = await this.row<{ n: string }>(`SELECT COUNT(*) AS n FROM executions ${clause}`, values);
    const rows = await this.rows(`SELECT * FROM executions ${clause} ORDER BY created_at DESC, ord DESC LIMIT ${value(page.limit)} OFFSET ${value(page.offset)}`, values);
    return { results: rows.map(toExecution), total: Number(counted?.n ?? 0) };
  }

  async requestKill(id: string): Promise<void> {
    await this.query('UPDATE executions SET kill_requested = true WHERE id = $1', [id]);
  }

  async killRequested(id: string): Promise<boolean> {
    const row = await this.row<{ k: boolean }>('SELECT kill_requested AS k FROM executions WHERE id = $1', [id]);
    return row?.k === true;
  }

  // Leases

  /** Queueing wakes every process's idle slots, at its commit. */
  async queueExecution(executionId: string): Promise<void> {
    await this.query(`WITH queued AS (${queueUpsert('SELECT $1::text')} RETURNING execution_id) SELECT pg_notify($2, '') FROM queued`, [executionId, QUEUE_CHANNEL]);
  }

  /**
   * One statement: the oldest candidate's lease row is locked with SKIP LOCKED, so slots taking at
   * once on any machine each get a different execution, and a row held by a fenced write is passed
   * over; the row is then given the next epoch, and the holder it had is returned. Expiry is read
   * and written on the database's clock, so that machines whose clocks disagree agree on it.
   */
  async takeNextLease(holder: LeaseHolder, durationMs: number, now?: number): Promise<TakenLease | undefined> {
    const row = await this.row(`WITH clock AS (SELECT COALESCE($1::bigint, ${DATABASE_NOW_MS}) AS now),
      candidate AS (
        SELECT l.execution_id, l.epoch, l.worker, l.pid, l.process_start FROM execution_leases l JOIN executions e ON e.id = l.execution_id
        WHERE l.expires_at <= (SELECT now FROM clock) AND e.state NOT IN (${TERMINAL_LIST}) ORDER BY e.created_at, e.ord LIMIT 1 FOR UPDATE OF l SKIP LOCKED)
      UPDATE execution_leases l SET worker = $2, pid = $3, process_start = $4, epoch = c.epoch + 1, expires_at = (SELECT now FROM clock) + $5
      FROM candidate c WHERE l.execution_id = c.execution_id
      RETURNING l.execution_id, l.epoch AS taken_epoch, l.expires_at, c.worker, c.pid, c.process_start`, [now ?? null, holder.worker, holder.pid, holder.processStart ?? null, durationMs]);
    if (!row) return undefined;
    return { executionId: String(row.execution_id), epoch: Number(row.taken_epoch), expiresAt: Number(row.expires_at), previous: row.worker === null ? undefined : toHolder(row) };
  }

  async renewLease(executionId: string, epoch: number, durationMs: number, now?: number): Promise<boolean> {
    const result = await this.query(`UPDATE execution_leases SET expires_at = COALESCE($1::bigint, ${DATABASE_NOW_MS}) + $2 WHERE execution_id = $3 AND epoch = $4`, [
      now ?? null, durationMs, executionId, epoch,
    ]);
    return rowCount(result) === 1;
  }

  /** One statement; idle slots are woken only when the execution is unfinished, as nothing is left to take of an ended one. */
  async releaseLease(executionId: string, epoch: number, options: { fence?: boolean } = {}): Promise<void> {
    await this.query(`WITH released AS (UPDATE execution_leases SET worker = NULL, pid = NULL, process_start = NULL, expires_at = 0, epoch = epoch + $1
        WHERE execution_id = $2 AND epoch = $3 RETURNING execution_id)
      SELECT pg_notify($4, '') FROM released r JOIN executions e ON e.id = r.execution_id WHERE e.state NOT IN (${TERMINAL_LIST})`, [
      options.fence ? 1 : 0, executionId, epoch, QUEUE_CHANNEL,
    ]);
  }

  async leaseOf(executionId: string): Promise<Lease | undefined> {
    return this.leaseRow(executionId, '');
  }

  private async leaseRow(executionId: string, lock: '' | 'FOR UPDATE'): Promise<Lease | undefined> {
    const row = await this.row(`SELECT * FROM execution_leases WHERE execution_id = $1 ${lock}`, [executionId]);
    if (!row) return undefined;
    return { executionId, epoch: Number(row.epoch), expiresAt: Number(row.expires_at), holder: row.worker === null ? undefined : toHolder(row) };
  }

  async endUnheld(executionId: string, state: State, failure?: ExecutionFailure, given?: number): Promise<boolean> {
    return this.transaction(async () => {
      const lease = await this.leaseRow(executionId, 'FOR UPDATE');
      const now = given ?? Number((await this.row(`SELECT ${DATABASE_NOW_MS} AS now`, []))!.now);
      if (lease && lease.expiresAt > now) return false;
      if (lease) {
        await this.query('UPDATE execution_leases SET epoch = epoch + 1, expires_at = 0, worker = NULL, pid = NULL WHERE execution_id = $1', [executionId]);
      }
      await this.setExecutionState(executionId, state, new Date(now).toISOString(), failure);
      return true;
    });
  }

  async restartExecution(executionId: string, options: { queued?: boolean } = {}): Promise<boolean> {
    return this.transaction(async () => {
      const row = await this.row<{ state: State }>('SELECT state FROM executions WHERE id = $1 FOR NO KEY UPDATE', [executionId]);
      if (!row || (row.state !== 'FAILED' && row.state !== 'KILLED')) return false;
      await this.query("UPDATE task_runs SET state = 'CREATED', ended_at = NULL, next_attempt_at = NULL WHERE execution_id = $1 AND state IN ('FAILED', 'KILLED')", [executionId]);
      await this.query('UPDATE executions SET kill_requested = false WHERE id = $1', [executionId]);
      await this.setExecutionState(executionId, 'CREATED');
      if (options.queued ?? true) await this.queueExecution(executionId);
      return true;
    });
  }

  async watchQueue(onQueued: () => void): Promise<() => Promise<void>> {
    try {
      return await this.listener.watch(onQueued);
    } catch (error) {
      throw postgresFailure(error, this.address);
    }
  }

  // Deployed flows

  async saveFlow(namespace: string, id: string, source: string): Promise<DeployedFlow> {
    return this.transaction(async () => {
      const updatedAt = new Date().toISOString();
      // One statement takes the next revision and locks the flow's row, so concurrent saves count on;
      // a save of the latest source changes nothing and returns no row.
      const row = await this.row<{ revision: number }>(`INSERT INTO flows (namespace, id, revision, source, deleted, updated_at) VALUES ($1, $2, 1, $3, false, $4)
        ON CONFLICT (namespace, id) DO UPDATE SET revision = flows.revision + 1, source = EXCLUDED.source, deleted = false, updated_at = EXCLUDED.updated_at
        WHERE flows.deleted OR flows.source <> EXCLUDED.source
        RETURNING revision`, [namespace, id, source, updatedAt]);
      if (!row) return (await this.getFlow(namespace, id))!;
      const revision = Number(row.revision);
      await this.query('INSERT INTO flow_revisions (namespace, id, revision, source, created_at) VALUES ($1, $2, $3, $4, $5)', [namespace, id, revision, source, updatedAt]);
      return { namespace, id, revision, source, updatedAt };
    });
  }

  async getFlow(namespace: string, id: string): Promise<DeployedFlow | undefined> {
    const row = await this.row('SELECT * FROM flows WHERE namespace = $1 AND id = $2 AND NOT deleted', [namespace, id]);
    return row ? toFlow(row) : undefined;
  }

  async listFlows(filter: { namespace?: string; query?: string }): Promise<DeployedFlow[]> {
    const rows = await this.rows(`SELECT * FROM flows WHERE NOT deleted
      AND ($1::text IS NULL OR namespace = $1 OR namespace LIKE $2 ESCAPE '\\') AND ($3::text IS NULL OR id LIKE $4 ESCAPE '\\')
      ORDER BY namespace, id`, [
      filter.namespace ?? null, filter.namespace === undefined ? null : `${likeEscaped(filter.namespace)}.%`,
      filter.query ?? null, filter.query === undefined ? null : `%${likeEscaped(filter.query)}%`,
    ]);
    return rows.map(toFlow);
  }

  async flowRevisions(namespace: string, id: string): Promise<DeployedFlow[]> {
    const rows = await this.rows('SELECT namespace, id, revision, source, created_at AS updated_at FROM flow_revisions WHERE namespace = $1 AND id = $2 ORDER BY revision', [namespace, id]);
    return rows.map(toFlow);
  }

  async deleteFlow(namespace: string, id: string): Promise<boolean> {
    const result = await this.query('UPDATE flows SET deleted = true, updated_at = $1 WHERE namespace = $2 AND id = $3 AND NOT deleted', [new Date().toISOString(), namespace, id]);
    return rowCount(result) === 1;
  }

  // Ownership

  /** A transaction-scoped advisory lock on the execution serialises claimants, even before any owner row exists. */
  async claimExecution(executionId: string, claimant: ExecutionOwner, isAlive: (owner: ExecutionOwner) => boolean): Promise<ExecutionOwner | undefined> {
    return this.transaction(async () => {
      await this.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OWNER_LOCK_SPACE, executionId]);
      const holder = await this.ownerOf(executionId);
      if (holder && !sameOwner(holder, claimant) && isAlive(holder)) return holder;
      await this.query(`INSERT INTO execution_owners (execution_id, pid, process_start, since) VALUES ($1, $2, $3, $4)
        ON CONFLICT (execution_id) DO UPDATE SET pid = EXCLUDED.pid, process_start = EXCLUDED.process_start, since = EXCLUDED.since`, [
        executionId, claimant.pid, claimant.processStart ?? null, claimant.since,
      ]);
      return undefined;
    });
  }

  async releaseExecution(executionId: string, owner: ExecutionOwner): Promise<void> {
    await this.query("DELETE FROM execution_owners WHERE execution_id = $1 AND pid = $2 AND COALESCE(process_start, '') = $3", [
      executionId, owner.pid, owner.processStart ?? '',
    ]);
  }

  async ownerOf(executionId: string): Promise<ExecutionOwner | undefined> {
    const row = await this.row('SELECT * FROM execution_owners WHERE execution_id = $1', [executionId]);
    return row ? { pid: Number(row.pid), processStart: optional(row.process_start), since: String(row.since) } : undefined;
  }

  // Task runs and attempts

  async insertTaskRun(taskRun: TaskRunRecord): Promise<void> {
    const values: unknown[] = [
      taskRun.id, taskRun.executionId, taskRun.taskId, taskRun.parentTaskRunId ?? null, taskRun.value ?? null, taskRun.iteration ?? null,
      taskRun.loopPath, taskRun.ordinal, taskRun.state,
      taskRun.outputs ? JSON.stringify(taskRun.outputs) : null,
      taskRun.outputFiles ? JSON.stringify(taskRun.outputFiles) : null,
      taskRun.nextAttemptAt ?? null, taskRun.startedAt, taskRun.endedAt ?? null,
    ];
    // INSERT ... SELECT, for the fence's WHERE: its untyped values would be text, hence the casts.
    await this.query(`INSERT INTO task_runs (id, execution_id, task_id, parent_task_run_id, value, iteration, loop_path, ordinal, state,
      outputs_json, output_files_json, next_attempt_at, started_at, ended_at)
      SELECT $1, $2, $3, $4, $5, $6::integer, $7, $8::integer, $9, $10, $11, $12, $13, $14 WHERE ${this.fenceCondition(values)}`, values);
  }

  async updateTaskRun(id: string, change: { state: State; endedAt?: string; nextAttemptAt?: string }): Promise<void> {
    const values: unknown[] = [change.state, change.endedAt ?? null, change.nextAttemptAt ?? null, id];
    await this.query(`UPDATE task_runs SET state = $1, ended_at = $2, next_attempt_at = $3 WHERE id = $4 AND ${this.fenceCondition(values)}`, values);
  }

  async saveTaskRunOutputs(id: string, outputs: Record<string, unknown>, outputFiles: Record<string, StoredFile> | undefined): Promise<void> {
    const values: unknown[] = [JSON.stringify(outputs), outputFiles ? JSON.stringify(outputFiles) : null, id];
    await this.query(`UPDATE task_runs SET outputs_json = $1, output_files_json = COALESCE($2, output_files_json) WHERE id = $3 AND ${this.fenceCondition(values)}`, values);
  }

  async taskRuns(executionId: string): Promise<TaskRunRecord[]> {
    return (await this.rows('SELECT * FROM task_runs WHERE execution_id = $1 ORDER BY ordinal', [executionId])).map(toTaskRun);
  }

  async insertAttempt(attempt: AttemptRecord): Promise<void> {
    const values: unknown[] = [
      attempt.taskRunId, attempt.number, attempt.state, attempt.runnerKind ?? null, attempt.exitCode ?? null,
      attempt.error ?? null, attempt.resumeHandle ? JSON.stringify(attempt.resumeHandle) : null,
      attempt.startedAt, attempt.endedAt ?? null,
    ];
    await this.query(`INSERT INTO attempts (task_run_id, number, state, runner_kind, exit_code, error, resume_handle_json, started_at, ended_at)
      SELECT $1, $2::integer, $3, $4, $5::integer, $6, $7, $8, $9 WHERE ${this.fenceCondition(values)}`, values);
  }

  /** One statement with the outputs too: the task run's update in the attempt's, both under the one fence. */
  async finishAttempt(taskRunId: string, number: number, end: AttemptEnd, outputs?: AttemptOutputs): Promise<void> {
    const values: unknown[] = [end.state, end.exitCode ?? null, end.error ?? null, end.endedAt, end.runnerKind ?? null, taskRunId, number];
    const fence = this.fenceCondition(values);
    const finish = `UPDATE attempts SET state = $1, exit_code = $2, error = $3, ended_at = $4, runner_kind = COALESCE($5, runner_kind)
      WHERE task_run_id = $6 AND number = $7 AND ${fence}`;
    if (!outputs) {
      await this.query(finish, values);
      return;
    }
    values.push(JSON.stringify(outputs.values), outputs.files ? JSON.stringify(outputs.files) : null);
    await this.query(`WITH finished AS (${finish} RETURNING number)
      UPDATE task_runs SET outputs_json = $${values.length - 1}, output_files_json = COALESCE($${values.length}, output_files_json)
      WHERE id = $6 AND ${fence}`, values);
  }

  async saveResumeHandle(taskRunId: string, number: number, handle: Record<string, unknown>, runnerKind?: RunnerKind): Promise<void> {
    const values: unknown[] = [JSON.stringify(handle), runnerKind ?? null, taskRunId, number];
    await this.query(`UPDATE attempts SET resume_handle_json = $1, runner_kind = COALESCE($2, runner_kind)
      WHERE task_run_id = $3 AND number = $4 AND ${this.fenceCondition(values)}`, values);
  }

  async attempts(taskRunId: string): Promise<AttemptRecord[]> {
    return (await this.rows('SELECT * FROM attempts WHERE task_run_id = $1 ORDER BY number', [taskRunId])).map(toAttempt);
  }

  async attemptsOfExecution(executionId: string): Promise<AttemptRecord[]> {
    const rows = await this.rows(`SELECT a.* FROM attempts a JOIN task_runs t ON t.id = a.task_run_id
      WHERE t.execution_id = $1 ORDER BY t.ordinal, a.number`, [executionId]);
    return rows.map(toAttempt);
  }

  // Logs and metrics

  /**
   * One statement for the whole batch: it takes each execution's next positions (sorted by
   * execution, so two batches lock in the same order) and inserts every line, from arrays.
   */
  async insertLogs(records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const record of records) {
      const values = [record.executionId, record.taskRunId ?? null, record.attempt ?? null, record.level, record.stream ?? null,
        record.timestamp, storableText(record.line), record.container ?? null];
      values.forEach((value, i) => columns[i].push(value));
    }
    const values: unknown[] = columns;
    try {
      await this.query(`WITH line AS (
          SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY
            AS r(execution_id, task_run_id, attempt, level, stream, ts, line, container, n)),
        counted AS (SELECT execution_id, count(*) AS lines FROM line GROUP BY execution_id),
        reserved AS (INSERT INTO log_sequences (execution_id, last_seq) SELECT execution_id, lines FROM counted WHERE ${this.fenceCondition(values)} ORDER BY 1
          ON CONFLICT (execution_id) DO UPDATE SET last_seq = log_sequences.last_seq + EXCLUDED.last_seq RETURNING execution_id, last_seq)
        INSERT INTO logs (execution_id, seq, task_run_id, attempt, level, stream, timestamp, line, container)
        SELECT r.execution_id, s.last_seq - c.lines + row_number() OVER (PARTITION BY r.execution_id ORDER BY r.n), t.id, r.attempt, r.level, r.stream, r.ts, r.line, r.container
        FROM line r JOIN reserved s ON s.execution_id = r.execution_id JOIN counted c ON c.execution_id = r.execution_id
          LEFT JOIN task_runs t ON t.id = r.task_run_id`, values);
    } catch (error) {
      const missing = (error as { cause?: { code?: unknown } }).cause?.code === '23503';
      throw missing ? new StoreError(`cannot store logs: no execution '${await this.missingExecution([...new Set(records.map((record) => record.executionId))])}'`) : error;
    }
  }

  private async missingExecution(ids: string[]): Promise<string> {
    const found = new Set((await this.pool.query<{ id: string }>('SELECT id FROM executions WHERE id = ANY($1::text[])', [ids]).catch(() => ({ rows: [] }))).rows.map((row) => row.id));
    return ids.find((id) => !found.has(id)) ?? ids[0];
  }

  async logs(executionId: string, options: { taskId?: string; afterSeq?: number; limit?: number } = {}): Promise<LogRecord[]> {
    const values: unknown[] = [executionId, options.afterSeq ?? 0];
    let sql = `SELECT l.*, t.task_id, t.value AS task_run_value FROM logs l LEFT JOIN task_runs t ON t.id = l.task_run_id
      WHERE l.execution_id = $1 AND l.seq > $2`;
    if (options.taskId !== undefined) {
      values.push(options.taskId);
      sql += ` AND t.task_id = $${values.length}`;
    }
    sql += ' ORDER BY l.seq';
    if (options.limit !== undefined) {
      values.push(options.limit);
      sql += ` LIMIT $${values.length}`;
    }
    return (await this.rows(sql, values)).map((row) => ({
      seq: Number(row.seq), executionId, taskRunId: optional(row.task_run_id), taskId: optional(row.task_id), taskRunValue: optional(row.task_run_value),
      attempt: row.attempt === null ? undefined : Number(row.attempt),
      level: row.level as LogRecord['level'], stream: (row.stream ?? undefined) as LogRecord['stream'], timestamp: String(row.timestamp), line: String(row.line),
      container: optional(row.container),
    }));
  }

  async countLogs(executionId: string): Promise<number> {
    const row = await this.row<{ last_seq: string }>('SELECT last_seq FROM log_sequences WHERE execution_id = $1', [executionId]);
    return Number(row?.last_seq ?? 0);
  }

  async *outputLines(taskRunId: string, attempt: number): AsyncGenerator<StoredOutputLine> {
    for await (const row of this.attemptLines(taskRunId, attempt, 'ASC')) {
      const line = { stream: row.stream as StoredOutputLine['stream'], line: String(row.line), timestamp: String(row.timestamp) };
      yield row.container === null ? line : { ...line, container: String(row.container) };
    }
  }

  async *outputStampsNewestFirst(taskRunId: string, attempt: number): AsyncGenerator<{ timestamp: string; container?: string }> {
    for await (const row of this.attemptLines(taskRunId, attempt, 'DESC')) {
      yield row.container === null ? { timestamp: String(row.timestamp) } : { timestamp: String(row.timestamp), container: String(row.container) };
    }
  }

  /** An attempt's task-output lines (notices left out), read a page at a time. */
  private async *attemptLines(taskRunId: string, attempt: number, order: 'ASC' | 'DESC'): AsyncGenerator<Row> {
    let after: number | undefined;
    for (;;) {
      const page = await this.rows(`SELECT seq, stream, timestamp, line, container FROM logs
        WHERE task_run_id = $1 AND attempt = $2 AND stream IS NOT NULL AND ($3::bigint IS NULL OR seq ${order === 'ASC' ? '>' : '<'} $3)
        ORDER BY seq ${order} LIMIT ${PAGE_LINES}`, [taskRunId, attempt, after ?? null]);
      yield* page;
      if (page.length < PAGE_LINES) return;
      after = Number(page[page.length - 1].seq);
    }
  }

  async insertMetrics(records: readonly MetricRecord[]): Promise<void> {
    if (records.length === 0) return;
    const values: unknown[] = [
      records.map((m) => m.executionId), records.map((m) => m.taskRunId), records.map((m) => m.name), records.map((m) => m.type),
      records.map((m) => m.value), records.map((m) => JSON.stringify(m.tags)), records.map((m) => m.timestamp),
    ];
    await this.query(`INSERT INTO metrics (execution_id, task_run_id, name, type, value, tags_json, timestamp)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[]) WHERE ${this.fenceCondition(values)}`, values);
  }

  async metrics(executionId: string): Promise<MetricRecord[]> {
    return (await this.rows('SELECT * FROM metrics WHERE execution_id = $1 ORDER BY ord', [executionId])).map((row) => ({
      executionId: String(row.execution_id),
      taskRunId: String(row.task_run_id),
      name: String(row.name),
      type: row.type as MetricRecord['type'],
      value: Number(row.value),
      tags: json<Record<string, string>>(row.tags_json) ?? {},
      timestamp: String(row.timestamp),
    }));
  }
}
