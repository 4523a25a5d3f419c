import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { cursorsFromStored } from '../../../src/runners/log-replay.ts';
import { LogWriter, Store, type LogRecord } from '../../../src/store/index.ts';
import { STORE_VERSION } from '../../../src/store/schema.ts';

function openStore(): Store {
  return Store.open(mkdtempSync(join(tmpdir(), 'harrier-store-')));
}

function seed(store: Store): void {
  store.insertExecution({
    id: 'e1', flowId: 'f', namespace: 'n', state: 'RUNNING', flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {},
    options: {}, createdAt: '2024-01-01T00:00:00.000Z',
  });
  store.insertTaskRun({ id: 't1', executionId: 'e1', taskId: 'a', loopPath: '', ordinal: 0, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
  store.insertAttempt({ taskRunId: 't1', number: 1, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
}

const line = (timestamp: string, text: string, stream: LogRecord['stream'] = 'stdout'): LogRecord =>
  ({ executionId: 'e1', taskRunId: 't1', taskId: 'a', attempt: 1, level: 'INFO', stream, timestamp, line: text });

test('stored task output of an attempt: lines oldest first, stamps newest first; notices left out', () => {
  const store = openStore();
  seed(store);
  assert.deepEqual([...store.outputStampsNewestFirst('t1', 1)], []);
  store.insertLogs([
    line('2024-01-01T00:00:01.000000001Z', 'a'),
    line('2024-01-01T00:00:02.000000000Z', 'b'),
    line('2024-01-01T00:00:01.900000000Z', 'c', 'stderr'),
    { ...line('2024-01-01T00:00:09.000Z', 'a notice'), stream: undefined },
  ]);
  assert.deepEqual([...store.outputStampsNewestFirst('t1', 1)].map((stamp) => stamp.timestamp),
    ['2024-01-01T00:00:01.900000000Z', '2024-01-01T00:00:02.000000000Z', '2024-01-01T00:00:01.000000001Z']);
  assert.deepEqual([...store.outputLines('t1', 1)], [
    { stream: 'stdout', line: 'a', timestamp: '2024-01-01T00:00:01.000000001Z' },
    { stream: 'stdout', line: 'b', timestamp: '2024-01-01T00:00:02.000000000Z' },
    { stream: 'stderr', line: 'c', timestamp: '2024-01-01T00:00:01.900000000Z' },
  ]);
  assert.deepEqual([...store.outputLines('t1', 2)], []);
});

test('the log writer batches and keeps order', () => {
  const store = openStore();
  seed(store);
  const writer = new LogWriter(store, { maxBatch: 3, intervalMs: 10_000 });
  for (let i = 0; i < 7; i++) writer.write(line(`2024-01-01T00:00:0${i}Z`, String(i)));
  assert.equal(store.countLogs('e1'), 6, 'two full batches flushed, one line still buffered');
  writer.flush();
  assert.deepEqual(store.logs('e1').map((r) => r.line), ['0', '1', '2', '3', '4', '5', '6']);
});

test('a failed transaction leaves nothing behind', () => {
  const store = openStore();
  seed(store);
  assert.throws(() => store.transaction(() => {
    store.insertTaskRun({ id: 't2', executionId: 'e1', taskId: 'b', loopPath: '', ordinal: 1, state: 'CREATED', startedAt: 'x' });
    store.insertTaskRun({ id: 't3', executionId: 'e1', taskId: 'b', loopPath: '', ordinal: 2, state: 'CREATED', startedAt: 'x' });
  }));
  assert.deepEqual(store.taskRuns('e1').map((t) => t.id), ['t1']);
});

test('a line keeps the container that printed it; its own text never names one', () => {
  const store = openStore();
  seed(store);
  store.insertLogs([
    { ...line('2024-01-01T00:00:01.000Z', 'main 1'), container: 'main' },
    { ...line('2024-01-01T00:00:05.000Z', 'side 1'), container: 'side' },
    { ...line('2024-01-01T00:00:03.000Z', '[side] main 2, looking like side'), container: 'main' },
    line('2024-01-01T00:00:03.500Z', 'no container'),
  ]);
  assert.deepEqual(store.logs('e1').map((r) => [r.container, r.line]), [
    ['main', 'main 1'], ['side', 'side 1'], ['main', '[side] main 2, looking like side'], [undefined, 'no container'],
  ]);
  assert.deepEqual([...store.outputLines('t1', 1)].map((l) => l.container), ['main', 'side', 'main', undefined]);
  assert.deepEqual(cursorsFromStored(store.outputStampsNewestFirst('t1', 1)).containerCursors, {
    main: { since: '2024-01-01T00:00:02Z', linesSince: 1 },
    side: { since: '2024-01-01T00:00:04Z', linesSince: 1 },
  });
});

test('a version 1 store opens, its lines read as lines of no container; a newer store is refused', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'harrier-store-'));
  const store = Store.open(stateDir);
  seed(store);
  store.close();
  const db = new DatabaseSync(join(stateDir, 'harrier.db'));
  db.prepare("UPDATE meta SET value = '1' WHERE key = 'version'").run();
  db.exec('ALTER TABLE executions DROP COLUMN failure_json; ALTER TABLE executions DROP COLUMN outputs_json; ALTER TABLE executions DROP COLUMN histories_json; ALTER TABLE executions DROP COLUMN kill_requested');
  db.prepare('INSERT INTO log_chunks (execution_ref, task_run_ref, attempt, line_count, lines_json) VALUES (1, 1, 1, 1, ?)')
    .run(JSON.stringify([['INFO', 'stdout', '2024-01-01T00:00:01.000Z', '[side] printed before the upgrade']]));
  db.close();

  const upgraded = Store.open(stateDir);
  assert.deepEqual(upgraded.logs('e1').map((r) => [r.container, r.line]), [[undefined, '[side] printed before the upgrade']]);
  upgraded.close();
  const check = new DatabaseSync(join(stateDir, 'harrier.db'));
  assert.equal((check.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string }).value, String(STORE_VERSION));
  check.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(String(STORE_VERSION + 1));
  check.close();
  assert.throws(() => Store.open(stateDir), new RegExp(`has version ${STORE_VERSION + 1}, this harrier expects ${STORE_VERSION}`));
});

test('outputs are saved apart from the state: an attempt without output files keeps the earlier ones', () => {
  const store = openStore();
  seed(store);
  const files = { 'a.txt': { uri: 'kestra:///a.txt', path: '/s/a.txt' } };
  store.saveTaskRunOutputs('t1', { first: 1 }, files);
  store.saveTaskRunOutputs('t1', { second: 2 }, undefined);
  store.updateTaskRun('t1', { state: 'SUCCESS', endedAt: '2024-01-01T00:00:01.000Z' });
  const [taskRun] = store.taskRuns('e1');
  assert.deepEqual([taskRun.state, taskRun.outputs, taskRun.outputFiles], ['SUCCESS', { second: 2 }, files]);
});
