/**
 * The Kubernetes task runner against the API simulator (whose kubelet runs pods in the real
 * Docker engine). Request counts come from the simulator: they include the shared informer's
 * list and watch only for the first task of a namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerOrSkip, dockerStatus } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { createKubernetesRunner, stopAllInformers } from '../../../src/runners/kubernetes/index.ts';
import { RunnerError, TaskFailedError } from '../../../src/shared/errors.ts';
import { connectionFromKubeconfig, makeJob, removeDir, tempDir } from './helpers.ts';

const TUNING = { logStallMs: 3_000, logEndGraceMs: 2_000, goneTimeoutMs: 20_000, informer: { lingerMs: 600_000 } };

describe('Kubernetes runner', { concurrency: false }, () => {
  let sim: KubeSim;
  let image: string;
  let config: Record<string, string>;
  const dirs: string[] = [];
  const runner = createKubernetesRunner({ tuning: TUNING });

  before(async () => {
    if (!dockerStatus().ok) return;
    image = ensureBusyboxImage();
    sim = await startKubeSim({ namespaces: ['tasks'] });
    config = connectionFromKubeconfig(sim.kubeconfig);
  });

  after(async () => {
    stopAllInformers();
    await sim?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  function workDir(files: Record<string, string> = {}): string {
    const dir = tempDir('wd');
    dirs.push(dir);
    mkdirSync(join(dir, 'out'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  function props(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { config, namespace: 'tasks', pullPolicy: 'IfNotPresent', fileSidecar: { image }, ...extra };
  }

  function taskPods(): string[] {
    return sim.store.list('tasks').map((pod) => String(pod.metadata.name));
  }

  test('hello: logs in order, exit 0, pod deleted, at most 4 requests without files', async (t) => {
    if (!dockerOrSkip(t)) return;
    // Warm the shared informer so this task's count is the per-task cost.
    await runner.run(makeJob({ name: 'warm', script: 'true', image, properties: props(), hostWorkingDir: workDir() }).job);
    sim.resetStats();
    const { job, captured } = makeJob({ name: 'hello', script: 'echo hello; echo world; echo oops >&2; echo done', image, properties: props(), hostWorkingDir: workDir() });
    const result = await runner.run(job);
    assert.equal(result.exitCode, 0);
    // Kubernetes merges stderr into the log; its order against stdout is not kept by the runtime.
    assert.deepEqual(captured.lines.filter((line) => line !== 'oops'), ['hello', 'world', 'done']);
    assert.ok(captured.lines.includes('oops'));
    assert.ok(captured.entries.every((entry) => /^\d{4}-\d\d-\d\dT/.test(entry.timestamp)));
    const stats = sim.stats();
    assert.ok(stats.total <= 4, JSON.stringify(stats.requests));
    assert.equal(stats.requests['create pods'], 1);
    assert.equal(captured.handles.length, 1);
    assert.deepEqual(taskPods(), []);
  });
});
