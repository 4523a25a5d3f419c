/** Kill, timeout and delete: what is left on the engine afterwards. */
import assert from 'node:assert/strict';
import { closeSync, openSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';
import { dockerOrSkip } from '../../support/docker.ts';
import { type RecordedJob, docker, releaseLast, resourcesOf, trackedJobs } from './job.ts';

const runner = createDockerRunner();

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function waitForLine(recorded: RecordedJob, line: string): Promise<void> {
  return until(() => recorded.stdout().includes(line), `'${line}' to be logged`);
}

describe('Docker runner lifecycle', () => {
  const { job } = trackedJobs();

  for (const reason of ['killed', 'timeout'] as const) {
    test(`abort (${reason}) stops the container and rejects with the reason; release then removes the container and volume`, async (t) => {
      if (!dockerOrSkip(t)) return;
      const recorded = job({ script: 'echo started; sleep 60', properties: { pullPolicy: 'NEVER' } });
      const running = runner.run(recorded.job);
      await waitForLine(recorded, 'started');
      assert.equal((await resourcesOf(recorded.executionId)).containers.length, 1);
      const abortedAt = Date.now();
      recorded.controller.abort(reason);
      await assert.rejects(running, (error: unknown) => error === reason);
      assert.ok(Date.now() - abortedAt < 10_000, 'the abort does not wait for the task');
      const { containers } = await resourcesOf(recorded.executionId);
      assert.deepEqual(containers.map((container) => container.State), ['exited'], 'stopped, left for release');
      await releaseLast(recorded);
      assert.deepEqual(await resourcesOf(recorded.executionId), { containers: [], volumes: [] });
    });
  }

  test('an abort before the container starts leaves nothing behind', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'echo never', properties: { pullPolicy: 'NEVER' } });
    const running = runner.run(recorded.job);
    recorded.controller.abort('killed');
    await assert.rejects(running, (error: unknown) => error === 'killed');
    assert.deepEqual(recorded.stdout(), []);
    assert.deepEqual(await resourcesOf(recorded.executionId), { containers: [], volumes: [] });
  });

  test('an abort during a large upload stops it at once; once released, nothing is left', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'echo never', properties: { pullPolicy: 'NEVER' } });
    // Sparse: instant to create, yet 2 GiB to stream.
    closeSync(openSync(join(recorded.workDir, 'huge.bin'), 'w'));
    truncateSync(join(recorded.workDir, 'huge.bin'), 2 * 1024 ** 3);
    const running = runner.run(recorded.job);
    await until(() => recorded.handles.length > 0, 'the container to be created');
    await sleep(300);
    const abortedAt = Date.now();
    recorded.controller.abort('killed');
    await assert.rejects(running, (error: unknown) => error === 'killed');
    assert.ok(Date.now() - abortedAt < 10_000, 'the upload does not run to its end');
    assert.deepEqual(recorded.stdout(), []);
    await releaseLast(recorded);
    assert.deepEqual(await resourcesOf(recorded.executionId), { containers: [], volumes: [] });
  });

  test('delete: false keeps the container and volume after a run, through release too, and says so', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'echo kept', properties: { pullPolicy: 'NEVER', delete: false } });
    const result = await runner.run(recorded.job);
    assert.equal(result.exitCode, 0);
    const { containers, volumes } = await resourcesOf(recorded.executionId);
    assert.equal(containers.length, 1);
    const last = recorded.handles.at(-1)!;
    assert.deepEqual(recorded.handles[0], { host: last.host, keep: true, volume: last.volume, containerName: last.containerName }, 'a first handle before anything is created');
    assert.equal(containers[0].Id, recorded.handles.at(-1)!.containerId);
    assert.deepEqual(volumes, [recorded.handles.at(-1)!.volume]);
    const notice = recorded.notices.find((entry) => /kept \(delete: false\)/.test(entry.message));
    assert.ok(notice, JSON.stringify(recorded.notices));
    assert.ok(notice.message.includes(String(recorded.handles.at(-1)!.containerId).slice(0, 12)));
    assert.ok(notice.message.includes(String(recorded.handles.at(-1)!.volume)));
    await releaseLast(recorded);
    assert.equal((await resourcesOf(recorded.executionId)).containers.length, 1, 'release keeps what the task keeps');
  });

  test('delete: false on kill stops the container but keeps it', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'echo started; sleep 60', properties: { pullPolicy: 'NEVER', delete: false } });
    const running = runner.run(recorded.job);
    await waitForLine(recorded, 'started');
    recorded.controller.abort('killed');
    await assert.rejects(running, (error: unknown) => error === 'killed');
    const { containers } = await resourcesOf(recorded.executionId);
    assert.equal(containers.length, 1);
    assert.notEqual(containers[0].State, 'running');
    assert.ok(recorded.notices.some((entry) => /kept \(delete: false\)/.test(entry.message)));
    await releaseLast(recorded);
    assert.equal((await resourcesOf(recorded.executionId)).containers.length, 1, 'release keeps what the task keeps');
  });

  test('containers and volumes carry the identity labels', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'true', properties: { pullPolicy: 'NEVER', delete: false } });
    await runner.run(recorded.job);
    const info = await docker.getContainer(String(recorded.handles.at(-1)!.containerId)).inspect();
    const { identity } = recorded.job;
    assert.deepEqual(
      Object.fromEntries(Object.entries(info.Config.Labels).filter(([key]) => key.startsWith('harrier.io/'))),
      {
        'harrier.io/execution-id': identity.executionId,
        'harrier.io/namespace': identity.namespace,
        'harrier.io/flow-id': identity.flowId,
        'harrier.io/task-id': identity.taskId,
        'harrier.io/task-run-id': identity.taskRunId,
        'harrier.io/attempt': '1',
      },
    );
    const volume = await docker.getVolume(String(recorded.handles.at(-1)!.volume)).inspect();
    assert.equal(volume.Labels['harrier.io/task-run-id'], identity.taskRunId);
  });
});
