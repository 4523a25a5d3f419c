/**
 * The PostgreSQL store's schema, as an ordered list of versioned steps. A database is brought up
 * to the newest version at open, every pending step in one transaction under an advisory lock, so
 * that of several harriers starting at once one migrates and the others find it done. Add a step
 * at the end for every change; never edit one that has shipped.
 */
import type { ClientBase } from 'pg';
import { StoreError } from '../../shared/errors.ts';
import { TERMINAL_LIST } from '../rows.ts';
import type { ServerAddress } from './failures.ts';

export interface Migration {
  version: number;
  /** What the step changes, for people reading the history. */
  description: string;
  sql: string;
}

/** The SQLSTATE with which harrier_fence refuses a write whose lease moved on (a class PostgreSQL does not use). */
export const FENCE_REFUSED = 'HF001';

/** Identifiers and stamps compare byte by byte, as in SQLite, whatever the database's locale. */
const KEY = 'TEXT COLLATE "C"';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'executions, task runs, attempts, logs, leases, owners, deployed flows, metrics',
    sql: `
CREATE TABLE executions (
  id ${KEY} PRIMARY KEY,
  -- Insertion order, for executions created in the same millisecond (SQLite's rowid).
  ord BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  flow_id ${KEY} NOT NULL,
  namespace ${KEY} NOT NULL,
  state TEXT NOT NULL,
  flow_file TEXT NOT NULL,
  flow_source TEXT NOT NULL,
  inputs_json TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  options_json TEXT NOT NULL,
  created_at ${KEY} NOT NULL,
  ended_at TEXT,
  failure_json TEXT,
  outputs_json TEXT,
  histories_json TEXT,
  kill_requested BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX executions_by_creation ON executions (created_at, ord);
CREATE INDEX executions_by_flow ON executions (namespace, flow_id);
-- The queue: slots look for the oldest unfinished executions, a few among all that ever ran.
CREATE INDEX executions_unfinished ON executions (created_at, ord) WHERE state NOT IN (${TERMINAL_LIST});
CREATE INDEX executions_by_previous ON executions (((options_json::jsonb) #>> '{retryOf,previousId}'));

CREATE TABLE task_runs (
  id ${KEY} PRIMARY KEY,
  execution_id ${KEY} NOT NULL REFERENCES executions(id),
  task_id ${KEY} NOT NULL,
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
);
CREATE INDEX task_runs_by_execution ON task_runs (execution_id, ordinal);

CREATE TABLE attempts (
  task_run_id ${KEY} NOT NULL REFERENCES task_runs(id),
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

-- The last log position given out per execution. Taking positions locks the row until the batch
-- commits, so an execution's lines commit in position order and a reader following with afterSeq
-- never sees a later line before an earlier one. It is also the execution's line count.
CREATE TABLE log_sequences (
  execution_id ${KEY} PRIMARY KEY REFERENCES executions(id),
  last_seq BIGINT NOT NULL
);
-- One row per line; task_run_id is null for the execution's own lines (and for an unknown task run).
CREATE TABLE logs (
  execution_id ${KEY} NOT NULL,
  seq BIGINT NOT NULL,
  task_run_id ${KEY},
  attempt INTEGER,
  level TEXT NOT NULL,
  stream TEXT,
  timestamp TEXT NOT NULL,
  line TEXT NOT NULL,
  container TEXT,
  PRIMARY KEY (execution_id, seq)
);
CREATE INDEX logs_by_attempt ON logs (task_run_id, attempt, seq);

CREATE TABLE execution_owners (
  execution_id ${KEY} PRIMARY KEY,
  pid INTEGER NOT NULL,
  process_start TEXT,
  since TEXT NOT NULL
);

-- expires_at: milliseconds since the Unix epoch, 0 when nobody holds the lease. epoch grows at
-- every take-over; every write of a leased execution checks it in its own transaction (fencing).
CREATE TABLE execution_leases (
  execution_id ${KEY} PRIMARY KEY,
  worker TEXT,
  pid INTEGER,
  process_start TEXT,
  epoch BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX execution_leases_by_expiry ON execution_leases (expires_at);

CREATE TABLE flows (
  namespace ${KEY} NOT NULL,
  id ${KEY} NOT NULL,
  revision INTEGER NOT NULL,
  source TEXT NOT NULL,
  deleted BOOLEAN NOT NULL DEFAULT false,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, id)
);
CREATE TABLE flow_revisions (
  namespace ${KEY} NOT NULL,
  id ${KEY} NOT NULL,
  revision INTEGER NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (namespace, id, revision)
);

CREATE TABLE metrics (
  ord BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id ${KEY} NOT NULL,
  task_run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  tags_json TEXT NOT NULL,
  timestamp TEXT NOT NULL
);
CREATE INDEX metrics_by_execution ON metrics (execution_id, ord);
`,
  },
  {
    version: 2,
    description: 'harrier_fence: the lease check that each fenced write makes in its own statement',
    sql: `
-- Locks the lease row FOR SHARE until the caller's transaction ends (a take-over's FOR UPDATE waits
-- for it or passes it over), and refuses with ${FENCE_REFUSED} when the epoch moved on; the
-- detail is the store's epoch, empty when the execution has no lease.
CREATE FUNCTION harrier_fence(fenced_execution TEXT, fenced_epoch BIGINT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  held_epoch BIGINT;
BEGIN
  SELECT epoch INTO held_epoch FROM execution_leases WHERE execution_id = fenced_execution COLLATE "C" FOR SHARE;
  IF held_epoch IS DISTINCT FROM fenced_epoch THEN
    RAISE EXCEPTION 'lease of execution % moved past epoch %', fenced_execution, fenced_epoch
      USING ERRCODE = '${FENCE_REFUSED}', DETAIL = COALESCE(held_epoch::text, '');
  END IF;
  RETURN true;
END
$$;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Any constant: the key of the advisory lock every migrating harrier takes ("harrier" in ASCII). */
const MIGRATION_LOCK = 0x68617272696572n;

/**
 * Brings the database up to SCHEMA_VERSION in one transaction on `client`; refuses one that a
 * newer harrier migrated further. Returns the version it found (0 for an empty database).
 */
export async function migrate(client: ClientBase, address: ServerAddress, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  const latest = migrations[migrations.length - 1].version;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS harrier_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const { rows } = await client.query<{ value: string }>("SELECT value FROM harrier_meta WHERE key = 'schema_version'");
    const found = rows.length === 0 ? 0 : Number(rows[0].value);
    if (!Number.isInteger(found) || found > latest) {
      throw new StoreError(`the PostgreSQL store ${address.location} has schema version ${rows[0].value}, this harrier knows versions up to ${latest}`, {
        code: 'STORE_VERSION', hint: 'upgrade harrier to the version that migrated it, or use another database',
      });
    }
    for (const step of migrations) {
      if (step.version <= found) continue;
      try {
        await client.query(step.sql);
      } catch (error) {
        throw found === 0 && (error as { code?: unknown }).code === '42P07' ? foreignTables(address, error) : error;
      }
    }
    if (found < latest) {
      await client.query(`INSERT INTO harrier_meta (key, value) VALUES ('schema_version', $1)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [String(latest)]);
    }
    await client.query('COMMIT');
    return found;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function foreignTables(address: ServerAddress, cause: unknown): StoreError {
  return new StoreError(`database '${address.database}' at ${address.server} already has tables that are not Harrier's (${(cause as Error).message})`, {
    code: 'STORE_NOT_A_STORE', cause, hint: `give harrier a database of its own: \`createdb ${address.database}_harrier\`, and change the store URL`,
  });
}
