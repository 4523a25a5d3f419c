import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { RunnerKind } from '../../runners/table.ts';
import { StoreError } from '../../shared/errors.ts';
import type { Store } from '../contract.ts';
import { json, likeEscaped, optional, sameOwner, TERMINAL_LIST, toAttempt, toExecution, toFlow, toHolder, toTaskRun, type Row } from '../rows.ts';
import type {
  AttemptEnd, AttemptOutputs, AttemptRecord, DeployedFlow, ExecutionFailure, ExecutionFilter, ExecutionOptions, ExecutionOwner, ExecutionRecord, Fence, Lease, LeaseHolder, LogRecord,
  MetricRecord, State, StoredFile, StoredOutputLine, TakenLease, TaskRunRecord,
} from '../records.ts';
import { storeFailure } from './failures.ts';
import { checkEpoch } from '../failures.ts';
import { openStoreDatabase, storePath } from './open.ts';


/** Lines per log chunk row, and the position slots each chunk reserves (see schema.ts). */
const LOG_CHUNK_LINES = 1_000;
const LINE_SLOTS = 1_000_000;
/** Log chunk rows read per step of outputLines / outputStampsNewestFirst, so a long log is never read whole. */
const CHUNKS_PER_READ = 16;

/**
 * One stored log line: level, stream (null for the engine's and runners' own messages), timestamp,
 * text, and the container that printed it, only when the task has several.
 */
type StoredLine = [LogRecord['level'], 'stdout' | 'stderr' | null, string, string, string?];

function storedLine(record: LogRecord): StoredLine {
  const line: StoredLine = [record.level, record.stream ?? null, record.timestamp, record.line];
  if (record.container !== undefined) line.push(record.container);
  return line;
}

function sameAttempt(a: LogRecord, b: LogRecord): boolean {
  return a.executionId === b.executionId && a.taskRunId === b.taskRunId && a.attempt === b.attempt;
}

/** The open transaction: calls whose async context carries it join it. */
interface OpenTransaction {
  /** Resolves once it committed or rolled back. */
  readonly ended: Promise<void>;
}

/**
 * The oldest unfinished execution whose lease nobody holds: unfinished executions in order through
 * their index, where `+` keeps SQLite from starting at the expiry index instead, at which every
 * ended execution's released lease would be read first (exported for the test of its plan).
 */
export const TAKE_CANDIDATE = `SELECT l.* FROM execution_leases l JOIN executions e ON e.id = l.execution_id
  WHERE +l.expires_at <= ? AND e.state NOT IN (${TERMINAL_LIST}) ORDER BY e.created_at, e.rowid LIMIT 1`;

/**
 * The embedded store: one SQLite database (node:sqlite) under the state directory. Every write that
 * changes an execution's shape runs in a transaction, so a crash never leaves a half-written record.
 * Every failed call becomes a StoreError that says what went wrong (full disk, damaged file, ...).
 *
 * node:sqlite is synchronous and has one connection, so a transaction that awaits between its
 * statements would take in any other caller's statements too. The open transaction is therefore
 * known by its async context (AsyncLocalStorage): calls down `work`'s call chain join it, and every
 * other call waits until it has ended before it touches the connection.
 */
export class SqliteStore implements Store {
  readonly stateDir: string;
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly paths: { stateDir: string; dbPath: string };
  private readonly context = new AsyncLocalStorage<OpenTransaction>();
  private open: OpenTransaction | undefined;
  private readonly queueWatchers = new Set<() => void>();

  private constructor(stateDir: string, db: DatabaseSync) {
    this.stateDir = stateDir;
    this.location = stateDir;
    this.db = db;
    this.paths = { stateDir, dbPath: storePath(stateDir) };
  }

  /** Opens (creating or migrating) the store under `stateDir`; refuses a file that is not a Harrier store. */
  static async open(stateDir: string): Promise<SqliteStore> {
    return new SqliteStore(stateDir, openStoreDatabase(stateDir));
  }

  private prepare(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.guarded(() => guardStatement(this.db.prepare(sql), (error) => storeFailure(error, this.paths)));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private guarded<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeFailure(error, this.paths);
    }
  }

  /** Whether the caller's async context is the open transaction's (a stale context, kept by a timer set inside an ended one, is not). */
  private joinsOpen(): boolean {
    return this.open !== undefined && this.context.getStore() === this.open;
  }

  /**
   * Runs a synchronous statement once no other context's transaction is open. The check and the
   * statement run in one synchronous step, so no transaction can begin between them.
   */
  private async call<T>(statement: () => T): Promise<T> {
    while (this.open && !this.joinsOpen()) await this.open.ended;
    return statement();
  }

  /** Runs `work` in one write transaction; inside another, `work` joins it. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.joinsOpen()) return work();
    while (this.open) await this.open.ended;
    let end!: () => void;
    const open: OpenTransaction = { ended: new Promise<void>((resolve) => { end = resolve; }) };
    this.open = open;
    try {
      this.guarded(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await this.context.run(open, work);
        this.guarded(() => this.db.exec('COMMIT'));
        return result;
      } catch (error) {
        // SQLite has already rolled back after some failures (a full disk): a second ROLLBACK would
        // replace the real error with "no transaction is active".
        if (this.db.isTransaction) this.guarded(() => this.db.exec('ROLLBACK'));
        throw error;
      }
    } finally {
      this.open = undefined;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.open) await this.open.ended;
    this.queueWatchers.clear();
    this.db.close();
  }

  /** SQLite tells no other process: only this process's queueing wakes the watchers (other processes' slots poll). */
  async watchQueue(onQueued: () => void): Promise<() => Promise<void>> {
    this.queueWatchers.add(onQueued);
    return async () => {
      this.queueWatchers.delete(onQueued);
    };
  }

  /** After the current step, so that a watcher never runs inside the queueing call or its transaction's step. */
  private queued(): void {
    if (this.queueWatchers.size === 0) return;
    setImmediate(() => {
      for (const watcher of this.queueWatchers) watcher();
    });
  }

  // Executions

  insertExecution(execution: ExecutionRecord, options: { queued?: boolean } = {}): Promise<void> {
    if (options.queued) {
      return this.transaction(async () => {
        await this.insertExecution(execution);
        await this.queueExecution(execution.id);
      });
    }
    return this.call(() => {
      this.prepare(`INSERT INTO executions (id, flow_id, namespace, state, flow_file, flow_source, inputs_json, labels_json,
        options_json, created_at, ended_at, histories_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        execution.id, execution.flowId, execution.namespace, execution.state, execution.flowFile, execution.flowSource,
        JSON.stringify(execution.inputs), JSON.stringify(execution.labels), JSON.stringify(execution.options),
        execution.createdAt, execution.endedAt ?? null, JSON.stringify([{ state: execution.state, date: execution.createdAt }]),
      );
    });
  }

  /** The names of the secrets an execution read (see ExecutionOptions.secretNames). */
  setSecretNames(id: string, names: readonly string[]): Promise<void> {
    return this.call(() => {
      this.prepare("UPDATE executions SET options_json = json_set(options_json, '$.secretNames', json(?)) WHERE id = ?").run(JSON.stringify(names), id);
    });
  }

  /** A resume's own command-line runner settings replace the run's (see ExecutionOptions.runnerSettings). */
  setRunnerSettings(id: string, settings: NonNullable<ExecutionOptions['runnerSettings']>): Promise<void> {
    return this.call(() => {
      this.prepare("UPDATE executions SET options_json = json_set(options_json, '$.runnerSettings', json(?)) WHERE id = ?").run(JSON.stringify(settings), id);
    });
  }

  setLabel(id: string, key: string, value: string): Promise<void> {
    return this.call(() => {
      // A quoted member name: label keys have dots (system.replayed).
      this.prepare('UPDATE executions SET labels_json = json_set(labels_json, ?, ?) WHERE id = ?').run(`$.${JSON.stringify(key)}`, value, id);
    });
  }

  /** The new state; `failure` is kept only with the state it explains, so a resumed execution loses it. */
  setExecutionState(id: string, state: State, endedAt?: string, failure?: ExecutionFailure): Promise<void> {
    return this.call(() => {
      this.prepare(`UPDATE executions SET state = ?, ended_at = ?, failure_json = ?,
        histories_json = CASE WHEN state = ? THEN histories_json
          ELSE json_insert(COALESCE(histories_json, '[]'), '$[#]', json_object('state', ?, 'date', ?)) END WHERE id = ?`)
        .run(state, endedAt ?? null, failure ? JSON.stringify(failure) : null, state, state, endedAt ?? new Date().toISOString(), id);
    });
  }

  setExecutionOutputs(id: string, outputs: Record<string, unknown>): Promise<void> {
    return this.call(() => {
      this.prepare('UPDATE executions SET outputs_json = ? WHERE id = ?').run(JSON.stringify(outputs), id);
    });
  }

  getExecution(id: string): Promise<ExecutionRecord | undefined> {
    return this.call(() => {
      const row = this.prepare('SELECT * FROM executions WHERE id = ?').get(id) as Row | undefined;
      return row ? toExecution(row) : undefined;
    });
  }

  /** The execution a `CREATE_NEW_EXECUTION` retry made from this one. */
  successorOf(id: string): Promise<ExecutionRecord | undefined> {
    return this.call(() => {
      const row = this.prepare("SELECT * FROM executions WHERE json_extract(options_json, '$.retryOf.previousId') = ?").get(id) as Row | undefined;
      return row ? toExecution(row) : undefined;
    });
  }

  /** Execution ids that start with `prefix`, so users can type a short prefix as with git. */
  findExecutionIds(prefix: string): Promise<string[]> {
    return this.call(() => {
      const rows = this.prepare('SELECT id FROM executions WHERE id LIKE ? ESCAPE \'\\\' LIMIT 5')
        .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as Row[];
      return rows.map((row) => String(row.id));
    });
  }

  listExecutions(limit = 100): Promise<ExecutionRecord[]> {
    return this.call(() => (this.prepare('SELECT * FROM executions ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as Row[]).map(toExecution));
  }

  /** Executions newest first, filtered as the API's search asks; `total` counts every match. */
  searchExecutions(filter: ExecutionFilter, page: { offset: number; limit: number }): Promise<{ results: ExecutionRecord[]; total: number }> {
    return this.call(() => {
      const where: string[] = [];
      const parameters: SQLInputValue[] = [];
      if (filter.namespace !== undefined) {
        where.push("(namespace = ? OR namespace LIKE ? ESCAPE '\\')");
        parameters.push(filter.namespace, `${likeEscaped(filter.namespace)}.%`);
      }
      if (filter.flowId !== undefined) {
        where.push('flow_id = ?');
        parameters.push(filter.flowId);
      }
      if (filter.states && filter.states.length > 0) {
        where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
        parameters.push(...filter.states);
      }
      for (const [key, value] of Object.entries(filter.labels ?? {})) {
        where.push('json_extract(labels_json, ?) = ?');
        parameters.push(`$."${key.replace(/"/g, '')}"`, value);
      }
      if (filter.startDate !== undefined) {
        where.push('created_at >= ?');
        parameters.push(filter.startDate);
      }
      if (filter.endDate !== undefined) {
        where.push('created_at <= ?');
        parameters.push(filter.endDate);
      }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const total = Number((this.prepare(`SELECT COUNT(*) AS n FROM executions ${clause}`).get(...parameters) as Row).n);
      const rows = this.prepare(`SELECT * FROM executions ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
        .all(...parameters, page.limit, page.offset) as Row[];
      return { results: rows.map(toExecution), total };
    });
  }

  /** Asks the worker slot that runs the execution, in whatever process, to kill it. */
  requestKill(id: string): Promise<void> {
    return this.call(() => {
      this.prepare('UPDATE executions SET kill_requested = 1 WHERE id = ?').run(id);
    });
  }

  killRequested(id: string): Promise<boolean> {
    return this.call(() => {
      const row = this.prepare('SELECT kill_requested AS k FROM executions WHERE id = ?').get(id) as Row | undefined;
      return Number(row?.k ?? 0) === 1;
    });
  }

  // Leases (the server's worker slots)

  /** Puts an execution in the server's queue: a lease row nobody holds. Its epoch is kept across re-queues. */
  queueExecution(executionId: string): Promise<void> {
    return this.call(() => {
      this.prepare(`INSERT INTO execution_leases (execution_id, epoch, expires_at) VALUES (?, 0, 0)
        ON CONFLICT (execution_id) DO UPDATE SET worker = NULL, pid = NULL, process_start = NULL, expires_at = 0`).run(executionId);
      this.queued();
    });
  }

  /**
   * Takes the oldest unfinished execution whose lease nobody holds (queued, released, or expired)
   * for `holder` until `now + durationMs`, with the next epoch, in one write transaction (which
   * SQLite serialises across processes). Returns the new lease and the holder it replaced.
   */
  takeNextLease(holder: LeaseHolder, durationMs: number, now = Date.now()): Promise<TakenLease | undefined> {
    return this.transaction(async () => {
      const row = this.prepare(TAKE_CANDIDATE).get(now) as Row | undefined;
      if (!row) return undefined;
      const epoch = Number(row.epoch) + 1;
      const expiresAt = now + durationMs;
      this.prepare('UPDATE execution_leases SET worker = ?, pid = ?, process_start = ?, epoch = ?, expires_at = ? WHERE execution_id = ?')
        .run(holder.worker, holder.pid, holder.processStart ?? null, epoch, expiresAt, String(row.execution_id));
      const previous = row.worker === null ? undefined : toHolder(row);
      return { executionId: String(row.execution_id), epoch, expiresAt, previous };
    });
  }

  /** Extends a lease; false when its epoch moved on (another slot took the execution over). */
  renewLease(executionId: string, epoch: number, durationMs: number, now = Date.now()): Promise<boolean> {
    return this.call(() => this.prepare('UPDATE execution_leases SET expires_at = ? WHERE execution_id = ? AND epoch = ?')
      .run(now + durationMs, executionId, epoch).changes === 1);
  }

  /**
   * Gives a lease up at once, so another slot may take the execution without waiting for expiry.
   * With `fence`, the epoch moves on too, so that the releasing process's late writes are refused
   * (a graceful stop releases executions that still run).
   */
  releaseLease(executionId: string, epoch: number, options: { fence?: boolean } = {}): Promise<void> {
    return this.call(() => {
      this.prepare(`UPDATE execution_leases SET worker = NULL, pid = NULL, process_start = NULL, expires_at = 0, epoch = epoch + ?
        WHERE execution_id = ? AND epoch = ?`).run(options.fence ? 1 : 0, executionId, epoch);
      this.queued();
    });
  }

  leaseOf(executionId: string): Promise<Lease | undefined> {
    return this.call(() => {
      const row = this.prepare('SELECT * FROM execution_leases WHERE execution_id = ?').get(executionId) as Row | undefined;
      if (!row) return undefined;
      return { executionId, epoch: Number(row.epoch), expiresAt: Number(row.expires_at), holder: row.worker === null ? undefined : toHolder(row) };
    });
  }

  /** Fencing: one write transaction that first checks the epoch (SQLite serialises write transactions, so no take-over can come between). */
  fenced<T>(fence: Fence, work: () => Promise<T>): Promise<T> {
    return this.transaction(async () => {
      await this.call(() => {
        const row = this.prepare('SELECT epoch FROM execution_leases WHERE execution_id = ?').get(fence.executionId) as Row | undefined;
        checkEpoch(fence.executionId, fence.epoch, row === undefined ? undefined : Number(row.epoch));
      });
      return work();
    });
  }

  /**
   * Ends an execution nobody holds (queued, or with an expired lease) at once, bumping the epoch so
   * that a slot taking it at the same moment is fenced out. False when a live lease holds it.
   */
  endUnheld(executionId: string, state: State, failure?: ExecutionFailure, now = Date.now()): Promise<boolean> {
    return this.transaction(async () => {
      const lease = await this.leaseOf(executionId);
      if (lease && lease.expiresAt > now) return false;
      if (lease) this.prepare('UPDATE execution_leases SET epoch = epoch + 1, expires_at = 0, worker = NULL, pid = NULL WHERE execution_id = ?').run(executionId);
      await this.setExecutionState(executionId, state, new Date(now).toISOString(), failure);
      return true;
    });
  }

  /**
   * Kestra's restart: a FAILED or KILLED execution goes back to CREATED, and to the queue unless
   * `queued` is false; its failed and killed task runs run again (a new attempt each), the
   * successful ones are kept. False when it cannot.
   */
  restartExecution(executionId: string, options: { queued?: boolean } = {}): Promise<boolean> {
    return this.transaction(async () => {
      const execution = await this.getExecution(executionId);
      if (!execution || (execution.state !== 'FAILED' && execution.state !== 'KILLED')) return false;
      this.prepare("UPDATE task_runs SET state = 'CREATED', ended_at = NULL, next_attempt_at = NULL WHERE execution_id = ? AND state IN ('FAILED', 'KILLED')").run(executionId);
      this.prepare('UPDATE executions SET kill_requested = 0 WHERE id = ?').run(executionId);
      await this.setExecutionState(executionId, 'CREATED');
      if (options.queued ?? true) await this.queueExecution(executionId);
      return true;
    });
  }

  // Deployed flows

  /** Saves a new revision of a flow (the first is 1; a deleted flow saved again goes on counting); the latest source again makes none. */
  saveFlow(namespace: string, id: string, source: string): Promise<DeployedFlow> {
    return this.transaction(async () => {
      const row = this.prepare('SELECT * FROM flows WHERE namespace = ? AND id = ?').get(namespace, id) as Row | undefined;
      if (row && !row.deleted && row.source === source) return toFlow(row);
      const revision = row ? Number(row.revision) + 1 : 1;
      const updatedAt = new Date().toISOString();
      this.prepare(`INSERT INTO flows (namespace, id, revision, source, deleted, updated_at) VALUES (?, ?, ?, ?, 0, ?)
        ON CONFLICT (namespace, id) DO UPDATE SET revision = excluded.revision, source = excluded.source, deleted = 0, updated_at = excluded.updated_at`)
        .run(namespace, id, revision, source, updatedAt);
      this.prepare('INSERT INTO flow_revisions (namespace, id, revision, source, created_at) VALUES (?, ?, ?, ?, ?)').run(namespace, id, revision, source, updatedAt);
      return { namespace, id, revision, source, updatedAt };
    });
  }

  getFlow(namespace: string, id: string): Promise<DeployedFlow | undefined> {
    return this.call(() => {
      const row = this.prepare('SELECT * FROM flows WHERE namespace = ? AND id = ? AND deleted = 0').get(namespace, id) as Row | undefined;
      return row ? toFlow(row) : undefined;
    });
  }

  /** Deployed flows, optionally of a namespace (and its children) or whose id contains `query`. */
  listFlows(filter: { namespace?: string; query?: string }): Promise<DeployedFlow[]> {
    return this.call(() => {
      const rows = this.prepare(`SELECT * FROM flows WHERE deleted = 0
        AND (?1 IS NULL OR namespace = ?1 OR namespace LIKE ?2 ESCAPE '\\') AND (?3 IS NULL OR id LIKE ?4 ESCAPE '\\')
        ORDER BY namespace, id`).all(
        filter.namespace ?? null, filter.namespace === undefined ? null : `${likeEscaped(filter.namespace)}.%`,
        filter.query ?? null, filter.query === undefined ? null : `%${likeEscaped(filter.query)}%`,
      ) as Row[];
      return rows.map(toFlow);
    });
  }

  flowRevisions(namespace: string, id: string): Promise<DeployedFlow[]> {
    return this.call(() => (this.prepare('SELECT *, created_at AS updated_at FROM flow_revisions WHERE namespace = ? AND id = ? ORDER BY revision').all(namespace, id) as Row[]).map(toFlow));
  }

  /** Marks a flow deleted (its revisions stay); false when there was none. */
  deleteFlow(namespace: string, id: string): Promise<boolean> {
    return this.call(() => this.prepare('UPDATE flows SET deleted = 1, updated_at = ? WHERE namespace = ? AND id = ? AND deleted = 0')
      .run(new Date().toISOString(), namespace, id).changes === 1);
  }

  // Ownership

  /**
   * Compare-and-set of the execution's owner, in one write transaction (which SQLite serialises
   * across processes): `claimant` becomes the owner unless another owner is recorded that
   * `isAlive` says still runs; that owner is returned then, and nothing changes.
   */
  claimExecution(executionId: string, claimant: ExecutionOwner, isAlive: (owner: ExecutionOwner) => boolean): Promise<ExecutionOwner | undefined> {
    return this.transaction(async () => {
      const holder = await this.ownerOf(executionId);
      if (holder && !sameOwner(holder, claimant) && isAlive(holder)) return holder;
      this.prepare('INSERT OR REPLACE INTO execution_owners (execution_id, pid, process_start, since) VALUES (?, ?, ?, ?)')
        .run(executionId, claimant.pid, claimant.processStart ?? null, claimant.since);
      return undefined;
    });
  }

  /** Gives the execution up, only when `owner` still holds it. */
  releaseExecution(executionId: string, owner: ExecutionOwner): Promise<void> {
    return this.call(() => {
      this.prepare('DELETE FROM execution_owners WHERE execution_id = ? AND pid = ? AND COALESCE(process_start, \'\') = ?')
        .run(executionId, owner.pid, owner.processStart ?? '');
    });
  }

  ownerOf(executionId: string): Promise<ExecutionOwner | undefined> {
    return this.call(() => {
      const row = this.prepare('SELECT * FROM execution_owners WHERE execution_id = ?').get(executionId) as Row | undefined;
      return row ? { pid: Number(row.pid), processStart: optional(row.process_start), since: String(row.since) } : undefined;
    });
  }

  // Task runs

  insertTaskRun(taskRun: TaskRunRecord): Promise<void> {
    return this.call(() => {
      this.prepare(`INSERT INTO task_runs (id, execution_id, task_id, parent_task_run_id, value, iteration, loop_path, ordinal, state,
        outputs_json, output_files_json, next_attempt_at, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        taskRun.id, taskRun.executionId, taskRun.taskId, taskRun.parentTaskRunId ?? null, taskRun.value ?? null, taskRun.iteration ?? null,
        taskRun.loopPath, taskRun.ordinal, taskRun.state,
        taskRun.outputs ? JSON.stringify(taskRun.outputs) : null,
        taskRun.outputFiles ? JSON.stringify(taskRun.outputFiles) : null,
        taskRun.nextAttemptAt ?? null, taskRun.startedAt, taskRun.endedAt ?? null,
      );
    });
  }

  updateTaskRun(id: string, change: { state: State; endedAt?: string; nextAttemptAt?: string }): Promise<void> {
    return this.call(() => {
      this.prepare('UPDATE task_runs SET state = ?, ended_at = ?, next_attempt_at = ? WHERE id = ?').run(
        change.state, change.endedAt ?? null, change.nextAttemptAt ?? null, id,
      );
    });
  }

  /** An attempt's outputs replace the task run's; its output files only when there are some. */
  saveTaskRunOutputs(id: string, outputs: Record<string, unknown>, outputFiles: Record<string, StoredFile> | undefined): Promise<void> {
    return this.call(() => {
      this.prepare('UPDATE task_runs SET outputs_json = ?, output_files_json = COALESCE(?, output_files_json) WHERE id = ?').run(
        JSON.stringify(outputs), outputFiles ? JSON.stringify(outputFiles) : null, id,
      );
    });
  }

  taskRuns(executionId: string): Promise<TaskRunRecord[]> {
    return this.call(() => (this.prepare('SELECT * FROM task_runs WHERE execution_id = ? ORDER BY ordinal').all(executionId) as Row[]).map(toTaskRun));
  }

  // Attempts

  insertAttempt(attempt: AttemptRecord): Promise<void> {
    return this.call(() => {
      this.prepare(`INSERT INTO attempts (task_run_id, number, state, runner_kind, exit_code, error, resume_handle_json,
        started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        attempt.taskRunId, attempt.number, attempt.state, attempt.runnerKind ?? null, attempt.exitCode ?? null,
        attempt.error ?? null, attempt.resumeHandle ? JSON.stringify(attempt.resumeHandle) : null,
        attempt.startedAt, attempt.endedAt ?? null,
      );
    });
  }

  finishAttempt(taskRunId: string, number: number, end: AttemptEnd, outputs?: AttemptOutputs): Promise<void> {
    if (outputs) {
      return this.transaction(async () => {
        await this.finishAttempt(taskRunId, number, end);
        await this.saveTaskRunOutputs(taskRunId, outputs.values, outputs.files);
      });
    }
    return this.call(() => {
      this.prepare(`UPDATE attempts SET state = ?, exit_code = ?, error = ?, ended_at = ?, runner_kind = COALESCE(?, runner_kind)
        WHERE task_run_id = ? AND number = ?`).run(end.state, end.exitCode ?? null, end.error ?? null, end.endedAt, end.runnerKind ?? null, taskRunId, number);
    });
  }

  saveResumeHandle(taskRunId: string, number: number, handle: Record<string, unknown>, runnerKind?: RunnerKind): Promise<void> {
    return this.call(() => {
      this.prepare('UPDATE attempts SET resume_handle_json = ?, runner_kind = COALESCE(?, runner_kind) WHERE task_run_id = ? AND number = ?')
        .run(JSON.stringify(handle), runnerKind ?? null, taskRunId, number);
    });
  }

  attempts(taskRunId: string): Promise<AttemptRecord[]> {
    return this.call(() => (this.prepare('SELECT * FROM attempts WHERE task_run_id = ? ORDER BY number').all(taskRunId) as Row[]).map(toAttempt));
  }

  attemptsOfExecution(executionId: string): Promise<AttemptRecord[]> {
    return this.call(() => (this.prepare(`SELECT a.* FROM attempts a JOIN task_runs t ON t.id = a.task_run_id
      WHERE t.execution_id = ? ORDER BY t.ordinal, a.number`).all(executionId) as Row[]).map(toAttempt));
  }

  // Logs and metrics

  /** rowids of executions and task runs, for log chunks; both are immutable once inserted. */
  private readonly rowids = { executions: new Map<string, number>(), task_runs: new Map<string, number>() };

  private rowidOf(table: 'executions' | 'task_runs', id: string): number | undefined {
    let rowid = this.rowids[table].get(id);
    if (rowid === undefined) {
      const row = this.prepare(`SELECT rowid AS r FROM ${table} WHERE id = ?`).get(id) as Row | undefined;
      if (!row) return undefined;
      rowid = Number(row.r);
      this.rowids[table].set(id, rowid);
    }
    return rowid;
  }

  /** Stores records in order; consecutive records of the same attempt share a chunk row. */
  async insertLogs(records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.transaction(async () => {
      const insert = this.prepare(`INSERT INTO log_chunks (execution_ref, task_run_ref, attempt, line_count, lines_json)
        VALUES (?, ?, ?, ?, ?)`);
      let start = 0;
      while (start < records.length) {
        const first = records[start];
        let end = start + 1;
        while (end < records.length && end - start < LOG_CHUNK_LINES && sameAttempt(records[end], first)) end++;
        const execution = this.rowidOf('executions', first.executionId);
        if (execution === undefined) throw new StoreError(`cannot store logs: no execution '${first.executionId}'`);
        const taskRun = first.taskRunId === undefined ? null : this.rowidOf('task_runs', first.taskRunId) ?? null;
        const lines: StoredLine[] = [];
        for (let i = start; i < end; i++) lines.push(storedLine(records[i]));
        insert.run(execution, taskRun, first.attempt ?? null, end - start, JSON.stringify(lines));
        start = end;
      }
    });
  }

  /** Log lines of an execution in order, after position `afterSeq`, optionally of one task. */
  logs(executionId: string, options: { taskId?: string; afterSeq?: number; limit?: number } = {}): Promise<LogRecord[]> {
    return this.call(() => {
      const execution = this.rowidOf('executions', executionId);
      if (execution === undefined) return [];
      const afterSeq = options.afterSeq ?? 0;
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const select = `SELECT c.seq, c.attempt, c.lines_json, t.id AS task_run_id, t.task_id, t.value AS task_run_value
        FROM log_chunks c LEFT JOIN task_runs t ON t.rowid = c.task_run_ref WHERE c.execution_ref = ? AND c.seq >= ?`;
      const statement = options.taskId === undefined
        ? this.prepare(`${select} ORDER BY c.seq`)
        : this.prepare(`${select} AND t.task_id = ? ORDER BY c.seq`);
      const parameters = options.taskId === undefined
        ? [execution, Math.floor(afterSeq / LINE_SLOTS)]
        : [execution, Math.floor(afterSeq / LINE_SLOTS), options.taskId];
      const records: LogRecord[] = [];
      for (const row of statement.iterate(...parameters) as Iterable<Row>) {
        const lines = JSON.parse(String(row.lines_json)) as StoredLine[];
        for (let i = 0; i < lines.length && records.length < limit; i++) {
          const seq = Number(row.seq) * LINE_SLOTS + i;
          if (seq <= afterSeq) continue;
          const [level, stream, timestamp, line, container] = lines[i];
          records.push({
            seq, executionId, taskRunId: optional(row.task_run_id), taskId: optional(row.task_id), taskRunValue: optional(row.task_run_value),
            attempt: row.attempt === null ? undefined : Number(row.attempt),
            level, stream: stream ?? undefined, timestamp, line, container,
          });
        }
        if (records.length >= limit) break;
      }
      return records;
    });
  }

  countLogs(executionId: string): Promise<number> {
    return this.call(() => {
      const execution = this.rowidOf('executions', executionId);
      if (execution === undefined) return 0;
      const row = this.prepare('SELECT COALESCE(SUM(line_count), 0) AS n FROM log_chunks WHERE execution_ref = ?').get(execution) as Row;
      return Number(row.n);
    });
  }

  /** The task-output lines stored for an attempt, oldest first (notices left out). */
  async *outputLines(taskRunId: string, attempt: number): AsyncGenerator<StoredOutputLine> {
    for await (const lines of this.outputChunks(taskRunId, attempt, 'oldest first')) {
      for (const [, stream, timestamp, line, container] of lines) {
        if (stream !== null) yield container === undefined ? { stream, line, timestamp } : { stream, line, timestamp, container };
      }
    }
  }

  /** The stamps (and containers) of the task-output lines stored for an attempt, newest first (notices left out). */
  async *outputStampsNewestFirst(taskRunId: string, attempt: number): AsyncGenerator<{ timestamp: string; container?: string }> {
    for await (const lines of this.outputChunks(taskRunId, attempt, 'newest first')) {
      for (let i = lines.length - 1; i >= 0; i--) {
        const [, stream, timestamp, , container] = lines[i];
        if (stream !== null) yield container === undefined ? { timestamp } : { timestamp, container };
      }
    }
  }

  /** An attempt's log chunks, read a few rows per step: no statement stays open while the reader awaits. */
  private async *outputChunks(taskRunId: string, attempt: number, order: 'oldest first' | 'newest first'): AsyncGenerator<StoredLine[]> {
    const sql = order === 'oldest first'
      ? 'SELECT seq, lines_json FROM log_chunks WHERE task_run_ref = ? AND attempt = ? AND seq > ? ORDER BY seq LIMIT ?'
      : 'SELECT seq, lines_json FROM log_chunks WHERE task_run_ref = ? AND attempt = ? AND seq < ? ORDER BY seq DESC LIMIT ?';
    const taskRun = await this.call(() => this.rowidOf('task_runs', taskRunId));
    if (taskRun === undefined) return;
    let after = order === 'oldest first' ? -1 : Number.MAX_SAFE_INTEGER;
    for (;;) {
      const rows = await this.call(() => this.prepare(sql).all(taskRun, attempt, after, CHUNKS_PER_READ) as Row[]);
      for (const row of rows) yield JSON.parse(String(row.lines_json)) as StoredLine[];
      if (rows.length < CHUNKS_PER_READ) return;
      after = Number(rows.at(-1)!.seq);
    }
  }

  async insertMetrics(records: readonly MetricRecord[]): Promise<void> {
    await this.transaction(async () => {
      const insert = this.prepare(`INSERT INTO metrics (execution_id, task_run_id, name, type, value, tags_json, timestamp)
        VALUES (?, ?, ?, ?, ?, ?, ?)`);
      for (const m of records) insert.run(m.executionId, m.taskRunId, m.name, m.type, m.value, JSON.stringify(m.tags), m.timestamp);
    });
  }

  metrics(executionId: string): Promise<MetricRecord[]> {
    return this.call(() => (this.prepare('SELECT * FROM metrics WHERE execution_id = ? ORDER BY rowid').all(executionId) as Row[]).map((row) => ({
      executionId: String(row.execution_id),
      taskRunId: String(row.task_run_id),
      name: String(row.name),
      type: row.type as MetricRecord['type'],
      value: Number(row.value),
      tags: json(row.tags_json) ?? {},
      timestamp: String(row.timestamp),
    })));
  }
}

/** The statement with every call's failure turned into a StoreError, iterators included. */
function guardStatement(statement: StatementSync, fail: (error: unknown) => unknown): StatementSync {
  return new Proxy(statement, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(target, args);
          return property === 'iterate' ? guardIterator(result as IterableIterator<unknown>, fail) : result;
        } catch (error) {
          throw fail(error);
        }
      };
    },
  });
}

function guardIterator<T>(iterator: IterableIterator<T>, fail: (error: unknown) => unknown): IterableIterator<T> {
  return {
    next() {
      try {
        return iterator.next();
      } catch (error) {
        throw fail(error);
      }
    },
    return(value?: unknown) {
      return iterator.return?.(value) ?? { done: true, value: value as T };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
}
