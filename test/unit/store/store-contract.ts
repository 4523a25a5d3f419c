/**
 * The store contract: one suite that every implementation of the Store interface passes (SQLite,
 * PostgreSQL), so that the engine and the server behave the same on either. Each test opens a new,
 * empty store. Positions (`seq`) are only compared, never spelt out: each store numbers its own way.
 */
import assert from 'node:assert/strict';
import { AsyncResource } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasCode, StoreError } from '../../../src/shared/errors.ts';
import type { Store } from '../../../src/store/contract.ts';
import { FencedStore, type ExecutionStore } from '../../../src/store/fenced-store.ts';
import type { ExecutionRecord, LogRecord, TaskRunRecord } from '../../../src/store/records.ts';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

const A = { worker: 'a', pid: 1, processStart: '10' };
const B = { worker: 'b', pid: 2, processStart: '20' };
const T0 = '2026-01-01T00:00:00.000Z';

export function execution(id: string, createdAt = T0, extra: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return { id, flowId: 'f', namespace: 'n', state: 'CREATED', flowFile: 'f.yaml', flowSource: 'id: f', inputs: {}, labels: {}, options: {}, createdAt, ...extra };
}

function taskRun(id: string, executionId: string, ordinal: number, extra: Partial<TaskRunRecord> = {}): TaskRunRecord {
  return { id, executionId, taskId: `task-${id}`, loopPath: '', ordinal, state: 'RUNNING', startedAt: T0, ...extra };
}

const line = (text: string, extra: Partial<LogRecord> = {}): LogRecord =>
  ({ executionId: 'e1', taskRunId: 't1', taskId: 'task-t1', attempt: 1, level: 'INFO', stream: 'stdout', timestamp: T0, line: text, ...extra });

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function refusedWith(promise: Promise<unknown>, code: 'LEASE_LOST' | 'STORE_FAILED'): Promise<StoreError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${code}`), (error: unknown) => { caught = error; });
  assert.ok(hasCode(caught, code), `expected ${code}, got ${String(caught)}`);
  return caught as StoreError;
}

/** An execution with one task run and its first attempt. */
async function seed(store: Store): Promise<void> {
  await store.insertExecution(execution('e1', T0, { state: 'RUNNING' }));
  await store.insertTaskRun(taskRun('t1', 'e1', 0));
  await store.insertAttempt({ taskRunId: 't1', number: 1, state: 'RUNNING', startedAt: T0 });
}

export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  /** A test on a new store, closed afterwards whatever happens. */
  const withStore = (title: string, body: (store: Store) => Promise<void>): void => {
    test(title, async () => {
      const opened = await open();
      try {
        await body(opened.store);
      } finally {
        await opened.close();
      }
    });
  };

  describe(`store contract: ${name}`, () => {
    withStore('an execution reads back as written, with its first history entry', async (store) => {
      const record = execution('e1', T0, { inputs: { b: 1, a: [2, 'x'] }, labels: { team: 'data' }, options: { flowRevision: 3, flowsDirs: ['/f'] } });
      await store.insertExecution(record);
      assert.deepEqual(await store.getExecution('e1'), {
        ...record, endedAt: undefined, failure: undefined, outputs: undefined, histories: [{ state: 'CREATED', date: T0 }],
      });
      assert.equal(await store.getExecution('nope'), undefined);
    });

    withStore('secret names and runner settings join the options; outputs are kept', async (store) => {
      await store.insertExecution(execution('e1', T0, { options: { flowRevision: 2 } }));
      await store.setSecretNames('e1', ['A', 'B']);
      await store.setRunnerSettings('e1', { docker: { host: 'unix:///d.sock' } });
      await store.setSecretNames('e1', ['C']);
      await store.setExecutionOutputs('e1', { answer: 42, nested: { list: [1, 2] } });
      const read = (await store.getExecution('e1'))!;
      assert.deepEqual(read.options, { flowRevision: 2, secretNames: ['C'], runnerSettings: { docker: { host: 'unix:///d.sock' } } });
      assert.deepEqual(read.outputs, { answer: 42, nested: { list: [1, 2] } });
    });

    withStore('one label is set, the others unchanged', async (store) => {
      await store.insertExecution(execution('e1', T0, { labels: { team: 'data', 'system.correlationId': 'e1' } }));
      await store.setLabel('e1', 'system.replayed', 'true');
      await store.setLabel('e1', 'team', 'ops');
      assert.deepEqual((await store.getExecution('e1'))!.labels, { team: 'ops', 'system.correlationId': 'e1', 'system.replayed': 'true' });
      const { results } = await store.searchExecutions({ labels: { 'system.replayed': 'true' } }, { offset: 0, limit: 10 });
      assert.deepEqual(results.map((found) => found.id), ['e1']);
    });

    withStore('a new state is appended to the histories unless unchanged; a failure is kept only with its state', async (store) => {
      await store.insertExecution(execution('e1'));
      await store.setExecutionState('e1', 'RUNNING', undefined);
      await store.setExecutionState('e1', 'RUNNING', undefined);
      const failure = { code: 'STORE_DISK_FULL' as const, message: 'no space' };
      await store.setExecutionState('e1', 'FAILED', '2026-01-01T00:00:05.000Z', failure);
      let read = (await store.getExecution('e1'))!;
      assert.deepEqual([read.state, read.endedAt, read.failure], ['FAILED', '2026-01-01T00:00:05.000Z', failure]);
      assert.deepEqual(read.histories!.map((change) => change.state), ['CREATED', 'RUNNING', 'FAILED']);
      assert.equal(read.histories![2].date, '2026-01-01T00:00:05.000Z', 'an end is dated by its endedAt');
      await store.setExecutionState('e1', 'RUNNING');
      read = (await store.getExecution('e1'))!;
      assert.deepEqual([read.state, read.endedAt, read.failure], ['RUNNING', undefined, undefined]);
    });

    withStore('listExecutions: newest first (insertion order among equal stamps), up to the limit', async (store) => {
      await store.insertExecution(execution('old', '2026-01-01T00:00:01.000Z'));
      await store.insertExecution(execution('same-1', '2026-01-01T00:00:02.000Z'));
      await store.insertExecution(execution('same-2', '2026-01-01T00:00:02.000Z'));
      assert.deepEqual((await store.listExecutions()).map((e) => e.id), ['same-2', 'same-1', 'old']);
      assert.deepEqual((await store.listExecutions(2)).map((e) => e.id), ['same-2', 'same-1']);
    });

    withStore('findExecutionIds: by prefix, LIKE characters taken literally, at most 5', async (store) => {
      for (const id of ['abc1', 'abc2', 'abd', 'a_c', 'a%c', 'abc3', 'abc4', 'abc5', 'abc6']) await store.insertExecution(execution(id));
      assert.deepEqual((await store.findExecutionIds('abd')), ['abd']);
      assert.deepEqual((await store.findExecutionIds('a_')), ['a_c']);
      assert.deepEqual((await store.findExecutionIds('a%')), ['a%c']);
      assert.equal((await store.findExecutionIds('abc')).length, 5);
      assert.deepEqual(await store.findExecutionIds('zz'), []);
    });

    withStore('successorOf: the execution a CREATE_NEW_EXECUTION retry made', async (store) => {
      await store.insertExecution(execution('first'));
      const retryOf = { originalId: 'first', originalCreatedAt: T0, attemptNumber: 2, previousId: 'first' };
      await store.insertExecution(execution('second', '2026-01-01T00:00:01.000Z', { options: { retryOf } }));
      assert.equal((await store.successorOf('first'))?.id, 'second');
      assert.equal(await store.successorOf('second'), undefined);
    });

    withStore('searchExecutions: namespace with its children, flow, states, labels, dates; paged with the total', async (store) => {
      await store.insertExecution(execution('a', '2026-01-01T00:00:01.000Z', { namespace: 'company', labels: { team: 'x' } }));
      await store.insertExecution(execution('b', '2026-01-01T00:00:02.000Z', { namespace: 'company.team', flowId: 'g', labels: { team: 'y' } }));
      await store.insertExecution(execution('c', '2026-01-01T00:00:03.000Z', { namespace: 'companyother', state: 'SUCCESS' }));
      await store.insertExecution(execution('d', '2026-01-01T00:00:04.000Z', { namespace: 'company', labels: { team: 'x', env: 'prod' } }));
      const ids = async (filter: Parameters<Store['searchExecutions']>[0], page = { offset: 0, limit: 10 }) => {
        const { results, total } = await store.searchExecutions(filter, page);
        return [results.map((e) => e.id), total];
      };
      assert.deepEqual(await ids({}), [['d', 'c', 'b', 'a'], 4]);
      assert.deepEqual(await ids({ namespace: 'company' }), [['d', 'b', 'a'], 3]);
      assert.deepEqual(await ids({ flowId: 'g' }), [['b'], 1]);
      assert.deepEqual(await ids({ states: ['SUCCESS', 'FAILED'] }), [['c'], 1]);
      assert.deepEqual(await ids({ labels: { team: 'x' } }), [['d', 'a'], 2]);
      assert.deepEqual(await ids({ labels: { team: 'x', env: 'prod' } }), [['d'], 1]);
      assert.deepEqual(await ids({ startDate: '2026-01-01T00:00:02.000Z', endDate: '2026-01-01T00:00:03.000Z' }), [['c', 'b'], 2]);
      assert.deepEqual(await ids({}, { offset: 1, limit: 2 }), [['c', 'b'], 4]);
    });

    withStore('a kill request is seen by any reader, and on the execution read', async (store) => {
      await store.insertExecution(execution('e1'));
      assert.equal(await store.killRequested('e1'), false);
      assert.equal((await store.getExecution('e1'))!.killRequested, undefined);
      await store.requestKill('e1');
      assert.equal(await store.killRequested('e1'), true);
      assert.equal((await store.getExecution('e1'))!.killRequested, true);
      assert.equal(await store.killRequested('nope'), false);
    });

    withStore('takeNextLease: only queued executions, oldest first, each by one slot until its lease expires; ended ones never', async (store) => {
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
      assert.deepEqual(await store.leaseOf('old'), { executionId: 'old', epoch: 2, expiresAt: 7000, holder: B });
      await store.setExecutionState('new', 'SUCCESS', '2026-01-01T00:00:03.000Z');
      assert.equal((await store.takeNextLease(A, 1000, 60_000))?.executionId, 'old', 'an ended execution is never taken');
      assert.equal(await store.leaseOf('cli'), undefined);
    });

    withStore('a re-queue keeps the epoch and frees the lease', async (store) => {
      await store.insertExecution(execution('e'));
      await store.queueExecution('e');
      await store.takeNextLease(A, 1000, 0);
      await store.queueExecution('e');
      assert.deepEqual(await store.leaseOf('e'), { executionId: 'e', epoch: 1, expiresAt: 0, holder: undefined });
      assert.equal((await store.takeNextLease(B, 1000, 0))!.epoch, 2);
    });

    withStore('renewLease fails once the epoch moved on; a fenced release moves it on at once, a plain one keeps it', async (store) => {
      await store.insertExecution(execution('e'));
      await store.queueExecution('e');
      const lease = (await store.takeNextLease(A, 1000, 0))!;
      assert.equal(await store.renewLease('e', lease.epoch, 1000, 500), true);
      assert.equal((await store.leaseOf('e'))!.expiresAt, 1500);
      await store.releaseLease('e', lease.epoch, { fence: true });
      assert.deepEqual(await store.leaseOf('e'), { executionId: 'e', epoch: 2, expiresAt: 0, holder: undefined });
      assert.equal(await store.renewLease('e', lease.epoch, 1000, 600), false);
      const again = (await store.takeNextLease(B, 1000, 600))!;
      assert.equal(again.epoch, 3, 'released: taken without waiting');
      await store.releaseLease('e', 1, { fence: true });
      assert.equal((await store.leaseOf('e'))!.epoch, 3, 'a release with a stale epoch changes nothing');
      await store.releaseLease('e', 3);
      assert.deepEqual(await store.leaseOf('e'), { executionId: 'e', epoch: 3, expiresAt: 0, holder: undefined });
    });

    withStore('fenced: the current epoch passes; a stale one is refused (LEASE_LOST) and its whole transaction changes nothing', async (store) => {
      await store.insertExecution(execution('e'));
      await store.queueExecution('e');
      const stale = (await store.takeNextLease(A, 1000, 0))!;
      const current = (await store.takeNextLease(B, 1000, 2000))!;
      await store.fenced(current, () => store.setExecutionOutputs('e', { by: 'current' }));
      const refused = await refusedWith(store.fenced(stale, () => store.transaction(async () => {
        await store.setExecutionState('e', 'FAILED');
        await store.setExecutionOutputs('e', { late: true });
      })), 'LEASE_LOST');
      assert.match(refused.message, /^write refused for execution e: this worker holds lease epoch 1, the store has 2$/);
      const read = (await store.getExecution('e'))!;
      assert.deepEqual([read.state, read.outputs], ['CREATED', { by: 'current' }]);
      await store.insertExecution(execution('unleased'));
      const unleased = await refusedWith(store.fenced({ executionId: 'unleased', epoch: 1 }, () => store.setExecutionOutputs('unleased', { x: 1 })), 'LEASE_LOST');
      assert.match(unleased.message, /the store has no lease$/);
      assert.equal((await store.getExecution('unleased'))!.outputs, undefined);
    });

    withStore('FencedStore: every write of a stale holder is refused (LEASE_LOST) and changes nothing; the current holder\'s go through', async (store) => {
      await seed(store);
      await store.queueExecution('e1');
      const stale = new FencedStore(store, (await store.takeNextLease(A, 1000, 0))!);
      await stale.setExecutionState('e1', 'RUNNING');
      const current = new FencedStore(store, (await store.takeNextLease(B, 1000, 2000))!);
      const before = {
        execution: await store.getExecution('e1'), taskRuns: await store.taskRuns('e1'), attempts: await store.attemptsOfExecution('e1'),
        logs: await store.countLogs('e1'), metrics: await store.metrics('e1'), executions: (await store.listExecutions()).length,
      };
      const writes: Record<keyof Omit<ExecutionStore, 'taskRuns' | 'attempts' | 'outputLines' | 'outputStampsNewestFirst' | 'countLogs'>, (fenced: ExecutionStore) => Promise<unknown>> = {
        transaction: (fenced) => fenced.transaction(() => store.setExecutionOutputs('e1', { inside: true })),
        insertExecution: (fenced) => fenced.insertExecution(execution('successor')),
        setExecutionState: (fenced) => fenced.setExecutionState('e1', 'FAILED', T0),
        setExecutionOutputs: (fenced) => fenced.setExecutionOutputs('e1', { x: 1 }),
        setSecretNames: (fenced) => fenced.setSecretNames('e1', ['TOKEN']),
        insertTaskRun: (fenced) => fenced.insertTaskRun(taskRun('t2', 'e1', 1)),
        updateTaskRun: (fenced) => fenced.updateTaskRun('t1', { state: 'FAILED', endedAt: T0 }),
        saveTaskRunOutputs: (fenced) => fenced.saveTaskRunOutputs('t1', { x: 1 }, undefined),
        insertAttempt: (fenced) => fenced.insertAttempt({ taskRunId: 't1', number: 2, state: 'RUNNING', startedAt: T0 }),
        finishAttempt: (fenced) => fenced.finishAttempt('t1', 1, { state: 'FAILED', endedAt: T0, runnerKind: 'docker' }, { values: { y: 2 } }),
        saveResumeHandle: (fenced) => fenced.saveResumeHandle('t1', 1, { containerId: 'c' }, 'docker'),
        insertLogs: (fenced) => fenced.insertLogs([line('late')]),
        insertMetrics: (fenced) => fenced.insertMetrics([{ executionId: 'e1', taskRunId: 't1', name: 'm', type: 'counter', value: 1, tags: {}, timestamp: T0 }]),
      };
      for (const [name, write] of Object.entries(writes)) {
        const refused = await refusedWith(write(stale), 'LEASE_LOST').catch((error: unknown) => assert.fail(`${name}: ${String(error)}`));
        assert.match(refused.message, /holds lease epoch 1, the store has 2/, name);
      }
      assert.deepEqual({
        execution: await store.getExecution('e1'), taskRuns: await store.taskRuns('e1'), attempts: await store.attemptsOfExecution('e1'),
        logs: await store.countLogs('e1'), metrics: await store.metrics('e1'), executions: (await store.listExecutions()).length,
      }, before, 'no stale write landed');
      for (const write of Object.values(writes)) await write(current);
      const after = (await store.getExecution('e1'))!;
      assert.deepEqual([after.state, after.outputs, after.options.secretNames], ['FAILED', { x: 1 }, ['TOKEN']]);
      assert.deepEqual((await store.taskRuns('e1')).map((run) => [run.id, run.state, run.outputs]), [['t1', 'FAILED', { y: 2 }], ['t2', 'RUNNING', undefined]]);
      assert.deepEqual((await store.attempts('t1')).map((a) => [a.number, a.state, a.runnerKind, a.resumeHandle]), [[1, 'FAILED', 'docker', { containerId: 'c' }], [2, 'RUNNING', undefined, undefined]]);
      assert.equal(await store.countLogs('e1'), 1);
      assert.equal((await store.metrics('e1')).length, 1);
      assert.equal((await store.takeNextLease(A, 1000, 5000))?.executionId, 'successor', 'the successor was queued with its insert');
    });

    withStore('endUnheld: refused while a live lease holds the execution; ends it and moves the epoch on once that lease expired', async (store) => {
      await store.insertExecution(execution('e'));
      await store.queueExecution('e');
      await store.takeNextLease(A, 1000, 0);
      assert.equal(await store.endUnheld('e', 'KILLED', undefined, 500), false);
      assert.equal((await store.getExecution('e'))!.state, 'CREATED');
      const failure = { code: 'FLOW_DELETED' as const, message: 'gone' };
      assert.equal(await store.endUnheld('e', 'FAILED', failure, 1000), true);
      const read = (await store.getExecution('e'))!;
      assert.deepEqual([read.state, read.endedAt, read.failure], ['FAILED', new Date(1000).toISOString(), failure]);
      assert.deepEqual(await store.leaseOf('e'), { executionId: 'e', epoch: 2, expiresAt: 0, holder: undefined });
      await store.insertExecution(execution('never-queued'));
      assert.equal(await store.endUnheld('never-queued', 'KILLED'), true);
      assert.equal((await store.getExecution('never-queued'))!.state, 'KILLED');
    });

    withStore('restartExecution: a FAILED one is queued again, its failed and killed task runs back to CREATED; others refuse', async (store) => {
      await store.insertExecution(execution('e'));
      await store.insertTaskRun(taskRun('ok', 'e', 0, { state: 'SUCCESS', endedAt: T0 }));
      await store.insertTaskRun(taskRun('bad', 'e', 1, { state: 'FAILED', endedAt: T0 }));
      await store.insertTaskRun(taskRun('killed', 'e', 2, { state: 'KILLED', endedAt: T0 }));
      assert.equal(await store.restartExecution('e'), false, 'CREATED: nothing to restart');
      await store.requestKill('e');
      await store.setExecutionState('e', 'FAILED', T0);
      assert.equal(await store.restartExecution('e'), true);
      assert.deepEqual((await store.taskRuns('e')).map((t) => [t.id, t.state, t.endedAt]), [['ok', 'SUCCESS', T0], ['bad', 'CREATED', undefined], ['killed', 'CREATED', undefined]]);
      const read = (await store.getExecution('e'))!;
      assert.deepEqual([read.state, read.endedAt, read.killRequested, await store.killRequested('e')], ['CREATED', undefined, undefined, false]);
      assert.equal((await store.takeNextLease(A, 1000))?.executionId, 'e');
      assert.equal(await store.restartExecution('nope'), false);
    });

    withStore('restartExecution with queued: false: back to CREATED with its failed task runs, and out of the queue', async (store) => {
      await store.insertExecution(execution('child'));
      await store.insertTaskRun(taskRun('bad', 'child', 0, { state: 'FAILED', endedAt: T0 }));
      await store.setExecutionState('child', 'FAILED', T0);
      assert.equal(await store.restartExecution('child', { queued: false }), true);
      assert.deepEqual([(await store.getExecution('child'))!.state, (await store.taskRuns('child'))[0].state], ['CREATED', 'CREATED']);
      assert.equal(await store.leaseOf('child'), undefined);
      assert.equal(await store.takeNextLease(A, 1000), undefined);
    });

    withStore('two takeNextLease calls at once never get the same execution', async (store) => {
      for (let i = 0; i < 6; i++) await store.insertExecution(execution(`e${i}`, `2026-01-01T00:00:0${i}.000Z`));
      for (let i = 0; i < 6; i++) await store.queueExecution(`e${i}`);
      const taken = await Promise.all(Array.from({ length: 8 }, (_, i) => store.takeNextLease({ ...A, pid: i }, 60_000, 0)));
      const ids = taken.flatMap((lease) => (lease ? [lease.executionId] : []));
      assert.deepEqual(ids.toSorted(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    });

    withStore('watchQueue: called after queueExecution and releaseLease, never after the unsubscribe', async (store) => {
      await store.insertExecution(execution('e'));
      let calls = 0;
      const unsubscribe = await store.watchQueue(() => { calls++; });
      await store.queueExecution('e');
      await until(() => calls >= 1, 'queueExecution woke the watcher');
      const lease = (await store.takeNextLease(A, 1000))!;
      const before = calls;
      await store.releaseLease('e', lease.epoch);
      await until(() => calls > before, 'releaseLease woke the watcher');
      await unsubscribe();
      const after = calls;
      await store.queueExecution('e');
      await sleep(200);
      assert.equal(calls, after);
    });

    withStore('flows keep every revision; a deleted one is gone from reads and counts on when saved again', async (store) => {
      assert.equal((await store.saveFlow('n', 'f', 'v1')).revision, 1);
      const second = await store.saveFlow('n', 'f', 'v2');
      assert.equal(second.revision, 2);
      assert.deepEqual(await store.getFlow('n', 'f'), second);
      assert.deepEqual((await store.listFlows({ namespace: 'n' })).map((flow) => flow.id), ['f']);
      assert.equal(await store.deleteFlow('n', 'f'), true);
      assert.equal(await store.getFlow('n', 'f'), undefined);
      assert.deepEqual(await store.listFlows({}), []);
      assert.equal(await store.deleteFlow('n', 'f'), false);
      assert.equal((await store.saveFlow('n', 'f', 'v3')).revision, 3);
      assert.deepEqual((await store.flowRevisions('n', 'f')).map((flow) => [flow.revision, flow.source]), [[1, 'v1'], [2, 'v2'], [3, 'v3']]);
    });

    withStore('saving the latest source again makes no revision, at once either; a deleted flow saved with it again does', async (store) => {
      const first = await store.saveFlow('n', 'f', 'v1');
      assert.deepEqual(await store.saveFlow('n', 'f', 'v1'), first);
      assert.deepEqual((await Promise.all([store.saveFlow('n', 'f', 'v1'), store.saveFlow('n', 'f', 'v1')])).map((flow) => flow.revision), [1, 1]);
      await store.saveFlow('n', 'f', 'v2');
      assert.equal((await store.saveFlow('n', 'f', 'v1')).revision, 3, 'an older source is a new revision');
      await store.deleteFlow('n', 'f');
      assert.equal((await store.saveFlow('n', 'f', 'v1')).revision, 4);
      assert.deepEqual((await store.flowRevisions('n', 'f')).map((flow) => flow.revision), [1, 2, 3, 4]);
    });

    withStore('listFlows: a namespace with its children, an id containing the query (LIKE characters literal), sorted', async (store) => {
      await store.saveFlow('company.team', 'load_b', 's');
      await store.saveFlow('company', 'load_a', 's');
      await store.saveFlow('companyx', 'other', 's');
      await store.saveFlow('company', 'loadxa', 's');
      const keys = async (filter: { namespace?: string; query?: string }) => (await store.listFlows(filter)).map((f) => `${f.namespace}/${f.id}`);
      assert.deepEqual(await keys({}), ['company/load_a', 'company/loadxa', 'company.team/load_b', 'companyx/other']);
      assert.deepEqual(await keys({ namespace: 'company' }), ['company/load_a', 'company/loadxa', 'company.team/load_b']);
      assert.deepEqual(await keys({ query: 'd_' }), ['company/load_a', 'company.team/load_b']);
      assert.deepEqual(await keys({ namespace: 'company', query: 'xa' }), ['company/loadxa']);
    });

    withStore('concurrent saves of one flow each get their own revision', async (store) => {
      const saved = await Promise.all(Array.from({ length: 5 }, (_, i) => store.saveFlow('n', 'f', `v${i}`)));
      assert.deepEqual(saved.map((flow) => flow.revision).toSorted(), [1, 2, 3, 4, 5]);
      assert.equal((await store.flowRevisions('n', 'f')).length, 5);
    });

    withStore('claimExecution: a live owner keeps the execution, a dead one loses it, the owner itself may claim again', async (store) => {
      const alive = () => true;
      const dead = () => false;
      const first = { pid: 101, processStart: '5', since: '2026-01-01T00:00:00.000Z' };
      const second = { pid: 202, processStart: '7', since: '2026-01-01T00:01:00.000Z' };
      assert.equal(await store.claimExecution('e1', first, alive), undefined);
      assert.equal(await store.claimExecution('e1', first, alive), undefined, 'the same owner again');
      assert.deepEqual(await store.claimExecution('e1', second, alive), first, 'a live owner is kept');
      assert.equal(await store.claimExecution('e1', second, dead), undefined, 'a dead owner is replaced');
      assert.deepEqual(await store.ownerOf('e1'), second);
      await store.releaseExecution('e1', first);
      assert.deepEqual(await store.ownerOf('e1'), second, 'only the owner gives it back');
      await store.releaseExecution('e1', second);
      assert.equal(await store.ownerOf('e1'), undefined);
    });

    withStore('claimExecution at once by several claimants: exactly one gets it', async (store) => {
      const claimants = Array.from({ length: 5 }, (_, i) => ({ pid: 300 + i, since: T0 }));
      const answers = await Promise.all(claimants.map((claimant) => store.claimExecution('e1', claimant, () => true)));
      assert.equal(answers.filter((answer) => answer === undefined).length, 1);
    });

    withStore('task runs: in ordinal order, with their iteration; updates and outputs (files kept when an attempt has none)', async (store) => {
      await store.insertExecution(execution('e1'));
      await store.insertTaskRun(taskRun('second', 'e1', 1, { value: 'b', iteration: 1, loopPath: '1', parentTaskRunId: 'first' }));
      await store.insertTaskRun(taskRun('first', 'e1', 0, { outputs: { x: 1 } }));
      const files = { 'a.txt': { uri: 'kestra:///a.txt', path: '/s/a.txt' } };
      await store.saveTaskRunOutputs('first', { first: 1 }, files);
      await store.saveTaskRunOutputs('first', { second: 2 }, undefined);
      await store.updateTaskRun('first', { state: 'SUCCESS', endedAt: '2026-01-01T00:00:01.000Z' });
      await store.updateTaskRun('second', { state: 'RETRYING', nextAttemptAt: '2026-01-01T00:00:09.000Z' });
      const [first, second] = await store.taskRuns('e1');
      assert.deepEqual(first, {
        id: 'first', executionId: 'e1', taskId: 'task-first', parentTaskRunId: undefined, value: undefined, iteration: undefined, loopPath: '',
        ordinal: 0, state: 'SUCCESS', outputs: { second: 2 }, outputFiles: files, nextAttemptAt: undefined, startedAt: T0, endedAt: '2026-01-01T00:00:01.000Z',
      });
      assert.deepEqual([second.id, second.value, second.iteration, second.loopPath, second.parentTaskRunId, second.state, second.nextAttemptAt],
        ['second', 'b', 1, '1', 'first', 'RETRYING', '2026-01-01T00:00:09.000Z']);
      assert.deepEqual(await store.taskRuns('nope'), []);
    });

    withStore('attempts: in number order, finished, with the runner and resume handle; of an execution in task-run order', async (store) => {
      await store.insertExecution(execution('e1'));
      await store.insertTaskRun(taskRun('late', 'e1', 1));
      await store.insertTaskRun(taskRun('early', 'e1', 0));
      await store.insertAttempt({ taskRunId: 'late', number: 1, state: 'RUNNING', startedAt: T0 });
      await store.insertAttempt({ taskRunId: 'early', number: 2, state: 'RUNNING', startedAt: T0, runnerKind: 'process' });
      await store.insertAttempt({ taskRunId: 'early', number: 1, state: 'FAILED', startedAt: T0, exitCode: 1, error: 'boom', endedAt: T0 });
      await store.saveResumeHandle('early', 2, { containerId: 'abc', port: 1, tty: false }, 'docker');
      await store.finishAttempt('early', 2, { state: 'SUCCESS', exitCode: 0, endedAt: '2026-01-01T00:00:02.000Z' });
      await store.finishAttempt('late', 1, { state: 'FAILED', exitCode: 2, endedAt: T0, runnerKind: 'kubernetes' }, { values: { partial: true } });
      assert.deepEqual(await store.attempts('early'), [
        { taskRunId: 'early', number: 1, state: 'FAILED', runnerKind: undefined, exitCode: 1, error: 'boom', resumeHandle: undefined, startedAt: T0, endedAt: T0 },
        { taskRunId: 'early', number: 2, state: 'SUCCESS', runnerKind: 'docker', exitCode: 0, error: undefined,
          resumeHandle: { containerId: 'abc', port: 1, tty: false }, startedAt: T0, endedAt: '2026-01-01T00:00:02.000Z' },
      ]);
      assert.deepEqual((await store.attemptsOfExecution('e1')).map((a) => `${a.taskRunId}#${a.number} ${a.runnerKind}`), ['early#1 undefined', 'early#2 docker', 'late#1 kubernetes']);
      assert.deepEqual((await store.taskRuns('e1')).map((run) => [run.id, run.outputs]), [['early', undefined], ['late', { partial: true }]], 'the outputs came with the end');
    });

    withStore('logs: in order with increasing positions; after a position, of one task, up to a limit; counted', async (store) => {
      await seed(store);
      await store.insertTaskRun(taskRun('t2', 'e1', 1, { taskId: 'loop', value: 'v' }));
      await store.insertLogs([
        { executionId: 'e1', level: 'INFO', timestamp: T0, line: 'engine says' },
        line('one'),
        line('two', { stream: 'stderr', level: 'ERROR' }),
      ]);
      await store.insertLogs([line('three', { taskRunId: 't2', taskId: 'loop' }), line('four', { container: 'side' })]);
      const all = await store.logs('e1');
      assert.deepEqual(all.map((r) => r.line), ['engine says', 'one', 'two', 'three', 'four']);
      const seqs = all.map((r) => r.seq!);
      assert.ok(seqs.every((seq, i) => Number.isInteger(seq) && (i === 0 || seq > seqs[i - 1])), `positions increase: ${seqs.join(', ')}`);
      assert.deepEqual(all[0], {
        seq: seqs[0], executionId: 'e1', taskRunId: undefined, taskId: undefined, taskRunValue: undefined, attempt: undefined,
        level: 'INFO', stream: undefined, timestamp: T0, line: 'engine says', container: undefined,
      });
      assert.deepEqual([all[2].stream, all[2].level, all[3].taskId, all[3].taskRunValue, all[4].container], ['stderr', 'ERROR', 'loop', 'v', 'side']);
      assert.deepEqual((await store.logs('e1', { afterSeq: seqs[1] })).map((r) => r.line), ['two', 'three', 'four'], 'strictly after');
      assert.deepEqual((await store.logs('e1', { afterSeq: seqs[4] })), []);
      assert.deepEqual((await store.logs('e1', { limit: 2 })).map((r) => r.line), ['engine says', 'one']);
      assert.deepEqual((await store.logs('e1', { afterSeq: seqs[0], limit: 2 })).map((r) => r.line), ['one', 'two']);
      assert.deepEqual((await store.logs('e1', { taskId: 'loop' })).map((r) => r.line), ['three']);
      assert.deepEqual((await store.logs('e1', { taskId: 'task-t1', afterSeq: seqs[1] })).map((r) => r.line), ['two', 'four']);
      assert.equal(await store.countLogs('e1'), 5);
      assert.deepEqual((await store.logs('e1', { afterSeq: all[4].seq })).length, 0);
      await store.insertLogs([line('five')]);
      assert.deepEqual((await store.logs('e1', { afterSeq: seqs[4] })).map((r) => r.line), ['five'], 'a follower sees what came after');
      assert.deepEqual(await store.logs('nope'), []);
      assert.equal(await store.countLogs('nope'), 0);
    });

    withStore('a position is stable: a line read again later has the same one', async (store) => {
      await seed(store);
      await store.insertLogs([line('a'), line('b')]);
      const before = (await store.logs('e1')).map((r) => r.seq);
      await store.insertLogs([line('c')]);
      assert.deepEqual((await store.logs('e1')).slice(0, 2).map((r) => r.seq), before);
    });

    withStore('insertLogs: lines of an unknown execution are refused and the batch stores nothing', async (store) => {
      await seed(store);
      await assert.rejects(store.insertLogs([line('kept?'), line('x', { executionId: 'nope' })]), (error: unknown) => error instanceof StoreError && /no execution 'nope'/.test(error.message));
      assert.equal(await store.countLogs('e1'), 0);
    });

    withStore('stored task output of an attempt: lines oldest first, stamps newest first; notices left out', async (store) => {
      await seed(store);
      assert.deepEqual(await collect(store.outputStampsNewestFirst('t1', 1)), []);
      await store.insertLogs([
        line('a', { timestamp: '2024-01-01T00:00:01.000000001Z' }),
        line('b', { timestamp: '2024-01-01T00:00:02.000000000Z', container: 'side' }),
        line('c', { timestamp: '2024-01-01T00:00:01.900000000Z', stream: 'stderr' }),
        line('a notice', { timestamp: '2024-01-01T00:00:09.000Z', stream: undefined }),
      ]);
      assert.deepEqual(await collect(store.outputStampsNewestFirst('t1', 1)),
        [{ timestamp: '2024-01-01T00:00:01.900000000Z' }, { timestamp: '2024-01-01T00:00:02.000000000Z', container: 'side' }, { timestamp: '2024-01-01T00:00:01.000000001Z' }]);
      assert.deepEqual(await collect(store.outputLines('t1', 1)), [
        { stream: 'stdout', line: 'a', timestamp: '2024-01-01T00:00:01.000000001Z' },
        { stream: 'stdout', line: 'b', timestamp: '2024-01-01T00:00:02.000000000Z', container: 'side' },
        { stream: 'stderr', line: 'c', timestamp: '2024-01-01T00:00:01.900000000Z' },
      ]);
      assert.deepEqual(await collect(store.outputLines('t1', 2)), []);
      assert.deepEqual(await collect(store.outputLines('nope', 1)), []);
    });

    withStore('an attempt with thousands of lines reads back whole and in order, both ways', async (store) => {
      await seed(store);
      const count = 2_345;
      for (let start = 0; start < count; start += 1_000) {
        await store.insertLogs(Array.from({ length: Math.min(1_000, count - start) }, (_, i) => line(String(start + i))));
      }
      const lines = (await collect(store.outputLines('t1', 1))).map((l) => Number(l.line));
      assert.deepEqual(lines, Array.from({ length: count }, (_, i) => i));
      assert.equal((await collect(store.outputStampsNewestFirst('t1', 1))).length, count);
      assert.equal(await store.countLogs('e1'), count);
    });

    withStore('metrics: in insertion order', async (store) => {
      await seed(store);
      await store.insertMetrics([
        { executionId: 'e1', taskRunId: 't1', name: 'rows', type: 'counter', value: 3, tags: { table: 'x' }, timestamp: T0 },
        { executionId: 'e1', taskRunId: 't1', name: 'duration', type: 'timer', value: 1.25, tags: {}, timestamp: T0 },
      ]);
      await store.insertMetrics([{ executionId: 'e1', taskRunId: 't1', name: 'rows', type: 'counter', value: 4, tags: {}, timestamp: T0 }]);
      await store.insertMetrics([]);
      assert.deepEqual((await store.metrics('e1')).map((m) => [m.name, m.type, m.value, m.tags]), [
        ['rows', 'counter', 3, { table: 'x' }], ['duration', 'timer', 1.25, {}], ['rows', 'counter', 4, {}],
      ]);
      assert.deepEqual(await store.metrics('nope'), []);
    });

    withStore('a transaction that throws leaves nothing behind; calls inside it, nested ones too, see its writes', async (store) => {
      await seed(store);
      const failure = new Error('work failed');
      await assert.rejects(store.transaction(async () => {
        await store.insertTaskRun(taskRun('t2', 'e1', 1));
        await store.transaction(async () => {
          await store.insertLogs([line('inside')]);
          await store.setExecutionState('e1', 'FAILED', T0);
        });
        assert.deepEqual((await store.taskRuns('e1')).map((t) => t.id), ['t1', 't2'], 'its own writes are seen inside');
        assert.equal(await store.countLogs('e1'), 1);
        throw failure;
      }), failure);
      assert.deepEqual((await store.taskRuns('e1')).map((t) => t.id), ['t1']);
      assert.equal(await store.countLogs('e1'), 0);
      assert.equal((await store.getExecution('e1'))!.state, 'RUNNING');
      assert.equal(await store.transaction(async () => 'result'), 'result');
    });

    withStore('a failed store call inside a transaction rolls the whole transaction back', async (store) => {
      await seed(store);
      await refusedWith(store.transaction(async () => {
        await store.insertTaskRun(taskRun('t2', 'e1', 1));
        await store.insertTaskRun(taskRun('t2', 'e1', 2));
      }), 'STORE_FAILED');
      assert.deepEqual((await store.taskRuns('e1')).map((t) => t.id), ['t1']);
    });

    withStore('a call from another async context never sees a transaction\'s uncommitted writes', async (store) => {
      const fromOutside = AsyncResource.bind(() => store.getExecution('e1'));
      let read: Promise<ExecutionRecord | undefined> | undefined;
      await assert.rejects(store.transaction(async () => {
        await store.insertExecution(execution('e1'));
        assert.ok(await store.getExecution('e1'), 'seen inside');
        read = fromOutside();
        read.catch(() => undefined);
        await sleep(50);
        throw new Error('roll back');
      }));
      assert.equal(await read, undefined);
    });
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await sleep(10);
  }
}
