/**
 * Resume from each state a dead harrier process can leave: a first engine runs until the test
 * "crashes" it (its store closed, as SIGKILL would leave it), then a second engine on the same
 * state folder resumes the execution with a fresh fake runner.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHarrierError } from '../../../src/shared/errors.ts';
import { CLOCK_SKEW_MS, crash, exits, FakeRunner, flowYaml, hangs, openEngine, resume, start, stateDir, until, type Started } from './harness.ts';

const SHELL = 'type: io.kestra.plugin.scripts.shell.Commands';
const DOCKER = `${SHELL}\n    containerImage: busybox\n    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker`;

async function crashWhen(started: Started, condition: () => boolean, what: string): Promise<void> {
  await until(condition, what);
  await crash(started);
}

test('an execution created but never started runs from the beginning', async () => {
  const dir = stateDir();
  const first = new FakeRunner('process');
  const started = await start(dir, flowYaml(`tasks:\n  - id: only\n    ${SHELL}\n    commands: [run]\n`), { process: first });
  await started.done;
  // A second execution, stored but never run: the process died right after creating it.
  const execution = await started.engine.createExecution({ flow: started.flow, flowSource: started.execution.flowSource, flowFile: started.execution.flowFile, rawInputs: {}, options: {} });
  await started.engine.close();
  const second = new FakeRunner('process');
  const resumed = await resume(dir, execution.id, { process: second });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual(second.calls.map((call) => [call.taskId, call.attempt]), [['only', 1]]);
  await resumed.engine.close();
});

test('a finished task is not run again and its outputs still feed later tasks; the interrupted attempt fails and a new one runs', async () => {
  const dir = stateDir();
  const flow = flowYaml(`tasks:
  - id: first
    ${SHELL}
    commands: [run]
  - id: second
    ${SHELL}
    commands: ["echo {{ outputs.first.vars.token }}"]
`);
  const before = new FakeRunner('process')
    .on('first', (job) => {
      job.log({ stream: 'stdout', line: '::{"outputs":{"token":"from-the-first-process"}}::', timestamp: new Date().toISOString() });
      return 0;
    })
    .on('second', hangs);
  const started = await start(dir, flow, { process: before });
  await crashWhen(started, () => before.callsOf('second').length === 1, 'the second task to start');

  const after = new FakeRunner('process');
  const resumed = await resume(dir, started.execution.id, { process: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual(after.calls.map((call) => [call.taskId, call.attempt]), [['second', 2]]);
  assert.match(after.calls[0].job.command.at(-1)!, /echo from-the-first-process/);
  assert.equal((await resumed.attempts('first')).length, 1);
  assert.deepEqual((await resumed.attempts('second')).map((attempt) => [attempt.number, attempt.state, attempt.error]), [
    [1, 'FAILED', 'interrupted: the harrier process stopped during this attempt'],
    [2, 'SUCCESS', undefined],
  ]);
  assert.ok((await resumed.lines('second', 'WARN')).includes('attempt 1 was interrupted when harrier stopped; starting attempt 2'));
  await resumed.engine.close();
});

test('a re-attaching runner gets the same attempt back with its saved handle and the log cursor; the log continues', async () => {
  const dir = stateDir();
  const flow = flowYaml(`tasks:\n  - id: watched\n    ${DOCKER}\n    commands: [run]\n`);
  const before = new FakeRunner('docker').on('watched', async (job) => {
    await job.saveResumeHandle({ containerId: 'c-1', volume: 'v-1' });
    for (const line of ['one', 'two', 'three']) job.log({ stream: 'stdout', line, timestamp: new Date().toISOString() });
    return hangs(job);
  });
  const started = await start(dir, flow, { docker: before });
  await crashWhen(started, () => before.calls.length === 1, 'the task to start');

  const after = new FakeRunner('docker').on('watched', (job) => {
    for (const line of ['four', 'five']) job.log({ stream: 'stdout', line, timestamp: new Date().toISOString() });
    return 0;
  });
  const resumed = await resume(dir, started.execution.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  const [call] = after.calls;
  assert.equal(call.attempt, 1, 'the same attempt');
  assert.deepEqual(call.job.resume?.handle, { containerId: 'c-1', volume: 'v-1' });
  assert.equal(call.job.resume?.logCursor?.linesSince, 3);
  assert.deepEqual((await resumed.attempts('watched')).map((attempt) => [attempt.number, attempt.state]), [[1, 'SUCCESS']]);
  assert.ok((await resumed.lines('watched', 'INFO')).includes('re-attaching to attempt 1 started by a previous harrier process'));
  assert.deepEqual((await resumed.engine.store.logs(resumed.ended.id, { taskId: 'watched' })).filter((log) => log.stream === 'stdout').map((log) => log.line),
    ['one', 'two', 'three', 'four', 'five']);
  await resumed.engine.close();
});

test('a re-attaching runner that died before saving a handle gets a new attempt, without a resume', async () => {
  const dir = stateDir();
  const before = new FakeRunner('docker').on('watched', hangs);
  const started = await start(dir, flowYaml(`tasks:\n  - id: watched\n    ${DOCKER}\n    commands: [run]\n`), { docker: before });
  await crashWhen(started, () => before.calls.length === 1, 'the task to start');
  const after = new FakeRunner('docker');
  const resumed = await resume(dir, started.execution.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.equal(after.calls[0].attempt, 2);
  assert.equal(after.calls[0].job.resume, undefined);
  await resumed.engine.close();
});

test('an attempt that ended before the crash, its task run not yet: the attempt\'s end stands, the task does not run again', async () => {
  const dir = stateDir();
  const before = new FakeRunner('docker').on('only', (job) => {
    job.log({ stream: 'stdout', line: '::{"outputs":{"token":"kept"}}::', timestamp: new Date().toISOString() });
    return 0;
  });
  const started = await start(dir, flowYaml(`tasks:\n  - id: only\n    ${DOCKER}\n    commands: [run]\n`), { docker: before });
  const finished = await started.done;
  // What SIGKILL leaves between the attempt's transaction (its end, its outputs) and the task run's.
  const [taskRun] = await started.engine.store.taskRuns(finished.id);
  await started.engine.store.updateTaskRun(taskRun.id, { state: 'RUNNING' });
  await started.engine.store.setExecutionState(finished.id, 'RUNNING');
  await started.engine.close();

  const after = new FakeRunner('docker');
  const resumed = await resume(dir, finished.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual(after.calls, [], 'no second attempt');
  assert.deepEqual((await resumed.attempts('only')).map((attempt) => [attempt.number, attempt.state]), [[1, 'SUCCESS']]);
  const [ended] = await resumed.engine.store.taskRuns(finished.id);
  assert.equal(ended.state, 'SUCCESS');
  assert.deepEqual(ended.outputs?.vars, { token: 'kept' });
  await resumed.engine.close();
});

test('a task waiting for its retry waits until the stored time, then runs its next attempt', async () => {
  const dir = stateDir();
  const flow = flowYaml(`tasks:
  - id: flaky
    ${SHELL}
    retry:
      type: constant
      interval: PT1S
      maxAttempt: 2
    commands: [run]
`);
  const before = new FakeRunner('process').on('flaky', exits(1));
  const started = await start(dir, flow, { process: before });
  await crashWhen(started, () => started.changes.some((change) => change.state === 'RETRYING'), 'the retry to be scheduled');

  const after = new FakeRunner('process');
  const engine = await openEngine(dir, { process: after });
  const [waiting] = await engine.store.taskRuns(started.execution.id);
  assert.equal(waiting.state, 'RETRYING');
  await engine.close();
  const resumed = await resume(dir, started.execution.id, { process: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.equal(after.calls.length, 1);
  assert.equal(after.calls[0].attempt, 2);
  assert.ok(after.calls[0].startedAt >= Date.parse(waiting.nextAttemptAt!) - CLOCK_SKEW_MS, 'not before the stored time');
  assert.deepEqual((await resumed.attempts('flaky')).map((attempt) => attempt.state), ['FAILED', 'SUCCESS']);
  await resumed.engine.close();
});

test('an interrupted Parallel goes on: finished branches stay, the interrupted one runs again, the queued ones run', async () => {
  const dir = stateDir();
  const flow = flowYaml(`tasks:
  - id: fan_out
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: 1
    tasks:
${['a', 'b', 'c'].map((id) => `      - id: ${id}\n        ${SHELL}\n        commands: [run]`).join('\n')}
`);
  const before = new FakeRunner('process').on('b', hangs);
  const started = await start(dir, flow, { process: before });
  await crashWhen(started, () => before.callsOf('b').length === 1, 'branch b to start');
  const after = new FakeRunner('process');
  const resumed = await resume(dir, started.execution.id, { process: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual(after.calls.map((call) => [call.taskId, call.attempt]), [['b', 2], ['c', 1]]);
  assert.equal((await resumed.engine.store.taskRuns(resumed.ended.id)).find((run) => run.taskId === 'fan_out')?.state, 'SUCCESS');
  await resumed.engine.close();
});

test('a CREATE_NEW_EXECUTION chain waiting for its next execution: resume with the first id runs the newest one when its time comes', async () => {
  const dir = stateDir();
  const flow = flowYaml(`tasks:
  - id: flaky
    ${SHELL}
    retry:
      type: constant
      interval: PT1S
      maxAttempt: 2
      behavior: CREATE_NEW_EXECUTION
    commands: [run]
`);
  const before = new FakeRunner('process').on('flaky', exits(1));
  const started = await start(dir, flow, { process: before });
  await until(() => started.retried.length === 1, 'the first execution to end RETRIED');
  const next = (await started.engine.store.successorOf(started.execution.id))!;
  await crash(started);

  const after = new FakeRunner('process');
  const resumed = await resume(dir, started.execution.id, { process: after });
  assert.equal(resumed.prepared.execution.id, next.id);
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.ok(after.calls[0].startedAt >= Date.parse(next.options.notBefore!) - CLOCK_SKEW_MS);
  await resumed.engine.close();
});

test('an execution that already ended is not resumed, with a one-line reason', async () => {
  const dir = stateDir();
  const started = await start(dir, flowYaml(`tasks:\n  - id: only\n    ${SHELL}\n    commands: [run]\n`), { process: new FakeRunner('process') });
  await started.done;
  await assert.rejects(async () => await started.engine.prepareResume(started.execution.id), (error: unknown) => {
    assert.ok(isHarrierError(error));
    assert.equal(error.message, `execution ${started.execution.id} already ended in SUCCESS; there is nothing to resume`);
    return true;
  });
  await started.engine.close();
});
