import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasCode } from '../../../src/shared/errors.ts';
import { FencedStore, SqliteStore, type Store, type ExecutionRecord } from '../../../src/store/index.ts';

const A = { worker: 'a', pid: 1, processStart: '10' };
const B = { worker: 'b', pid: 2, processStart: '20' };

function execution(id: string, createdAt: string): ExecutionRecord {
  return {
    id, flowId: 'f', namespace: 'n', state: 'CREATED', flowFile: 'f.yaml', flowSource: 'id: f', inputs: {}, labels: {}, options: {}, createdAt,
  };
}

async function withStore(use: (store: Store) => Promise<void>): Promise<void> {
  const store = await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-leases-')));
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

test('FencedStore: writes with the current epoch go through, a stale writer is refused (LEASE_LOST) and changes nothing', async () => {
  await withStore(async (store) => {
    await store.insertExecution(execution('e', '2026-01-01T00:00:00.000Z'));
    await store.queueExecution('e');
    const stale = new FencedStore(store, { executionId: 'e', epoch: (await store.takeNextLease(A, 1000, 0))!.epoch });
    await stale.setExecutionState('e', 'RUNNING');
    const current = new FencedStore(store, { executionId: 'e', epoch: (await store.takeNextLease(B, 1000, 2000))!.epoch });
    const refused = (write: () => Promise<unknown>): Promise<void> => assert.rejects(write, (error: unknown) => hasCode(error, 'LEASE_LOST'));
    await refused(async () => await stale.setExecutionState('e', 'FAILED', '2026-01-01T00:00:09.000Z'));
    await refused(async () => await stale.insertLogs([{ executionId: 'e', level: 'INFO', timestamp: '2026-01-01T00:00:01.000Z', line: 'late' }]));
    await refused(async () => await stale.insertTaskRun({ id: 't', executionId: 'e', taskId: 't', ordinal: 0, loopPath: '', state: 'RUNNING', startedAt: '2026-01-01T00:00:01.000Z' }));
    await refused(async () => await stale.transaction(async () => await store.setExecutionOutputs('e', { x: 1 })));
    assert.equal((await store.getExecution('e'))!.state, 'RUNNING');
    assert.equal(await store.countLogs('e'), 0);
    assert.deepEqual(await store.taskRuns('e'), []);
    assert.equal((await store.getExecution('e'))!.outputs, undefined, 'the whole transaction was rolled back');
    await current.setExecutionState('e', 'SUCCESS', '2026-01-01T00:00:10.000Z');
    assert.deepEqual((await store.getExecution('e'))!.histories!.map((change) => change.state), ['CREATED', 'RUNNING', 'SUCCESS']);
  });
});

