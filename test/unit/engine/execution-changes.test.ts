import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecutionChanges, signallingStore } from '../../../src/engine/execution-changes.ts';
import { SqliteStore } from '../../../src/store/index.ts';
import { execution } from '../store/store-contract.ts';

/** When `promise` settled, in ms after `since` (a performance.now() reading). */
async function settledAfter(promise: Promise<unknown>, since: number): Promise<number> {
  await promise;
  return performance.now() - since;
}

test('a follower wakes at the next change of a kind it follows, each waiter once; another kind, another execution\'s change or none leaves it to its limit', async () => {
  const changes = new ExecutionChanges();
  const since = performance.now();
  const first = changes.next('e1', ['execution'], 10_000);
  const second = changes.next('e1', ['execution', 'taskRuns'], 10_000);
  const logsOnly = changes.next('e1', ['logs'], 50);
  const other = changes.next('e2', ['execution'], 50);
  changes.touch('e1', 'execution');
  assert.ok(await settledAfter(Promise.all([first, second]), since) < 5000, 'both woken by the change, long before their limit');
  const [logsWaited, otherWaited] = await Promise.all([settledAfter(logsOnly, since), settledAfter(other, since)]);
  assert.ok(logsWaited >= 45, `a follower of the log is not woken by a state change (${logsWaited} ms)`);
  assert.ok(otherWaited >= 45, `e2 waited for its limit: e1's change is not its own (${otherWaited} ms)`);
  const again = performance.now();
  changes.touch('e1', 'execution');
  const unchanged = changes.next('e1', ['execution'], 50);
  assert.ok(await settledAfter(unchanged, again) >= 45, 'a change before the wait began does not count for it');
  assert.equal(changes.followed, 0, 'no waiter left behind');
});

test('the store of a run signals what changed after each write that went through, never for a refused one', async () => {
  const store = await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-changes-')));
  try {
    const signals: string[] = [];
    const signalling = signallingStore(store, (kind) => signals.push(kind));
    await signalling.insertExecution(execution('e1'));
    await signalling.setExecutionState('e1', 'RUNNING');
    await signalling.insertTaskRun({ id: 't1', executionId: 'e1', taskId: 'a', loopPath: '', ordinal: 0, state: 'RUNNING', startedAt: '2024-01-01T00:00:00.000Z' });
    await signalling.insertLogs([{ executionId: 'e1', level: 'INFO', timestamp: '2024-01-01T00:00:00.000Z', line: 'x' }]);
    assert.deepEqual(signals, ['execution', 'execution', 'taskRuns', 'logs']);
    await assert.rejects(signalling.insertLogs([{ executionId: 'unknown', level: 'INFO', timestamp: '2024-01-01T00:00:00.000Z', line: 'x' }]));
    assert.equal(signals.length, 4, 'the refused batch signalled nothing');
    await signalling.transaction(() => store.setExecutionOutputs('e1', { a: 1 }));
    assert.deepEqual(signals.slice(4), ['execution', 'taskRuns', 'logs'], 'a transaction, once committed, may have changed anything');
    assert.equal((await signalling.taskRuns('e1')).length, 1, 'reads go through');
    assert.equal(signals.length, 7, 'and signal nothing');
  } finally {
    await store.close();
  }
});
