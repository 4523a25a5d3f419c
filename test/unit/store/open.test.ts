import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { StoreError, type ErrorCode } from '../../../src/shared/errors.ts';
import { SqliteStore, type ExecutionRecord } from '../../../src/store/index.ts';
import { STORE_VERSION } from '../../../src/store/sqlite/schema.ts';
import { executionsAsOfVersion } from './old-sqlite-stores.ts';

const stateDir = () => mkdtempSync(join(tmpdir(), 'harrier-open-'));

const execution = (id: string): ExecutionRecord => ({
  id, flowId: 'f', namespace: 'n', state: 'SUCCESS', flowFile: '/f.yaml', flowSource: 'x'.repeat(3000), inputs: {}, labels: {},
  options: {}, createdAt: '2024-01-01T00:00:00.000Z',
});

/** The StoreError `work` throws: its code, and one line that names the file and says what to do. */
async function storeError(work: () => Promise<unknown>, code: ErrorCode, dbPath: string): Promise<string> {
  try {
    await work();
  } catch (error) {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code);
    const text = error.userMessage();
    assert.doesNotMatch(text, /\n/);
    assert.ok(text.includes(dbPath), text);
    return text;
  }
  assert.fail('expected a StoreError');
}

test('a 0-byte harrier.db is refused, left as it is, and the advice is to restore or move it aside', async () => {
  const dir = stateDir();
  const dbPath = join(dir, 'harrier.db');
  writeFileSync(dbPath, '');
  const text = await storeError(async () => await SqliteStore.open(dir), 'STORE_NOT_A_STORE', dbPath);
  assert.equal(text, `${dbPath} is not a Harrier store: it is empty (0 bytes) (restore it from a backup, or move it aside with \`mv ${dbPath} ${dbPath}.damaged\` and harrier starts a new, empty store)`);
  assert.doesNotMatch(text, /writable/);
  assert.equal(statSync(dbPath).size, 0);
});

test('a file that is not SQLite, and an SQLite database that is not Harrier\'s, are refused without being changed', async () => {
  const dir = stateDir();
  const dbPath = join(dir, 'harrier.db');
  writeFileSync(dbPath, 'just some text\n');
  assert.match(await storeError(async () => await SqliteStore.open(dir), 'STORE_NOT_A_STORE', dbPath), /is not a Harrier store: it is not an SQLite database/);

  const other = stateDir();
  const otherPath = join(other, 'harrier.db');
  const foreign = new DatabaseSync(otherPath);
  foreign.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')");
  foreign.close();
  const before = readFileSync(otherPath);
  assert.match(await storeError(async () => await SqliteStore.open(other), 'STORE_NOT_A_STORE', otherPath), /is not a Harrier store: it is an SQLite database without Harrier's tables/);
  assert.deepEqual(readFileSync(otherPath), before, 'the foreign database is untouched');
});

test('an SQLite file with no tables at all (a harrier stopped before its first write) opens as a new store', async () => {
  const dir = stateDir();
  const db = new DatabaseSync(join(dir, 'harrier.db'));
  db.exec('PRAGMA journal_mode = WAL');
  db.close();
  assert.ok(statSync(join(dir, 'harrier.db')).size > 0);
  const store = await SqliteStore.open(dir);
  await store.insertExecution(execution('e1'));
  assert.equal((await store.listExecutions()).length, 1);
  await store.close();
});

/** A store of 200 executions, closed, with `pages` pages from page `at` overwritten by junk. */
async function damagedStore(at: number, pages = 3): Promise<{ dir: string; dbPath: string }> {
  const dir = stateDir();
  const store = await SqliteStore.open(dir);
  await store.transaction(async () => {
    for (let i = 0; i < 200; i++) await store.insertExecution(execution(`e${i}`));
  });
  await store.close();
  const dbPath = join(dir, 'harrier.db');
  const fd = openSync(dbPath, 'r+');
  writeSync(fd, Buffer.alloc(4096 * pages, 0x5a), 0, 4096 * pages, 4096 * at);
  closeSync(fd);
  return { dir, dbPath };
}

test('damage that stops the store opening is found by an integrity check and reported on one line', async () => {
  const { dir, dbPath } = await damagedStore(1);
  const text = await storeError(async () => await SqliteStore.open(dir), 'STORE_DAMAGED', dbPath);
  assert.match(text, new RegExp(`^the state store ${dbPath.replace(/[.]/g, '\\.')} is damaged \\(.+\\) \\(restore it from a backup, or move it aside with`));
  assert.doesNotMatch(text, /writable|\*\*\*/);
});

test('damage met later, by a query, is a StoreError that says so, not an internal error', async () => {
  const { dir, dbPath } = await damagedStore(100);
  const store = await SqliteStore.open(dir);
  assert.match(await storeError(async () => await store.listExecutions(500), 'STORE_DAMAGED', dbPath), /is damaged \(database disk image is malformed\)/);
  await store.close();
});

test('a store of version 1 is migrated, its executions kept; a newer one is refused', async () => {
  const dir = stateDir();
  const store = await SqliteStore.open(dir);
  await store.insertExecution(execution('old'));
  await store.close();
  const db = new DatabaseSync(join(dir, 'harrier.db'));
  executionsAsOfVersion(db, 1);
  db.close();
  const migrated = await SqliteStore.open(dir);
  assert.equal((await migrated.getExecution('old'))?.id, 'old');
  await migrated.setExecutionState('old', 'FAILED', '2024-01-01T00:00:01.000Z', { code: 'STORE_DISK_FULL', message: 'no space' });
  assert.deepEqual((await migrated.getExecution('old'))?.failure, { code: 'STORE_DISK_FULL', message: 'no space' });
  await migrated.close();

  const newer = new DatabaseSync(join(dir, 'harrier.db'));
  newer.exec(`UPDATE meta SET value = '${STORE_VERSION + 1}' WHERE key = 'version'`);
  newer.close();
  assert.match(await storeError(async () => await SqliteStore.open(dir), 'STORE_VERSION', join(dir, 'harrier.db')), new RegExp(`has version ${STORE_VERSION + 1}, this harrier expects ${STORE_VERSION}`));
});

/** A version 4 store as harrier wrote it: task runs unique per (execution, task), logs referring to them by rowid, no server columns. */
async function version4Store(dir: string): Promise<void> {
  const store = await SqliteStore.open(dir);
  await store.insertExecution(execution('e4'));
  await store.close();
  const db = new DatabaseSync(join(dir, 'harrier.db'));
  db.exec(`DROP TABLE task_runs;
CREATE TABLE task_runs (id TEXT PRIMARY KEY, execution_id TEXT NOT NULL REFERENCES executions(id), task_id TEXT NOT NULL,
  parent_task_run_id TEXT, ordinal INTEGER NOT NULL, state TEXT NOT NULL, outputs_json TEXT, output_files_json TEXT,
  next_attempt_at TEXT, started_at TEXT NOT NULL, ended_at TEXT, UNIQUE (execution_id, task_id));
INSERT INTO task_runs (rowid, id, execution_id, task_id, ordinal, state, outputs_json, started_at) VALUES
  (7, 'tr-a', 'e4', 'a', 0, 'SUCCESS', '{"x":1}', '2024-01-01T00:00:00.000Z');
INSERT INTO attempts (task_run_id, number, state, started_at) VALUES ('tr-a', 1, 'SUCCESS', '2024-01-01T00:00:00.000Z');
INSERT INTO log_chunks (execution_ref, task_run_ref, attempt, line_count, lines_json)
  SELECT rowid, 7, 1, 1, '[["INFO","stdout","2024-01-01T00:00:00.000Z","hello"]]' FROM executions WHERE id = 'e4';
`);
  executionsAsOfVersion(db, 4);
  db.close();
}

test('a version 4 store is migrated to the current version: task runs, attempts and the logs that point at them by rowid are kept; a task may then run once per iteration', async () => {
  const dir = stateDir();
  await version4Store(dir);
  const store = await SqliteStore.open(dir);
  const [run] = await store.taskRuns('e4');
  assert.deepEqual({ id: run.id, taskId: run.taskId, outputs: run.outputs, loopPath: run.loopPath, value: run.value }, {
    id: 'tr-a', taskId: 'a', outputs: { x: 1 }, loopPath: '', value: undefined,
  });
  assert.equal((await store.attempts('tr-a'))[0].state, 'SUCCESS');
  assert.deepEqual((await store.logs('e4')).map((line) => [line.taskId, line.line]), [['a', 'hello']]);
  for (const [index, value] of ['x', 'y'].entries()) {
    await store.insertTaskRun({ id: `tr-b${index}`, executionId: 'e4', taskId: 'b', value, iteration: index, loopPath: String(index), ordinal: index + 1, state: 'SUCCESS', startedAt: 'x' });
  }
  assert.deepEqual((await store.taskRuns('e4')).map((taskRun) => [taskRun.taskId, taskRun.loopPath, taskRun.value ?? null, taskRun.iteration ?? null]),
    [['a', '', null, null], ['b', '0', 'x', 0], ['b', '1', 'y', 1]]);
  await assert.rejects(async () => await store.insertTaskRun({ id: 'tr-dup', executionId: 'e4', taskId: 'b', loopPath: '1', ordinal: 9, state: 'SUCCESS', startedAt: 'x' }));
  await store.close();
  const db = new DatabaseSync(join(dir, 'harrier.db'));
  assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string }).value, String(STORE_VERSION));
  assert.equal(db.prepare('PRAGMA foreign_key_check').all().length, 0);
  db.close();
});

test('a state directory blocked by a file says so, without the writable hint', async () => {
  const parent = stateDir();
  const blocked = join(parent, 'state');
  writeFileSync(blocked, 'a file, not a folder');
  try {
    await SqliteStore.open(join(blocked, 'inner'));
    assert.fail('expected a StoreError');
  } catch (error) {
    assert.ok(error instanceof StoreError);
    assert.match(error.userMessage(), /cannot create the state directory .*: a file is in the way \(choose another --state-dir, or move the file aside\)/);
    assert.doesNotMatch(error.userMessage(), /writable/);
  }
});
