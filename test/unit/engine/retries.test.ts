/** Retries through the real engine and store: every policy type, both behaviours, and their limits. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttemptRecord } from '../../../src/store/index.ts';
import { chainOf, CLOCK_SKEW_MS, exits, FakeRunner, flowYaml, start, stateDir, type Started } from './harness.ts';

const dir = stateDir();

function oneTask(retry: string, extra = ''): string {
  return flowYaml(`${extra}tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
${retry.replace(/^/gm, '    ')}
`);
}

async function attemptsOf(started: Started, taskId: string, executionId = started.execution.id): Promise<AttemptRecord[]> {
  const taskRun = (await started.engine.store.taskRuns(executionId)).find((run) => run.taskId === taskId);
  assert.ok(taskRun, `task run ${taskId}`);
  return await started.engine.store.attempts(taskRun.id);
}

/**
 * The waits the engine scheduled: each RETRYING change's nextAttemptAt minus the end of the
 * attempt before it. Checks on the way that no attempt started before its time.
 */
async function scheduledDelays(started: Started, taskId: string): Promise<number[]> {
  const attempts = await attemptsOf(started, taskId);
  const retrying = started.changes.filter((change) => change.taskId === taskId && change.state === 'RETRYING');
  return retrying.map((change, i) => {
    const next = Date.parse(change.nextAttemptAt!);
    assert.ok(Date.parse(attempts[i + 1].startedAt) >= next - CLOCK_SKEW_MS, `attempt ${i + 2} started at ${attempts[i + 1].startedAt}, before ${change.nextAttemptAt}`);
    return next - Date.parse(attempts[i].endedAt!);
  });
}

/**
 * A scheduled delay is the policy's plus the time between ending an attempt and scheduling the
 * next (its folder is removed meanwhile): milliseconds, more on a loaded machine.
 */
const SCHEDULING_SLACK_MS = 250;

function assertDelay(actual: number, expected: number, what: string): void {
  assert.ok(actual >= expected && actual < expected + SCHEDULING_SLACK_MS, `${what}: waited ${actual}ms, expected ${expected}ms`);
}

async function warnings(started: Started): Promise<string[]> {
  return (await started.engine.store.logs(started.execution.id)).filter((log) => log.level === 'WARN').map((log) => log.line);
}

describe('RETRY_FAILED_TASK (the default): the task runs again in the same execution', () => {
  test('constant: fails twice, succeeds on the third attempt, each retry after the interval; SUCCESS without warningOnRetry', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1, 2, 0));
    const started = await start(dir, oneTask('retry:\n  type: constant\n  interval: PT0.2S\n  maxAttempt: 3'), { process: fake });
    const ended = await started.done;
    assert.equal(ended.state, 'SUCCESS');
    assert.deepEqual((await attemptsOf(started, 'flaky')).map((attempt) => [attempt.number, attempt.state, attempt.exitCode]), [[1, 'FAILED', 1], [2, 'FAILED', 2], [3, 'SUCCESS', 0]]);
    assert.deepEqual(fake.callsOf('flaky').map((call) => call.attempt), [1, 2, 3]);
    (await scheduledDelays(started, 'flaky')).forEach((delay, i) => assertDelay(delay, 200, `retry ${i + 1}`));
    assert.deepEqual((await warnings(started)).filter((line) => line.startsWith('retrying')).map((line) => line.replace(/in \d+ms/, 'in Xms')),
      ['retrying in Xms (attempt 2 of 3)', 'retrying in Xms (attempt 3 of 3)']);
    await started.engine.close();
  });

  test('maxAttempt: a task that always fails runs exactly maxAttempt times, then the execution FAILED', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(7));
    const started = await start(dir, oneTask('retry:\n  type: constant\n  interval: PT0.01S\n  maxAttempt: 3'), { process: fake });
    assert.equal((await started.done).state, 'FAILED');
    assert.equal(fake.callsOf('flaky').length, 3);
    assert.deepEqual((await attemptsOf(started, 'flaky')).map((attempt) => attempt.state), ['FAILED', 'FAILED', 'FAILED']);
    assert.equal((await started.engine.store.taskRuns(started.execution.id))[0].state, 'FAILED');
    await started.engine.close();
  });

  test('exponential: interval × factor^(n−1), capped at maxInterval', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1));
    const started = await start(dir, oneTask('retry:\n  type: exponential\n  interval: PT0.1S\n  delayFactor: 3\n  maxInterval: PT0.5S\n  maxAttempt: 4'), { process: fake });
    assert.equal((await started.done).state, 'FAILED');
    const delays = await scheduledDelays(started, 'flaky');
    assert.equal(delays.length, 3);
    [100, 300, 500].forEach((expected, i) => assertDelay(delays[i], expected, `retry ${i + 1}`));
    await started.engine.close();
  });

  test('random: every wait falls in [minInterval, maxInterval)', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1));
    const started = await start(dir, oneTask('retry:\n  type: random\n  minInterval: PT0.1S\n  maxInterval: PT0.3S\n  maxAttempt: 5'), { process: fake });
    assert.equal((await started.done).state, 'FAILED');
    const delays = await scheduledDelays(started, 'flaky');
    assert.equal(delays.length, 4);
    for (const delay of delays) assert.ok(delay >= 100 && delay < 300 + SCHEDULING_SLACK_MS, `waited ${delay}ms`);
    await started.engine.close();
  });

  test('maxDuration: no retry is scheduled later than the first start plus maxDuration', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1));
    // Attempts start at about 0, 0.5 s and 1 s; a fourth would start at 1.5 s, past the 1.3 s budget.
    const started = await start(dir, oneTask('retry:\n  type: constant\n  interval: PT0.5S\n  maxDuration: PT1.3S'), { process: fake });
    assert.equal((await started.done).state, 'FAILED');
    const attempts = await attemptsOf(started, 'flaky');
    assert.equal(attempts.length, 3);
    assert.ok(Date.parse(attempts[2].startedAt) - Date.parse(attempts[0].startedAt) <= 1300);
    await started.engine.close();
  });

  test('warningOnRetry: a task that succeeds after a retry ends WARNING, and so does the execution', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1, 0));
    const started = await start(dir, oneTask('retry:\n  type: constant\n  interval: PT0.01S\n  maxAttempt: 2\n  warningOnRetry: true'), { process: fake });
    assert.equal((await started.done).state, 'WARNING');
    assert.equal((await started.engine.store.taskRuns(started.execution.id))[0].state, 'WARNING');
    await started.engine.close();
  });

  test("the flow's retry applies to a task without one; a task's own retry wins", async () => {
    const fake = new FakeRunner('process').on('own', exits(1));
    const started = await start(dir, flowYaml(`retry:
  type: constant
  interval: PT0.01S
  maxAttempt: 3
tasks:
  - id: own
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
    retry:
      type: constant
      interval: PT0.01S
      maxAttempt: 2
`), { process: fake });
    assert.equal((await started.done).state, 'FAILED');
    assert.equal(fake.callsOf('own').length, 2);
    await started.engine.close();
    const flowLevel = new FakeRunner('process').on('flaky', exits(1));
    const second = await start(dir, oneTask('', 'retry:\n  type: constant\n  interval: PT0.01S\n  maxAttempt: 3\n'), { process: flowLevel });
    assert.equal((await second.done).state, 'FAILED');
    assert.equal(flowLevel.callsOf('flaky').length, 3);
    await second.engine.close();
  });
});

describe('CREATE_NEW_EXECUTION: the execution ends RETRIED and the whole flow runs again as a new one', () => {
  const chainFlow = (limit: string, interval = 'PT0.2S'): string => flowYaml(`retry:
  type: constant
  interval: ${interval}
  ${limit}
  behavior: CREATE_NEW_EXECUTION
tasks:
  - id: setup
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
`);

  test('fails in executions 1 and 2, succeeds in 3: a chain of three, each one attempt per task, linked and delayed by the interval', async () => {
    let executions = 0;
    const fake = new FakeRunner('process').on('flaky', () => (++executions < 3 ? 1 : 0));
    const started = await start(dir, chainFlow('maxAttempt: 3'), { process: fake });
    const chain = await chainOf(started);
    assert.deepEqual(chain.map((execution) => execution.state), ['RETRIED', 'RETRIED', 'SUCCESS']);
    assert.equal(new Set(chain.map((execution) => execution.id)).size, 3);
    chain.slice(1).forEach((execution, i) => {
      assert.deepEqual(execution.options.retryOf, {
        originalId: chain[0].id, originalCreatedAt: chain[0].createdAt, attemptNumber: i + 2, previousId: chain[i].id,
      });
      assert.ok(Date.parse(execution.options.notBefore!) >= Date.parse(chain[i].endedAt!) + 200 - CLOCK_SKEW_MS, 'the next execution waits the interval');
    });
    // The whole flow ran again each time, and the task's attempts count executions, not attempts.
    assert.equal(fake.callsOf('setup').length, 3);
    assert.deepEqual(fake.callsOf('flaky').map((call) => call.attempt), [1, 1, 1]);
    for (const execution of chain) assert.equal((await attemptsOf(started, 'flaky', execution.id)).length, 1);
    await started.engine.close();
  });

  test('maxAttempt counts executions: with 2, the second failure ends the chain FAILED', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1));
    const started = await start(dir, chainFlow('maxAttempt: 2'), { process: fake });
    const chain = await chainOf(started);
    assert.deepEqual(chain.map((execution) => execution.state), ['RETRIED', 'FAILED']);
    assert.equal(await started.engine.store.successorOf(chain[1].id), undefined);
    await started.engine.close();
  });

  test('maxDuration is timed from the first execution of the chain', async () => {
    const fake = new FakeRunner('process').on('flaky', exits(1));
    // The second execution starts at about 1 s; a third would start at 2 s, past the 1.5 s budget. The
    // margins are wide because a loaded machine may take half a second over the first execution.
    const started = await start(dir, chainFlow('maxDuration: PT1.5S', 'PT1S'), { process: fake });
    const chain = await chainOf(started);
    assert.deepEqual(chain.map((execution) => execution.state), ['RETRIED', 'FAILED']);
    await started.engine.close();
  });
});
