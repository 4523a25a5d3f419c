/**
 * What an attempt ran in (a container, a pod) is released through its runner only once the
 * attempt's end is stored, then its handle is marked released; what a dead process or a failed
 * removal left unreleased is released when the execution is resumed, before anything runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEncrypted } from '../../../src/engine/encryption.ts';
import { RunnerError } from '../../../src/shared/errors.ts';
import type { Engine } from '../../../src/engine/index.ts';
import { crash, exits, FakeRunner, flowYaml, hangs, openEngine, resume, start, stateDir, until, type Behaviour } from './harness.ts';

const DOCKER = 'type: io.kestra.plugin.scripts.shell.Commands\n    containerImage: busybox\n    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker';

async function attemptsOf(engine: Engine, executionId: string, taskId: string) {
  const taskRun = (await engine.store.taskRuns(executionId)).find((run) => run.taskId === taskId);
  return taskRun ? await engine.store.attempts(taskRun.id) : [];
}

/** A fake container task: saves a handle naming its attempt's container, then exits as `exit` says. */
function containerTask(exit: Behaviour = () => 0): Behaviour {
  return async (job) => {
    await job.saveResumeHandle({ containerId: `c-${job.identity.attempt}` });
    return exit(job);
  };
}

test('each attempt is released through its runner after its end is stored, then its handle is marked released', async () => {
  const dir = stateDir();
  const runner = new FakeRunner('docker').on('build', containerTask(exits(1, 0)));
  const started = await start(dir, flowYaml(`tasks:\n  - id: build\n    ${DOCKER}\n    commands: [run]\n    retry:\n      type: constant\n      interval: PT0.01S\n      maxAttempt: 2\n`), { docker: runner });
  const seenAtRelease: unknown[] = [];
  runner.onRelease = async (handle) => {
    const attempt = (await attemptsOf(started.engine, started.execution.id, 'build')).find((stored) => stored.resumeHandle?.containerId === handle.containerId);
    seenAtRelease.push([attempt?.number, attempt?.state, attempt?.runnerKind]);
  };
  const ended = await started.done;
  assert.equal(ended.state, 'SUCCESS');
  assert.deepEqual(runner.releases.map((release) => release.handle), [{ containerId: 'c-1' }, { containerId: 'c-2' }]);
  assert.deepEqual(seenAtRelease, [[1, 'FAILED', 'docker'], [2, 'SUCCESS', 'docker']], 'each end was stored before its release');
  assert.deepEqual((await attemptsOf(started.engine, ended.id, 'build')).map((attempt) => attempt.resumeHandle), [
    { containerId: 'c-1', released: true }, { containerId: 'c-2', released: true },
  ]);
  await started.engine.close();
});

test('a killed attempt is released too, and a Process attempt (no handle) is not', async () => {
  const dir = stateDir();
  const docker = new FakeRunner('docker').on('slow', async (job) => {
    await job.saveResumeHandle({ containerId: 'c-slow' });
    return hangs(job);
  });
  const local = new FakeRunner('process');
  const started = await start(dir, flowYaml(`tasks:\n  - id: quick\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [run]\n  - id: slow\n    ${DOCKER}\n    commands: [run]\n`), { docker, process: local });
  await until(() => docker.calls.length === 1, 'the container task to start');
  started.engine.abortAll();
  assert.equal((await started.done).state, 'KILLED');
  assert.deepEqual(docker.releases.map((release) => release.handle), [{ containerId: 'c-slow' }]);
  assert.deepEqual(local.releases, []);
  await started.engine.close();
});

const UNREACHABLE = 'Docker runner: cannot reach the Docker engine at unix:///var/run/docker.sock (ECONNREFUSED)';

function unreachable(): never {
  throw new RunnerError(UNREACHABLE, { code: 'DOCKER_UNREACHABLE' });
}

test('a release that fails is tried again as the execution ends; failing again, it is said to be left behind; the task succeeds', async () => {
  const dir = stateDir();
  const container = (id: string): Behaviour => async (job) => {
    await job.saveResumeHandle({ containerId: id });
    return 0;
  };
  const runner = new FakeRunner('docker').on('flaky', container('flaky')).on('down', container('down'));
  runner.onRelease = (handle) => {
    const tries = runner.releases.filter((release) => release.handle.containerId === handle.containerId).length;
    if (handle.containerId === 'down' || tries === 1) unreachable();
  };
  const started = await start(dir, flowYaml(`tasks:\n  - id: flaky\n    ${DOCKER}\n    commands: [run]\n  - id: down\n    ${DOCKER}\n    commands: [run]\n`), { docker: runner });
  const ended = await started.done;
  assert.equal(ended.state, 'SUCCESS');
  assert.deepEqual(runner.releases.map((release) => release.handle.containerId), ['flaky', 'down', 'flaky', 'down']);
  const warnings = async (taskId: string): Promise<string[]> => (await started.engine.store.logs(ended.id, { taskId })).filter((log) => log.level === 'WARN').map((log) => log.line);
  assert.deepEqual(await warnings('flaky'), [`what attempt 1 ran in could not be removed: ${UNREACHABLE}; harrier tries again as the execution ends`]);
  assert.deepEqual(await warnings('down'), [
    `what attempt 1 ran in could not be removed: ${UNREACHABLE}; harrier tries again as the execution ends`,
    `what attempt 1 ran in is left behind: ${UNREACHABLE}`,
  ]);
  assert.deepEqual((await attemptsOf(started.engine, ended.id, 'flaky')).map((attempt) => attempt.resumeHandle?.released), [true], 'the second try removed it');
  assert.deepEqual((await attemptsOf(started.engine, ended.id, 'down')).map((attempt) => attempt.resumeHandle?.released), [undefined]);
  await started.engine.close();
});

test('a failed release is a warning, never a task failure; the resume releases it before anything runs', async () => {
  const dir = stateDir();
  const before = new FakeRunner('docker').on('first', containerTask()).on('second', hangs);
  before.onRelease = unreachable;
  const started = await start(dir, flowYaml(`tasks:\n  - id: first\n    ${DOCKER}\n    commands: [run]\n  - id: second\n    ${DOCKER}\n    commands: [run]\n`), { docker: before });
  const warnings = async (): Promise<string[]> => (await started.engine.store.logs(started.execution.id, { taskId: 'first' })).filter((log) => log.level === 'WARN').map((log) => log.line);
  await until(async () => before.callsOf('second').length === 1 && (await warnings()).length > 0, 'the second task to start, the warning stored');
  assert.deepEqual(await warnings(), [`what attempt 1 ran in could not be removed: ${UNREACHABLE}; harrier tries again as the execution ends`]);
  assert.equal((await started.engine.store.taskRuns(started.execution.id)).find((run) => run.taskId === 'first')?.state, 'SUCCESS');
  await crash(started);

  const after = new FakeRunner('docker').on('second', containerTask());
  let releasedBeforeRun: boolean | undefined;
  after.onRelease = (handle) => {
    if (handle.containerId === 'c-1' && releasedBeforeRun === undefined) releasedBeforeRun = after.calls.length === 0;
  };
  const resumed = await resume(dir, started.execution.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.equal(releasedBeforeRun, true, 'released before any task ran');
  assert.deepEqual(after.calls.map((call) => call.taskId), ['second'], 'the first task does not run again');
  assert.deepEqual((await resumed.attempts('first')).map((attempt) => attempt.resumeHandle), [{ containerId: 'c-1', released: true }]);
  await resumed.engine.close();
});

test('a process killed between the stored end and the release: the resume releases the attempt and does not run the task again', async () => {
  const dir = stateDir();
  const before = new FakeRunner('docker').on('only', containerTask());
  before.onRelease = () => new Promise(() => undefined);
  const started = await start(dir, flowYaml(`tasks:\n  - id: only\n    ${DOCKER}\n    commands: [run]\n`), { docker: before });
  await until(() => before.releases.length === 1, 'the release to start');
  await crash(started);

  const after = new FakeRunner('docker');
  const resumed = await resume(dir, started.execution.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual(after.calls, [], 'not run again');
  assert.deepEqual(after.releases.map((release) => release.handle), [{ containerId: 'c-1' }]);
  assert.deepEqual((await resumed.attempts('only')).map((attempt) => [attempt.number, attempt.state, attempt.resumeHandle]), [[1, 'SUCCESS', { containerId: 'c-1', released: true }]]);
  await resumed.engine.close();
});

test('harrier kill of an attempt a dead process left: run() gets the aborted signal, the attempt ends KILLED, release removes what it ran in', async () => {
  const dir = stateDir();
  const before = new FakeRunner('docker').on('orphan', async (job) => {
    await job.saveResumeHandle({ containerId: 'c-orphan' });
    return hangs(job);
  });
  const started = await start(dir, flowYaml(`tasks:\n  - id: orphan\n    ${DOCKER}\n    commands: [run]\n`), { docker: before });
  await until(() => before.calls.length === 1, 'the task to start');
  await crash(started);

  const after = new FakeRunner('docker');
  const engine = await openEngine(dir, { docker: after });
  const ended = await engine.killOrphaned(started.execution.id);
  assert.equal(ended.state, 'KILLED');
  assert.deepEqual(after.calls.map((call) => [call.attempt, call.aborted, call.job.resume?.handle]), [[1, 'killed', { containerId: 'c-orphan' }]]);
  assert.deepEqual(after.releases.map((release) => release.handle), [{ containerId: 'c-orphan' }]);
  assert.deepEqual((await attemptsOf(engine, ended.id, 'orphan')).map((attempt) => [attempt.state, attempt.resumeHandle?.released]), [['KILLED', true]]);
  await engine.close();
});

test('a handle that holds a secret is stored encrypted; release and the re-attach get it in clear', async () => {
  const dir = stateDir();
  const token = 'release-token-4f1c9e';
  process.env.SECRET_RELEASE_TOKEN = Buffer.from(token).toString('base64');
  const flow = flowYaml(`tasks:\n  - id: secret\n    ${DOCKER}\n    env:\n      TOKEN: "{{ secret('RELEASE_TOKEN') }}"\n    commands: [run]\n`);
  const before = new FakeRunner('docker').on('secret', async (job) => {
    await job.saveResumeHandle({ podName: 'p-1', 'connection.oauthToken': job.env.TOKEN });
    return hangs(job);
  });
  const started = await start(dir, flow, { docker: before });
  await until(() => before.calls.length === 1, 'the task to start');
  const [stored] = await attemptsOf(started.engine, started.execution.id, 'secret');
  assert.ok(isEncrypted(stored.resumeHandle?.['connection.oauthToken']), JSON.stringify(stored.resumeHandle));
  assert.doesNotMatch(JSON.stringify(stored.resumeHandle), new RegExp(token));
  await crash(started);

  const after = new FakeRunner('docker');
  const resumed = await resume(dir, started.execution.id, { docker: after });
  assert.equal(resumed.ended.state, 'SUCCESS');
  assert.deepEqual({ ...after.calls[0].job.resume?.handle }, { podName: 'p-1', 'connection.oauthToken': token });
  assert.deepEqual(after.releases.map((release) => ({ ...release.handle })), [{ podName: 'p-1', 'connection.oauthToken': token }]);
  assert.doesNotMatch(JSON.stringify((await resumed.attempts('secret'))[0].resumeHandle), new RegExp(token));
  await resumed.engine.close();
  delete process.env.SECRET_RELEASE_TOKEN;
});
