import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecutionChanges, signallingStore } from '../../../src/engine/execution-changes.ts';
import { SqliteStore } from '../../../src/store/index.ts';
import { execution } from '../store/store-contract.ts';

/** How long `promise` took to settle, in ms. */
async function timed(promise: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await promise;
  return performance.now() - started;
}

test('a follower wakes at the execution\'s next change, each waiter once; another execution\'s change or none leaves it to its limit', async () => {
  const changes = new ExecutionChanges();
  const first = changes.next('e1', 10_000);
  const second = changes.next('e1', 10_000);
  const other = changes.next('e2', 50);
  changes.touch('e1');
  assert.ok(await timed(Promise.all([first, second])) < 1000, 'both woken by the change, long before their limit');
  assert.ok(await timed(other) >= 40, 'e2 waited for its limit: e1\'s change is not its own');
  const unchanged = changes.next('e1', 50);
  assert.ok(await timed(unchanged) >= 40, 'a change before the wait began does not count for it');
  assert.equal(changes.followed, 0, 'no waiter left behind');
});

test('the store of a run signals after each write that went through, never for a refused one', async () => {
  const store = await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-changes-')));
  try {
    let signals = 0;
    const signalling = signallingStore(store, () => signals++);
    await signalling.insertExecution(execution('e1'));
    await signalling.setExecutionState('e1', 'RUNNING');
    assert.equal(signals, 2);
    await assert.rejects(signalling.insertLogs([{ executionId: 'unknown', level: 'INFO', timestamp: '2024-01-01T00:00:00.000Z', line: 'x' }]));
    assert.equal(signals, 2, 'the refused batch signalled nothing');
    await signalling.transaction(() => store.setExecutionOutputs('e1', { a: 1 }));
    assert.equal(signals, 3, 'a transaction signals once it committed');
    assert.equal((await signalling.taskRuns('e1')).length, 0, 'reads go through');
    assert.equal(signals, 3, 'and signal nothing');
  } finally {
    await store.close();
  }
});
