import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { StoreError } from '../../../src/shared/errors.ts';
import { LogWriter, SqliteStore, type LogRecord, type Store } from '../../../src/store/index.ts';
import { mountTmpfs, resizeTmpfs } from '../../support/tmpfs.ts';

async function seeded(stateDir: string): Promise<Store> {
  const store = await SqliteStore.open(stateDir);
  await store.insertExecution({
    id: 'e1', flowId: 'f', namespace: 'n', state: 'RUNNING', flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {},
    options: {}, createdAt: '2024-01-01T00:00:00.000Z',
  });
  return store;
}

const lines = (from: number, count: number): LogRecord[] => Array.from({ length: count }, (_, i) => ({
  executionId: 'e1', level: 'INFO', timestamp: '2024-01-01T00:00:00.000Z', line: `line ${from + i} ${'x'.repeat(60)}`,
}));

test('a full disk is a DISK_FULL StoreError, the store keeps what it had, and writes work again once there is room', async (t) => {
  const mount = mountTmpfs(t, 2);
  if (!mount) return;
  const stateDir = join(mount, 'state');
  const store = await seeded(stateDir);
  let stored = 0;
  let failure: unknown;
  for (let batch = 0; batch < 1_000 && !failure; batch++) {
    try {
      await store.insertLogs(lines(stored, 5_000));
      stored += 5_000;
    } catch (error) {
      failure = error;
    }
  }
  assert.ok(failure instanceof StoreError, `expected a StoreError, got ${String(failure)}`);
  assert.equal(failure.code, 'STORE_DISK_FULL');
  assert.equal(failure.message, `no space left on device at ${stateDir}`);
  assert.equal(await store.countLogs('e1'), stored, 'the failed batch left nothing behind');
  // A small write still fits in the space the failed transaction had taken.
  await store.setExecutionState('e1', 'FAILED', '2024-01-01T00:00:01.000Z', { code: 'STORE_DISK_FULL', message: failure.message });
  assert.equal((await store.getExecution('e1'))?.state, 'FAILED');

  resizeTmpfs(mount, 50);
  await store.insertLogs(lines(stored, 5_000));
  assert.equal(await store.countLogs('e1'), stored + 5_000);
  await store.close();
});

test('the log writer never throws into a runner\'s callback: it reports the first failure once and drops what follows', async (t) => {
  const mount = mountTmpfs(t, 2);
  if (!mount) return;
  const store = await seeded(join(mount, 'state'));
  const failures: StoreError[] = [];
  const writer = new LogWriter(store, { maxBatch: 5_000, onFailure: (error) => failures.push(error) });
  for (const record of lines(0, 400_000)) writer.write(record);
  await writer.flush();
  assert.equal(failures.length, 1);
  assert.equal(failures[0].code, 'STORE_DISK_FULL');
  const stored = await store.countLogs('e1');
  assert.ok(stored > 0 && stored < 400_000);
  resizeTmpfs(mount, 50);
  for (const record of lines(0, 10)) writer.write(record);
  await writer.flush();
  assert.equal(await store.countLogs('e1'), stored, 'a failed writer stores nothing more: the count it reported stays true');
  await store.close();
});
