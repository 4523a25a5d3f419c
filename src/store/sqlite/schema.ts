/**
 * Tables of the embedded store. Bump STORE_VERSION when what a table holds changes, and add the step
 * that brings a store of the previous version up to date to MIGRATIONS.
 */
import { TERMINAL_LIST } from '../rows.ts';

export const STORE_VERSION = 6;

/**
 * A task run: one per task, and per ForEach iteration for the tasks inside one. `loop_path` names
 * the iteration (the iteration numbers of the enclosing ForEach tasks, outermost first, joined
 * by '/'; '' outside any), `value` is the iteration's value for a ForEach's direct children.
 */
const TASK_RUNS_V5 = `CREATE TABLE IF NOT EXISTS task_runs (
  id TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL REFERENCES executions(id),
  task_id TEXT NOT NULL,
  parent_task_run_id TEXT,
  ordinal INTEGER NOT NULL,
  state TEXT NOT NULL,
  outputs_json TEXT,
  output_files_json TEXT,
  next_attempt_at TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  value TEXT,
  iteration INTEGER,
  loop_path TEXT NOT NULL DEFAULT '',
  UNIQUE (execution_id, task_id, loop_path)
);`;

/** SQL that takes a store from version `n` to `n + 1`, keyed by `n`; each step runs in its own transaction at open. */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  // Version 2: a stored log line may carry a fifth element, the container that printed it. The four
  // elements of a version 1 line read the same (no container), so no row changes; the new version
  // keeps an older harrier, which would drop that element, from opening the store.
  1: '',
  // Version 3: executions.failure_json, why harrier itself stopped an execution (a full disk).
  2: 'ALTER TABLE executions ADD COLUMN failure_json TEXT',
  // Version 4: executions.outputs_json, the flow's `outputs` rendered at the end.
  3: 'ALTER TABLE executions ADD COLUMN outputs_json TEXT',
  // Version 5: a task runs once per ForEach iteration, so a task run is one per (task, loop_path)
  // with the iteration's value; SQLite changes a UNIQUE constraint only by rebuilding the table.
  // rowids are kept: log chunks refer to task runs by rowid.
  4: `${TASK_RUNS_V5.replace('task_runs', 'task_runs_v5')}
INSERT INTO task_runs_v5 (rowid, id, execution_id, task_id, parent_task_run_id, ordinal, state, outputs_json, output_files_json,
  next_attempt_at, started_at, ended_at)
  SELECT rowid, id, execution_id, task_id, parent_task_run_id, ordinal, state, outputs_json, output_files_json,
  next_attempt_at, started_at, ended_at FROM task_runs;
DROP TABLE task_runs;
ALTER TABLE task_runs_v5 RENAME TO task_runs;`,
  // Version 6: the server's tables (leases, deployed flows and their revisions), each execution's
  // state history and a kill request a worker slot of any process obeys.
  5: `ALTER TABLE executions ADD COLUMN histories_json TEXT;
    ALTER TABLE executions ADD COLUMN kill_requested INTEGER NOT NULL DEFAULT 0;`,
};

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS executions (
  id TEXT PRIMARY KEY,
  flow_id TEXT NOT NULL,
  namespace TEXT NOT NULL,
  state TEXT NOT NULL,
  flow_file TEXT NOT NULL,
  flow_source TEXT NOT NULL,
  inputs_json TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  options_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ended_at TEXT,
  -- Set when harrier itself stopped the execution (a full disk): {code, message}.
  failure_json TEXT,
  -- The flow's outputs, rendered when its tasks ended (strings holding a secret encrypted).
  outputs_json TEXT,
  -- Every state the execution went through: [{state, date}], Kestra's state.histories.
  histories_json TEXT,
  -- Set by the API's kill: the worker slot running the execution (in any process) kills it.
  kill_requested INTEGER NOT NULL DEFAULT 0
);

${TASK_RUNS_V5}

CREATE TABLE IF NOT EXISTS attempts (
  task_run_id TEXT NOT NULL REFERENCES task_runs(id),
  number INTEGER NOT NULL,
  state TEXT NOT NULL,
  runner_kind TEXT,
  exit_code INTEGER,
  error TEXT,
  resume_handle_json TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  PRIMARY KEY (task_run_id, number)
);

-- Logs are the one table that grows by millions of rows, so lines are stored in chunks: one row holds up
-- to LOG_CHUNK_LINES consecutive lines of one attempt (or of the execution itself) as a JSON array of
-- [level, stream, timestamp, line], with a fifth element, the container, when the task has several.
-- A line's position is chunk seq × LINE_SLOTS + its index.
CREATE TABLE IF NOT EXISTS log_chunks (
  seq INTEGER PRIMARY KEY,
  execution_ref INTEGER NOT NULL,
  task_run_ref INTEGER,
  attempt INTEGER,
  line_count INTEGER NOT NULL,
  lines_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_chunks_by_execution ON log_chunks (execution_ref, seq);
CREATE INDEX IF NOT EXISTS log_chunks_by_attempt ON log_chunks (task_run_ref, attempt, seq);

-- The harrier process that drives an execution, taken and given back in one transaction each, so that
-- of two processes asking at once exactly one gets it. process_start tells a live owner from a new
-- process that got the dead owner's pid.
CREATE TABLE IF NOT EXISTS execution_owners (
  execution_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  process_start TEXT,
  since TEXT NOT NULL
);

-- The server's lease on an execution: the worker slot that drives it, until expires_at (ms since the
-- Unix epoch; 0 when nobody holds it: queued, released, or ended). epoch grows at every take-over, and
-- every write of a leased execution checks it in its own transaction (fencing). Only executions the
-- server queued have a row: those of \`harrier run\` keep to execution_owners.
CREATE TABLE IF NOT EXISTS execution_leases (
  execution_id TEXT PRIMARY KEY,
  worker TEXT,
  pid INTEGER,
  process_start TEXT,
  epoch INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS execution_leases_by_expiry ON execution_leases (expires_at);
-- The executions a slot may take, oldest first: the take scans these, never the ended ones, whose
-- lease rows stay (with their epoch) and would make every take slower as history grows. Made at
-- every open, so an older store gets it too; a change of the terminal states needs a new name.
CREATE INDEX IF NOT EXISTS executions_unfinished ON executions (created_at) WHERE state NOT IN (${TERMINAL_LIST});
-- Lists and searches are newest first, a page at a time: without it, each sorted every execution.
CREATE INDEX IF NOT EXISTS executions_by_creation ON executions (created_at);

-- Flows deployed to the server: the current revision of each, and every revision ever saved.
CREATE TABLE IF NOT EXISTS flows (
  namespace TEXT NOT NULL,
  id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  source TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, id)
);
CREATE TABLE IF NOT EXISTS flow_revisions (
  namespace TEXT NOT NULL,
  id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (namespace, id, revision)
);

CREATE TABLE IF NOT EXISTS metrics (
  execution_id TEXT NOT NULL,
  task_run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  value REAL NOT NULL,
  tags_json TEXT NOT NULL,
  timestamp TEXT NOT NULL
);
`;
