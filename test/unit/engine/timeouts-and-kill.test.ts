/** Task timeouts and kills through the real engine and store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/parse.ts';
import { chainOf, exits, FakeRunner, flowYaml, openEngine, start, stateDir, takes, until, type Started } from './harness.ts';

const dir = stateDir();

async function taskRunOf(started: Started, taskId: string) {
  return (await started.engine.store.taskRuns(started.execution.id)).find((run) => run.taskId === taskId);
}

test('a task past its timeout: the runner is aborted with "timeout", the attempt fails saying so, the execution FAILED', async () => {
  const fake = new FakeRunner('process').on('slow', takes(30_000));
  const started = await start(dir, flowYaml(`tasks:
  - id: slow
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT0.2S
    commands: [run]
`), { process: fake });
  assert.equal((await started.done).state, 'FAILED');
  const [call] = fake.callsOf('slow');
  assert.equal(call.aborted, 'timeout');
  assert.equal(call.job.taskTimeoutMs, 200, 'the runner is told the task timeout');
  assert.ok(call.endedAt! - call.startedAt < 5_000);
  const [attempt] = await started.engine.store.attempts((await taskRunOf(started, 'slow'))!.id);
  assert.equal(attempt.state, 'FAILED');
  assert.equal(attempt.error, 'timed out after 200ms (task timeout)');
  await started.engine.close();
});

test('a timed-out attempt is retried like any failure', async () => {
  const fake = new FakeRunner('process').on('slow', (job) => (job.identity.attempt === 1 ? takes(30_000)(job) : 0));
  const started = await start(dir, flowYaml(`tasks:
  - id: slow
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT0.2S
    retry:
      type: constant
      interval: PT0.01S
      maxAttempt: 2
    commands: [run]
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.deepEqual((await started.engine.store.attempts((await taskRunOf(started, 'slow'))!.id)).map((attempt) => [attempt.state, attempt.error]),
    [['FAILED', 'timed out after 200ms (task timeout)'], ['SUCCESS', undefined]]);
  await started.engine.close();
});

test('kill during an attempt: the runner is aborted with "killed", attempt, task run and execution end KILLED, no later task starts', async () => {
  const fake = new FakeRunner('process').on('long', takes(30_000));
  const started = await start(dir, flowYaml(`tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
  - id: later
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
`), { process: fake });
  await until(() => fake.calls.length === 1, 'the attempt to start');
  started.engine.abortAll();
  assert.equal((await started.done).state, 'KILLED');
  assert.equal(fake.calls[0].aborted, 'killed');
  const taskRun = (await taskRunOf(started, 'long'))!;
  assert.equal(taskRun.state, 'KILLED');
  assert.deepEqual((await started.engine.store.attempts(taskRun.id)).map((attempt) => [attempt.state, attempt.error]), [['KILLED', 'killed']]);
  assert.equal(await taskRunOf(started, 'later'), undefined);
  assert.equal(fake.callsOf('later').length, 0);
  await started.engine.close();
});

test('kill while a task waits for its retry: it ends KILLED at once, without another attempt', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1));
  const started = await start(dir, flowYaml(`tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT1H
      maxAttempt: 2
    commands: [run]
`), { process: fake });
  await until(() => started.changes.some((change) => change.state === 'RETRYING'), 'the retry to be scheduled');
  const killedAt = Date.now();
  started.engine.abortAll();
  assert.equal((await started.done).state, 'KILLED');
  assert.ok(Date.now() - killedAt < 2_000);
  assert.equal(fake.calls.length, 1);
  assert.equal((await taskRunOf(started, 'flaky'))!.state, 'KILLED');
  await started.engine.close();
});

const rerunFlow = flowYaml(`tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT1H
      maxAttempt: 2
      behavior: CREATE_NEW_EXECUTION
    commands: [run]
`);

test('kill while the next execution of a CREATE_NEW_EXECUTION chain waits to start: it ends KILLED without running anything', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1));
  const started = await start(dir, rerunFlow, { process: fake });
  await until(() => started.retried.length === 1, 'the first execution to end RETRIED');
  // The next execution starts its wait right after the RETRIED one is announced.
  setTimeout(() => started.engine.abortAll(), 100);
  const chain = await chainOf(started);
  assert.deepEqual(chain.map((execution) => execution.state), ['RETRIED', 'KILLED']);
  assert.equal(fake.calls.length, 1);
  assert.deepEqual(await started.engine.store.taskRuns(chain[1].id), []);
  await started.engine.close();
});

test('kill at the moment one execution of a chain ended RETRIED and the next is announced: the next one does not run', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1));
  const engine = await openEngine(dir, { process: fake });
  const source = rerunFlow.replace('PT1H', 'PT0.01S');
  const flow = parseFlow(source, 'flow.yaml');
  const execution = await engine.createExecution({ flow, flowSource: source, flowFile: 'flow.yaml', rawInputs: {}, options: {} });
  const last = await engine.runChain(execution, flow, () => engine.abortAll());
  try {
    assert.equal(fake.calls.length, 1, 'the task ran again in the next execution');
    assert.equal(last.state, 'KILLED');
  } finally {
    await engine.close();
  }
});
