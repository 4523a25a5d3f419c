/** Every way the Docker runner can fail before the task runs: one line that says what to do. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';
import { type ErrorCode, RunnerError } from '../../../src/shared/errors.ts';
import { dockerOrSkip } from '../../support/docker.ts';
import { resourcesOf, trackedJobs } from './job.ts';

const runner = createDockerRunner();

/** Asserts a one-line RunnerError with this code, whose message and hint match. */
function oneLine(code: ErrorCode, message: RegExp, hint?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RunnerError, `expected a RunnerError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.userMessage(), /\n/);
    if (hint) assert.match(error.hint ?? '', hint);
    return true;
  };
}

describe('Docker runner errors', () => {
  const { job } = trackedJobs();

  test('an unreachable engine names the host and says to start dockerd or set DOCKER_HOST', async () => {
    const recorded = job({ properties: { host: 'tcp://127.0.0.1:1' } });
    await assert.rejects(
      runner.run(recorded.job),
      oneLine('DOCKER_UNREACHABLE', /cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/, /start dockerd.*DOCKER_HOST/),
    );
  });

  test('a socket that does not exist is an unreachable engine too', async () => {
    const recorded = job({ properties: { host: 'unix:///nonexistent/docker.sock' } });
    await assert.rejects(runner.run(recorded.job), oneLine('DOCKER_UNREACHABLE', /cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/));
  });

  test('a bad containerImage is refused before talking to the engine', async () => {
    const recorded = job({ containerImage: 'Not A Valid::Image' });
    await assert.rejects(runner.run(recorded.job), oneLine('IMAGE_INVALID', /containerImage 'Not A Valid::Image' is not a valid image reference/, /REGISTRY/));
  });

  test('a task without containerImage says to set it', async () => {
    const recorded = job({ containerImage: undefined });
    await assert.rejects(runner.run(recorded.job), oneLine('IMAGE_INVALID', /task task has no containerImage/, /set containerImage/));
  });

  test('bad properties name the property', async () => {
    const recorded = job({ properties: { fileHandlingStrategy: 'COPY' } });
    await assert.rejects(runner.run(recorded.job), oneLine('RUNNER_PROPERTIES_INVALID', /taskRunner\.fileHandlingStrategy/));
  });

  test('volumes and privileged are refused unless the installation enables them', async () => {
    await assert.rejects(runner.run(job({ properties: { volumes: ['/etc:/host-etc'] } }).job), oneLine('DOCKER_OPTION_DISABLED', /volumes is disabled/, /HARRIER_DOCKER_VOLUMES_ENABLED=true/));
    await assert.rejects(runner.run(job({ properties: { privileged: true } }).job), oneLine('DOCKER_OPTION_DISABLED', /privileged is disabled/, /HARRIER_DOCKER_PRIVILEGED_ENABLED=true/));
  });

  test('NEVER with an image the engine lacks says how to get it there', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ containerImage: 'harrier-test/does-not-exist:1', properties: { pullPolicy: 'NEVER' } });
    await assert.rejects(
      runner.run(recorded.job),
      oneLine('IMAGE_PULL', /image harrier-test\/does-not-exist:1 is not on the Docker engine at .* and pullPolicy is NEVER/, /docker pull harrier-test\/does-not-exist:1.*IF_NOT_PRESENT/),
    );
    assert.deepEqual(recorded.handles, []);
  });

  test('a failed pull without a local copy carries the registry message and a hint', async (t) => {
    if (!dockerOrSkip(t)) return;
    for (const pullPolicy of ['IF_NOT_PRESENT', 'ALWAYS']) {
      const recorded = job({ containerImage: 'registry.invalid/harrier/missing:1', properties: { pullPolicy } });
      await assert.rejects(
        runner.run(recorded.job),
        oneLine('IMAGE_PULL', /cannot pull image registry\.invalid\/harrier\/missing:1: .*registry\.invalid/, /credentials.*reach the registry/),
      );
      assert.deepEqual(await resourcesOf(recorded.executionId), { containers: [], volumes: [] });
    }
  });

  test('resuming a created container that is gone says so: removed outside harrier, for the retry policy to judge', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ resume: { handle: { containerId: 'f'.repeat(64), volume: 'harrier-gone-volume' } } });
    await assert.rejects(runner.run(recorded.job), oneLine('ATTEMPT_GONE', /container ffffffffffff of this attempt is gone from .*: it was removed outside harrier/, /retry policy/));
  });

  test('resuming a container that was never created (the handle names it only) says the attempt never started', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ resume: { handle: { containerName: 'harrier-never-created' } } });
    await assert.rejects(runner.run(recorded.job), oneLine('ATTEMPT_NEVER_STARTED', /interrupted: harrier stopped before container harrier-never-created of this attempt was created/));
  });
});
