import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore, type ExecutionRecord, type Store } from '../../../src/store/index.ts';

const execution = (id: string): ExecutionRecord => ({
  id, flowId: 'f', namespace: 'n', state: 'CREATED', flowFile: '/f.yaml', flowSource: 'id: f', inputs: {}, labels: {},
  options: {}, createdAt: '2026-01-01T00:00:00.000Z',
});

async function withStore(use: (store: Store) => Promise<void>): Promise<void> {
  const store = await SqliteStore.open(mkdtempSync(join(tmpdir(), 'harrier-transactions-')));
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

/** A promise and the function that resolves it: a transaction held open until the test says so. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

test('a call from another async context waits for the open transaction and never sees its uncommitted writes', async () => {
  await withStore(async (store) => {
    const held = gate();
    const transaction = store.transaction(async () => {
      await store.insertExecution(execution('inside'));
      await held.opened;
    });
    // Let the transaction begin and write before the outside read starts.
    await sleep(20);
    const read: { done: boolean; found?: ExecutionRecord } = { done: false };
    const outside = store.getExecution('inside').then((found) => {
      Object.assign(read, { done: true, found });
    });
    await sleep(50);
    assert.equal(read.done, false, 'the outside read waits while the transaction is open');
    held.open();
    await Promise.all([transaction, outside]);
    assert.equal(read.found?.id, 'inside', 'it runs once the transaction committed');
  });
});

test('a rolled-back transaction takes back every write of its async call chain, nested transactions included; an outside write stays', async () => {
  await withStore(async (store) => {
    const held = gate();
    const failing = store.transaction(async () => {
      await store.insertExecution(execution('a'));
      await store.transaction(async () => {
        await sleep(5);
        await store.insertExecution(execution('b'));
      });
      await held.opened;
      throw new Error('the work failed');
    });
    await sleep(20);
    const outside = store.insertExecution(execution('outside'));
    held.open();
    await assert.rejects(failing, /the work failed/);
    await outside;
    assert.deepEqual((await store.listExecutions()).map((listed) => listed.id), ['outside']);
  });
});

test('transactions of two async contexts run one after the other, each whole', async () => {
  await withStore(async (store) => {
    const order: string[] = [];
    const one = store.transaction(async () => {
      order.push('one begins');
      await store.insertExecution(execution('one'));
      await sleep(30);
      order.push('one ends');
    });
    const two = store.transaction(async () => {
      order.push('two begins');
      await store.insertExecution(execution('two'));
      order.push('two ends');
    });
    await Promise.all([one, two]);
    assert.deepEqual(order, ['one begins', 'one ends', 'two begins', 'two ends']);
  });
});

test('a timer set inside a transaction that has ended does not join the next one', async () => {
  await withStore(async (store) => {
    let late: Promise<void> | undefined;
    await store.transaction(async () => {
      await store.insertExecution(execution('first'));
      // Its callback keeps the transaction's async context, but runs after that transaction ended.
      late = new Promise<void>((resolve, reject) => setTimeout(() => store.insertExecution(execution('late')).then(resolve, reject), 30));
    });
    const held = gate();
    const failing = store.transaction(async () => {
      await store.insertExecution(execution('second'));
      await held.opened;
      throw new Error('rolled back');
    });
    await sleep(60);
    held.open();
    await assert.rejects(failing, /rolled back/);
    await late;
    assert.deepEqual((await store.listExecutions()).map((listed) => listed.id).sort(), ['first', 'late'], 'the late write was its own, not the rolled-back one\'s');
  });
});

test('watchQueue: queueing and releasing in this process wake the watcher, after the call; an unsubscribed one hears nothing', async () => {
  await withStore(async (store) => {
    let woken = 0;
    const unwatch = await store.watchQueue(() => woken++);
    await store.insertExecution(execution('e'));
    await store.queueExecution('e');
    assert.equal(woken, 0, 'not inside the queueing call');
    await sleep(5);
    assert.equal(woken, 1);
    const lease = (await store.takeNextLease({ worker: 'w', pid: process.pid }, 1000))!;
    await store.releaseLease('e', lease.epoch);
    await sleep(5);
    assert.equal(woken, 2);
    await unwatch();
    await store.queueExecution('e');
    await sleep(5);
    assert.equal(woken, 2);
  });
});
