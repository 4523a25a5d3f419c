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

test('takeNextLease: only queued executions, oldest first, each by one slot until its lease expires; ended ones never', async () => {
  await withStore(async (store) => {
    await store.insertExecution(execution('cli', '2026-01-01T00:00:00.000Z'));
    await store.insertExecution(execution('old', '2026-01-01T00:00:01.000Z'));
    await store.insertExecution(execution('new', '2026-01-01T00:00:02.000Z'));
    await store.queueExecution('new');
    await store.queueExecution('old');
    const first = (await store.takeNextLease(A, 1000, 5000))!;
    assert.deepEqual([first.executionId, first.epoch, first.expiresAt, first.previous], ['old', 1, 6000, undefined]);
    assert.equal((await store.takeNextLease(B, 1000, 5000))!.executionId, 'new', 'the held one is skipped; `cli` has no lease row');
    assert.equal(await store.takeNextLease(B, 1000, 5500), undefined, 'both held');
    const takeover = (await store.takeNextLease(B, 1000, 6000))!;
    assert.deepEqual([takeover.executionId, takeover.epoch, takeover.previous], ['old', 2, A], 'expired: taken over with the next epoch');
    await store.setExecutionState('new', 'SUCCESS', '2026-01-01T00:00:03.000Z');
    assert.equal((await store.takeNextLease(A, 1000, 60_000))?.executionId, 'old', 'an ended execution is never taken');
  });
});

test('renewLease fails once the epoch moved on; a fenced release moves it on at once', async () => {
  await withStore(async (store) => {
    await store.insertExecution(execution('e', '2026-01-01T00:00:00.000Z'));
    await store.queueExecution('e');
    const lease = (await store.takeNextLease(A, 1000, 0))!;
    assert.equal(await store.renewLease('e', lease.epoch, 1000, 500), true);
    assert.equal((await store.leaseOf('e'))!.expiresAt, 1500);
    await store.releaseLease('e', lease.epoch, { fence: true });
    assert.deepEqual([(await store.leaseOf('e'))!.epoch, (await store.leaseOf('e'))!.expiresAt, (await store.leaseOf('e'))!.holder], [2, 0, undefined]);
    assert.equal(await store.renewLease('e', lease.epoch, 1000, 600), false);
    assert.equal((await store.takeNextLease(B, 1000, 600))!.epoch, 3, 'released: taken without waiting');
  });
});

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

test('flows keep every revision; a deleted one is gone from reads and counts on when saved again', async () => {
  await withStore(async (store) => {
    assert.equal((await store.saveFlow('n', 'f', 'v1')).revision, 1);
    assert.equal((await store.saveFlow('n', 'f', 'v2')).revision, 2);
    assert.equal((await store.getFlow('n', 'f'))!.source, 'v2');
    assert.deepEqual((await store.listFlows({ namespace: 'n' })).map((flow) => flow.id), ['f']);
    assert.equal(await store.deleteFlow('n', 'f'), true);
    assert.equal(await store.getFlow('n', 'f'), undefined);
    assert.equal(await store.deleteFlow('n', 'f'), false);
    assert.equal((await store.saveFlow('n', 'f', 'v3')).revision, 3);
    assert.deepEqual((await store.flowRevisions('n', 'f')).map((flow) => flow.source), ['v1', 'v2', 'v3']);
  });
});
