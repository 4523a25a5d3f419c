/**
 * The Kubernetes runner under faults a real cluster cannot produce on demand: log streams cut at a
 * chosen byte, cleanly or not. Simulator only; runner.test.ts runs the rest on both backends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerOrSkip, dockerStatus } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { createKubernetesRunner, stopAllInformers } from '../../../src/runners/kubernetes/index.ts';
import { connectionFromKubeconfig, makeJob, releasing, removeDir, tempDir, waitUntil } from './helpers.ts';

const TUNING = { logStallMs: 3_000, logEndGraceMs: 2_000, goneTimeoutMs: 20_000, informer: { lingerMs: 600_000 } };

describe('Kubernetes runner under injected log faults (simulator)', { concurrency: false }, () => {
  let sim: KubeSim;
  let image: string;
  let config: Record<string, string>;
  const dirs: string[] = [];
  const runner = releasing(createKubernetesRunner({ tuning: TUNING }));

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

  function job(name: string, script: string) {
    const dir = tempDir('wd');
    dirs.push(dir);
    mkdirSync(join(dir, 'out'));
    return makeJob({ name, image, hostWorkingDir: dir, script, properties: { config, namespace: 'tasks', pullPolicy: 'IfNotPresent', fileSidecar: { image } } });
  }

  test('log stream cut twice mid-task: every line once, in order', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job: cut, captured } = job('cut', 'i=1; while [ $i -le 3000 ]; do echo line-$i; i=$((i+1)); if [ $((i % 500)) -eq 0 ]; then sleep 0.2; fi; done');
    const running = runner.run(cut);
    await waitUntil(() => captured.handles.length > 0);
    sim.faults.cutLogStreams({ namespace: 'tasks', pod: String(captured.handles[0].podName), afterBytes: 8_000, times: 2 });
    assert.equal((await running).exitCode, 0);
    assert.equal(captured.lines.length, 3000);
    assert.deepEqual(captured.lines, Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`));
    assert.ok((sim.stats().requests['get pods/log'] ?? 0) >= 3, JSON.stringify(sim.stats().requests));
  });

  test('a follow stream that ends cleanly as the container stops, before its last lines, loses nothing', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job: early, captured } = job('early-end', 'sleep 1; i=1; while [ $i -le 3000 ]; do echo line-$i; i=$((i+1)); done');
    const running = runner.run(early);
    await waitUntil(() => captured.handles.length > 0);
    sim.faults.cutLogStreams({ namespace: 'tasks', pod: String(captured.handles[0].podName), afterBytes: 20_000, clean: true });
    assert.equal((await running).exitCode, 0);
    assert.deepEqual(captured.lines, Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`));
  });
});
