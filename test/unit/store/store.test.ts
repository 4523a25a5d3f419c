import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogWriter, Store, type LogRecord } from '../../../src/store/index.ts';
import { Secrets } from '../../../src/engine/secrets.ts';

function openStore(): Store {
  return Store.open(mkdtempSync(join(tmpdir(), 'harrier-store-')));
}

function seed(store: Store): void {
  store.insertExecution({
    id: 'e1', flowId: 'f', namespace: 'n', state: 'RUNNING', flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {},
    options: {}, createdAt: '2024-01-01T00:00:00.000Z',
  });
  store.insertTaskRun({ id: 't1', executionId: 'e1', taskId: 'a', ordinal: 0, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
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
  assert.deepEqual([...store.outputStampsNewestFirst('t1', 1)], ['2024-01-01T00:00:01.900000000Z', '2024-01-01T00:00:02.000000000Z', '2024-01-01T00:00:01.000000001Z']);
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
    store.insertTaskRun({ id: 't2', executionId: 'e1', taskId: 'b', ordinal: 1, state: 'CREATED', startedAt: 'x' });
    store.insertTaskRun({ id: 't3', executionId: 'e1', taskId: 'b', ordinal: 2, state: 'CREATED', startedAt: 'x' });
  }));
  assert.deepEqual(store.taskRuns('e1').map((t) => t.id), ['t1']);
});

test('secret values are masked, longest first', () => {
  process.env.SECRET_UNIT_TOKEN = Buffer.from('abc123').toString('base64');
  const secrets = new Secrets(new Map([['LONG', 'abc123-long']]));
  assert.equal(secrets.mask('abc123'), 'abc123', 'nothing is masked before a secret is used');
  assert.equal(secrets.get('UNIT_TOKEN'), 'abc123');
  assert.equal(secrets.get('LONG'), 'abc123-long');
  assert.equal(secrets.mask('token abc123 and abc123-long'), 'token ****** and ******');
  assert.throws(() => secrets.get('MISSING'), /secret 'MISSING' is not defined/);
});
