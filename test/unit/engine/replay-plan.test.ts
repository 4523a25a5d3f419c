import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayPlan, type ReplayTarget } from '../../../src/engine/replay-plan.ts';
import type { AttemptRecord, State, TaskRunRecord } from '../../../src/store/index.ts';

const OLD = 'old-execution';
const STARTED = '2024-01-01T00:00:00.000Z';
const ENDED = '2024-01-01T00:00:01.000Z';
const REPLAYED_AT = '2024-02-01T00:00:00.000Z';

let ordinal = 0;
function run(id: string, state: State, more: Partial<TaskRunRecord> = {}): TaskRunRecord {
  return {
    id, executionId: OLD, taskId: id, loopPath: '', ordinal: ordinal++, state, startedAt: STARTED,
    endedAt: state === 'RUNNING' || state === 'CREATED' ? undefined : ENDED, outputs: { value: `${id} out` }, ...more,
  };
}
function attempt(taskRunId: string, state: State, resumeHandle?: AttemptRecord['resumeHandle']): AttemptRecord {
  return { taskRunId, number: 1, state, startedAt: STARTED, endedAt: ENDED, runnerKind: 'docker', resumeHandle };
}
function target(sharesFolder: (taskId: string) => boolean = () => false): ReplayTarget {
  let next = 0;
  return { executionId: 'new-execution', createdAt: REPLAYED_AT, newId: () => `new-${next++}`, sharesFolder };
}

test('a flat flow keeps the runs before the chosen one, with their attempts but no resume handle', () => {
  ordinal = 0;
  const runs = [run('first', 'SUCCESS'), run('second', 'FAILED'), run('third', 'SUCCESS')];
  const attempts = [attempt('first', 'SUCCESS', { container: 'abc' }), attempt('second', 'FAILED'), attempt('third', 'SUCCESS')];
  const plan = replayPlan({ taskRuns: runs, attempts }, 'second', target())!;
  assert.deepEqual(plan.taskRuns, [{ ...runs[0], id: 'new-0', executionId: 'new-execution', parentTaskRunId: undefined }]);
  assert.deepEqual(plan.attempts, [{ ...attempts[0], taskRunId: 'new-0', resumeHandle: undefined }]);
});

test('a failed run before the chosen one is dropped: it runs again', () => {
  ordinal = 0;
  const runs = [run('a', 'SUCCESS'), run('b', 'FAILED'), run('c', 'SUCCESS'), run('d', 'SUCCESS')];
  const plan = replayPlan({ taskRuns: runs, attempts: [] }, 'd', target())!;
  assert.deepEqual(plan.taskRuns.map((taskRun) => taskRun.taskId), ['a', 'c']);
  assert.deepEqual(plan.taskRuns.map((taskRun) => taskRun.ordinal), [0, 2]);
});

test('the first task run: nothing is kept', () => {
  ordinal = 0;
  const runs = [run('a', 'SUCCESS'), run('b', 'SUCCESS')];
  assert.deepEqual(replayPlan({ taskRuns: runs, attempts: [attempt('a', 'SUCCESS')] }, 'a', target()), { taskRuns: [], attempts: [] });
});

test('an id that is no task run of the execution: no plan', () => {
  ordinal = 0;
  assert.equal(replayPlan({ taskRuns: [run('a', 'SUCCESS')], attempts: [] }, 'nope', target()), undefined);
});

test('an iteration of a ForEach: its ancestors run again around it, earlier iterations are kept, later ones dropped', () => {
  ordinal = 0;
  const before = run('before', 'SUCCESS');
  const group = run('group', 'FAILED');
  const loop = run('loop', 'FAILED', { parentTaskRunId: 'group', outputs: { some: 'state' } });
  const iteration = (index: number, state: State): TaskRunRecord =>
    run(`inner-${index}`, state, { taskId: 'inner', parentTaskRunId: 'loop', value: `v${index}`, iteration: index, loopPath: String(index) });
  const runs = [before, group, loop, iteration(0, 'SUCCESS'), iteration(1, 'FAILED'), iteration(2, 'SUCCESS'), run('after', 'SKIPPED')];
  const attempts = runs.filter((taskRun) => taskRun.taskId === 'inner' || taskRun.id === 'before').map((taskRun) => attempt(taskRun.id, taskRun.state));
  const plan = replayPlan({ taskRuns: runs, attempts }, 'inner-1', target())!;

  assert.deepEqual(plan.taskRuns.map((taskRun) => [taskRun.id, taskRun.taskId, taskRun.state, taskRun.parentTaskRunId, taskRun.loopPath]), [
    ['new-0', 'before', 'SUCCESS', undefined, ''],
    ['new-1', 'group', 'CREATED', undefined, ''],
    ['new-2', 'loop', 'CREATED', 'new-1', ''],
    ['new-3', 'inner', 'SUCCESS', 'new-2', '0'],
  ]);
  const reset = plan.taskRuns[2];
  assert.deepEqual([reset.outputs, reset.endedAt, reset.startedAt, reset.executionId], [undefined, undefined, REPLAYED_AT, 'new-execution']);
  assert.deepEqual(plan.taskRuns[3].outputs, { value: 'inner-0 out' });
  // The ancestors run again: none of their attempts (flowables have none) is copied.
  assert.deepEqual(plan.attempts.map((copy) => copy.taskRunId), ['new-0', 'new-3']);
});

test('inside a WorkingDirectory nothing is kept: the new execution has a new folder', () => {
  ordinal = 0;
  const runs = [run('before', 'SUCCESS'), run('wd', 'FAILED'), run('write', 'SUCCESS', { parentTaskRunId: 'wd' }), run('read', 'FAILED', { parentTaskRunId: 'wd' })];
  const plan = replayPlan({ taskRuns: runs, attempts: [] }, 'read', target((taskId) => taskId === 'wd'))!;
  assert.deepEqual(plan.taskRuns.map((taskRun) => [taskRun.taskId, taskRun.state]), [['before', 'SUCCESS'], ['wd', 'CREATED']]);
});

test('a successful flowable is kept only with all its children, else it runs again', () => {
  ordinal = 0;
  // Two branches of a Parallel ran together: `left` ended with a child made after the chosen run.
  const runs = [
    run('parallel', 'FAILED'),
    run('left', 'SUCCESS', { parentTaskRunId: 'parallel' }),
    run('left-a', 'SUCCESS', { parentTaskRunId: 'left' }),
    run('right', 'FAILED', { parentTaskRunId: 'parallel' }),
    run('left-b', 'SUCCESS', { parentTaskRunId: 'left' }),
  ];
  const plan = replayPlan({ taskRuns: runs, attempts: [] }, 'right', target())!;
  assert.deepEqual(plan.taskRuns.map((taskRun) => [taskRun.taskId, taskRun.state]), [['parallel', 'CREATED']]);
});

test('a running execution: what has not ended before the chosen run is dropped with its attempts', () => {
  ordinal = 0;
  const runs = [run('done', 'SUCCESS'), run('busy', 'RUNNING'), run('waiting', 'RETRYING', { nextAttemptAt: ENDED }), run('chosen', 'FAILED')];
  const attempts = [attempt('done', 'SUCCESS'), { ...attempt('busy', 'RUNNING', { pod: 'p-1' }), endedAt: undefined }, attempt('waiting', 'FAILED')];
  const plan = replayPlan({ taskRuns: runs, attempts }, 'chosen', target())!;
  assert.deepEqual(plan.taskRuns.map((taskRun) => taskRun.taskId), ['done']);
  assert.deepEqual(plan.attempts.map((copy) => [copy.taskRunId, copy.state, copy.resumeHandle]), [['new-0', 'SUCCESS', undefined]]);
});
