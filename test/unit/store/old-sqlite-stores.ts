/**
 * Stores as older harriers left them, made from a current one. The executions table is rebuilt with
 * the columns it had then, rather than with ALTER TABLE ... DROP COLUMN, which the SQLite of Node 22
 * (3.51) refuses on harrier's schema: it mis-edits a CREATE TABLE with comments between its columns.
 */
import type { DatabaseSync } from 'node:sqlite';

/** The executions columns of version 1; rowids are kept, as log chunks refer to executions by rowid. */
const VERSION_1_COLUMNS = [
  'id TEXT PRIMARY KEY', 'flow_id TEXT NOT NULL', 'namespace TEXT NOT NULL', 'state TEXT NOT NULL', 'flow_file TEXT NOT NULL',
  'flow_source TEXT NOT NULL', 'inputs_json TEXT NOT NULL', 'labels_json TEXT NOT NULL', 'options_json TEXT NOT NULL',
  'created_at TEXT NOT NULL', 'ended_at TEXT',
];
/** The columns later versions added, by the version that added them (schema.ts MIGRATIONS). */
const ADDED_COLUMNS: Record<number, string[]> = { 3: ['failure_json TEXT'], 4: ['outputs_json TEXT'] };

/** Rebuilds `executions` with the columns it had at `version` (1 to 5), keeping its rows, and sets that version. */
export function executionsAsOfVersion(db: DatabaseSync, version: number): void {
  const definitions = [...VERSION_1_COLUMNS, ...Object.entries(ADDED_COLUMNS).filter(([added]) => Number(added) <= version).flatMap(([, columns]) => columns)];
  const names = definitions.map((definition) => definition.split(' ')[0]).join(', ');
  db.exec(`PRAGMA foreign_keys = OFF;
CREATE TABLE executions_old (${definitions.join(', ')});
INSERT INTO executions_old (rowid, ${names}) SELECT rowid, ${names} FROM executions;
DROP TABLE executions;
ALTER TABLE executions_old RENAME TO executions;
UPDATE meta SET value = '${version}' WHERE key = 'version';`);
}
