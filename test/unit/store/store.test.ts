import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cursorsFromStoredStream } from '../../../src/runners/log-replay.ts';
import { LogWriter, SqliteStore, type LogRecord, type Store } from '../../../src/store/index.ts';
import { TAKE_CANDIDATE } from '../../../src/store/sqlite/sqlite-store.ts';
import { STORE_VERSION } from '../../../src/store/sqlite/schema.ts';
import { executionsAsOfVersion } from './old-sqlite-stores.ts';

async function openStore(): Promise<Store> {
  return await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-store-')));
}

async function seed(store: Store): Promise<void> {
  await store.insertExecution({
    id: 'e1', flowId: 'f', namespace: 'n', state: 'RUNNING', flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {},
    options: {}, createdAt: '2024-01-01T00:00:00.000Z',
  });
  await store.insertTaskRun({ id: 't1', executionId: 'e1', taskId: 'a', loopPath: '', ordinal: 0, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
  await store.insertAttempt({ taskRunId: 't1', number: 1, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

const line = (timestamp: string, text: string, stream: LogRecord['stream'] = 'stdout'): LogRecord =>
  ({ executionId: 'e1', taskRunId: 't1', taskId: 'a', attempt: 1, level: 'INFO', stream, timestamp, line: text });

test('stored task output of an attempt: lines oldest first, stamps newest first; notices left out', async () => {
  const store = await openStore();
  await seed(store);
  assert.deepEqual(await all(store.outputStampsNewestFirst('t1', 1)), []);
  await store.insertLogs([
    line('2024-01-01T00:00:01.000000001Z', 'a'),
    line('2024-01-01T00:00:02.000000000Z', 'b'),
    line('2024-01-01T00:00:01.900000000Z', 'c', 'stderr'),
    { ...line('2024-01-01T00:00:09.000Z', 'a notice'), stream: undefined },
  ]);
  assert.deepEqual((await all(store.outputStampsNewestFirst('t1', 1))).map((stamp) => stamp.timestamp),
    ['2024-01-01T00:00:01.900000000Z', '2024-01-01T00:00:02.000000000Z', '2024-01-01T00:00:01.000000001Z']);
  assert.deepEqual(await all(store.outputLines('t1', 1)), [
    { stream: 'stdout', line: 'a', timestamp: '2024-01-01T00:00:01.000000001Z' },
    { stream: 'stdout', line: 'b', timestamp: '2024-01-01T00:00:02.000000000Z' },
    { stream: 'stderr', line: 'c', timestamp: '2024-01-01T00:00:01.900000000Z' },
  ]);
  assert.deepEqual(await all(store.outputLines('t1', 2)), []);
});

test('the log writer batches and keeps order', async () => {
  const store = await openStore();
  await seed(store);
  const writer = new LogWriter(store, { maxBatch: 3, intervalMs: 10_000 });
  for (let i = 0; i < 7; i++) writer.write(line(`2024-01-01T00:00:0${i}Z`, String(i)));
  // The full batches are stored in the background: wait for them, then for whatever else might come.
  for (let waited = 0; waited < 100 && await store.countLogs('e1') < 6; waited++) await sleep(10);
  await sleep(50);
  assert.equal(await store.countLogs('e1'), 6, 'two full batches flushed, one line still buffered');
  await writer.flush();
  assert.deepEqual((await store.logs('e1')).map((r) => r.line), ['0', '1', '2', '3', '4', '5', '6']);
});

test('a failed transaction leaves nothing behind', async () => {
  const store = await openStore();
  await seed(store);
  await assert.rejects(async () => await store.transaction(async () => {
    await store.insertTaskRun({ id: 't2', executionId: 'e1', taskId: 'b', loopPath: '', ordinal: 1, state: 'CREATED', startedAt: 'x' });
    await store.insertTaskRun({ id: 't3', executionId: 'e1', taskId: 'b', loopPath: '', ordinal: 2, state: 'CREATED', startedAt: 'x' });
  }));
  assert.deepEqual((await store.taskRuns('e1')).map((t) => t.id), ['t1']);
});

test('a line keeps the container that printed it; its own text never names one', async () => {
  const store = await openStore();
  await seed(store);
  await store.insertLogs([
    { ...line('2024-01-01T00:00:01.000Z', 'main 1'), container: 'main' },
    { ...line('2024-01-01T00:00:05.000Z', 'side 1'), container: 'side' },
    { ...line('2024-01-01T00:00:03.000Z', '[side] main 2, looking like side'), container: 'main' },
    line('2024-01-01T00:00:03.500Z', 'no container'),
  ]);
  assert.deepEqual((await store.logs('e1')).map((r) => [r.container, r.line]), [
    ['main', 'main 1'], ['side', 'side 1'], ['main', '[side] main 2, looking like side'], [undefined, 'no container'],
  ]);
  assert.deepEqual((await all(store.outputLines('t1', 1))).map((l) => l.container), ['main', 'side', 'main', undefined]);
  assert.deepEqual((await cursorsFromStoredStream(store.outputStampsNewestFirst('t1', 1))).containerCursors, {
    main: { since: '2024-01-01T00:00:02Z', linesSince: 1 },
    side: { since: '2024-01-01T00:00:04Z', linesSince: 1 },
  });
});

test('a version 1 store opens, its lines read as lines of no container; a newer store is refused', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'harrier-store-'));
  const store = await SqliteStore.open(stateDir);
  await seed(store);
  await store.close();
  const db = new DatabaseSync(join(stateDir, 'harrier.db'));
  executionsAsOfVersion(db, 1);
  db.prepare('INSERT INTO log_chunks (execution_ref, task_run_ref, attempt, line_count, lines_json) VALUES (1, 1, 1, 1, ?)')
    .run(JSON.stringify([['INFO', 'stdout', '2024-01-01T00:00:01.000Z', '[side] printed before the upgrade']]));
  db.close();

  const upgraded = await SqliteStore.open(stateDir);
  assert.deepEqual((await upgraded.logs('e1')).map((r) => [r.container, r.line]), [[undefined, '[side] printed before the upgrade']]);
  await upgraded.close();
  const check = new DatabaseSync(join(stateDir, 'harrier.db'));
  assert.equal((check.prepare("SELECT value FROM meta WHERE key = 'version'").get() as { value: string }).value, String(STORE_VERSION));
  check.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(String(STORE_VERSION + 1));
  await check.close();
  await assert.rejects(async () => await SqliteStore.open(stateDir), new RegExp(`has version ${STORE_VERSION + 1}, this harrier expects ${STORE_VERSION}`));
});

test('outputs are saved apart from the state: an attempt without output files keeps the earlier ones', async () => {
  const store = await openStore();
  await seed(store);
  const files = { 'a.txt': { uri: 'kestra:///a.txt', path: '/s/a.txt' } };
  await store.saveTaskRunOutputs('t1', { first: 1 }, files);
  await store.saveTaskRunOutputs('t1', { second: 2 }, undefined);
  await store.updateTaskRun('t1', { state: 'SUCCESS', endedAt: '2024-01-01T00:00:01.000Z' });
  const [taskRun] = await store.taskRuns('e1');
  assert.deepEqual([taskRun.state, taskRun.outputs, taskRun.outputFiles], ['SUCCESS', { second: 2 }, files]);
});

test('a slot\'s take starts at the unfinished executions\' index, never at the lease rows every ended execution keeps, and finds the oldest one free', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'harrier-store-'));
  const store = await SqliteStore.open(stateDir);
  const execution = (id: string, second: number) => ({
    id, flowId: 'f', namespace: 'n', state: 'CREATED' as const, flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {}, options: {},
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(),
  });
  await store.transaction(async () => {
    for (let i = 0; i < 50; i++) {
      await store.insertExecution(execution(`ended${i}`, i), { queued: true });
      await store.setExecutionState(`ended${i}`, 'SUCCESS');
    }
  });
  await store.insertExecution(execution('held', 50), { queued: true });
  await store.insertExecution(execution('free', 51), { queued: true });
  assert.equal((await store.takeNextLease({ worker: 'a', pid: 1 }, 60_000))?.executionId, 'held');
  assert.equal((await store.takeNextLease({ worker: 'b', pid: 2 }, 60_000))?.executionId, 'free', 'the held one is passed over');
  assert.equal(await store.takeNextLease({ worker: 'c', pid: 3 }, 60_000), undefined, 'no ended execution is ever taken');
  await store.close();
  const db = new DatabaseSync(join(stateDir, 'harrier.db'));
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${TAKE_CANDIDATE}`).all(Date.now()) as { detail: string }[]).map((step) => step.detail);
  db.close();
  assert.match(plan[0], /^SCAN e USING INDEX executions_unfinished/, plan.join('; '));
  assert.ok(!plan.some((step) => /execution_leases_by_expiry|TEMP B-TREE/.test(step)), plan.join('; '));
});
