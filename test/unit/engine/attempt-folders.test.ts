/**
 * What an execution leaves on the host, and what it reads of the process: an attempt's folder
 * only for tasks that use files, and Kestra's `envs` from the ENV_ variables.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeRunner, flowYaml, start, stateDir } from './harness.ts';

test('a task that touches no files gets no folder; a script task has its own during the attempt, removed after with the execution\'s', async () => {
  const dir = stateDir();
  const logsOnly = await start(dir, flowYaml('tasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\n'), {});
  assert.equal((await logsOnly.done).state, 'SUCCESS');
  assert.equal(existsSync(join(dir, 'work', logsOnly.execution.id)), false, 'no folder for a Log task');
  await logsOnly.engine.close();

  let seen: boolean | undefined;
  const fake = new FakeRunner('process').on('script', (job) => {
    seen = existsSync(job.hostWorkingDir);
    return 0;
  });
  const script = await start(dir, flowYaml('tasks:\n  - id: script\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [run]\n'), { process: fake });
  assert.equal((await script.done).state, 'SUCCESS');
  assert.equal(seen, true, 'the attempt folder exists while the task runs');
  assert.equal(existsSync(join(dir, 'work', script.execution.id)), false, 'the task run folder, then the empty execution folder, are removed after');
  await script.engine.close();
});

test('envs: the ENV_ variables of the process, without the prefix, lower-cased', async () => {
  process.env.ENV_HARRIER_TEST_GREETING = 'bonjour';
  try {
    const started = await start(stateDir(), flowYaml('tasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ envs.harrier_test_greeting }}"\n'), {});
    assert.equal((await started.done).state, 'SUCCESS');
    assert.deepEqual((await started.engine.store.logs(started.execution.id, { taskId: 'hello' })).map((log) => log.line), ['bonjour']);
    await started.engine.close();
  } finally {
    delete process.env.ENV_HARRIER_TEST_GREETING;
  }
});
