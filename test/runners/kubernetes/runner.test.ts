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

  /** Requests this task made itself: the shared informer's list and watch are not per task. */
  function perTaskRequests(): number {
    const { requests, total } = sim.stats();
    return total - (requests['list pods'] ?? 0) - (requests['watch pods'] ?? 0);
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

  test('files both ways in one exec each: inputs readable, outputs and output folder collected', async (t) => {
    if (!dockerOrSkip(t)) return;
    sim.resetStats();
    const dir = workDir({ 'data.txt': 'payload\n' });
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'nested.txt'), 'nested\n');
    const { job, captured } = makeJob({
      name: 'files', image, properties: props(), hostWorkingDir: dir, outputGlobs: ['*.json', 'reports/**'],
      script: 'cat data.txt sub/nested.txt; mkdir -p reports/x; echo "{}" > r.json; echo deep > reports/x/d.txt; echo o > out/o.txt; echo no > skip.txt',
    });
    const result = await runner.run(job);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(captured.lines, ['payload', 'nested']);
    assert.ok(existsSync(join(dir, 'r.json')), captured.notices.join('\n'));
    assert.equal(readFileSync(join(dir, 'r.json'), 'utf8'), '{}\n');
    assert.equal(readFileSync(join(dir, 'reports/x/d.txt'), 'utf8'), 'deep\n');
    assert.equal(readFileSync(join(dir, 'out/o.txt'), 'utf8'), 'o\n');
    assert.equal(existsSync(join(dir, 'skip.txt')), false, 'files matching no glob stay in the pod');
    const stats = sim.stats();
    assert.ok(perTaskRequests() <= 6, JSON.stringify(stats.requests));
    assert.ok(stats.watchesPeak <= 1);
    assert.equal(stats.requests['create pods/exec'] ?? stats.requests['get pods/exec'], 2, JSON.stringify(stats.requests));
    assert.deepEqual(taskPods(), []);
  });

  test('non-zero exit: exit code returned, outputs collected anyway', async (t) => {
    if (!dockerOrSkip(t)) return;
    const dir = workDir();
    const { job } = makeJob({ name: 'fails', image, properties: props(), hostWorkingDir: dir, outputGlobs: ['result.txt'], script: 'echo partial > result.txt; exit 3' });
    const result = await runner.run(job);
    assert.equal(result.exitCode, 3);
    assert.equal(readFileSync(join(dir, 'result.txt'), 'utf8'), 'partial\n');
    assert.deepEqual(taskPods(), []);
  });

  test('image pull error fails fast with the reason and leaves no pod', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({ name: 'pull', image: 'harrier-test/does-not-exist:1', properties: props(), hostWorkingDir: workDir(), script: 'true' });
    await assert.rejects(runner.run(job), (error: Error) => {
      assert.ok(error instanceof RunnerError);
      assert.match(error.message, /cannot start \(image harrier-test\/does-not-exist:1\): (ErrImagePull|ImagePullBackOff)/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.ok(captured.notices.some((notice) => /event: Warning Failed \(kubelet spec\.containers\{main\}\): Failed to pull image "harrier-test\/does-not-exist:1"/.test(notice)), captured.notices.join('\n'));
    await sim.settled();
    assert.deepEqual(taskPods(), []);
  });

  test('OOMKilled names the memory limit', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job } = makeJob({
      name: 'oom', image, hostWorkingDir: workDir(), script: 'head -c 100m /dev/zero | tail',
      properties: props({ resources: { limit: { memory: '16Mi' } } }),
    });
    await assert.rejects(runner.run(job), (error: Error) => {
      assert.ok(error instanceof TaskFailedError, String(error));
      assert.match(error.message, /OOMKilled, limit 16Mi/);
      assert.equal((error as TaskFailedError).exitCode, 137);
      return true;
    });
    assert.deepEqual(taskPods(), []);
  });

  test('unschedulable past waitUntilRunning', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({
      name: 'unsched', image, hostWorkingDir: workDir(), script: 'true',
      properties: props({ nodeSelector: { 'disk': 'unicorn' }, waitUntilRunning: 'PT1.5S' }),
    });
    await assert.rejects(runner.run(job), /could not be scheduled within 1\.50s \(waitUntilRunning\): Unschedulable/);
    assert.ok(captured.notices.some((notice) => /^WARN pod \S+ event: Warning FailedScheduling \(default-scheduler\): 0\/1 nodes are available/.test(notice)), captured.notices.join('\n'));
    await sim.settled();
    assert.deepEqual(taskPods(), []);
  });

  test('a pod deleted by someone else fails the task with that reason', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({ name: 'stolen', image, hostWorkingDir: workDir(), script: 'echo started; sleep 30', properties: props() });
    const running = runner.run(job);
    await waitUntil(() => captured.lines.includes('started'));
    sim.faults.deletePod('tasks', String(captured.handles[0].podName), 0);
    await assert.rejects(running, /was deleted by someone else while the task ran/);
  });

  test('Forbidden names the verb and resource and points to deploy/rbac.yaml', async (t) => {
    if (!dockerOrSkip(t)) return;
    sim.forbid('create', 'pods');
    try {
      const { job } = makeJob({ name: 'forbidden', image, hostWorkingDir: workDir(), script: 'true', properties: props() });
      await assert.rejects(runner.run(job), (error: RunnerError) => {
        assert.match(error.message, /forbids 'create' on pods in namespace tasks/);
        assert.match(error.hint ?? '', /deploy\/rbac\.yaml/);
        return true;
      });
    } finally {
      sim.allow('create', 'pods');
    }
  });

  test('unknown namespace and unreachable API server', async (t) => {
    if (!dockerOrSkip(t)) return;
    const missing = makeJob({ name: 'nons', image, hostWorkingDir: workDir(), script: 'true', properties: props({ namespace: 'nope' }) });
    await assert.rejects(runner.run(missing.job), /namespace nope does not exist on https:\/\/127\.0\.0\.1:\d+/);
    const down = makeJob({ name: 'down', image, hostWorkingDir: workDir(), script: 'true', properties: props({ config: { ...config, masterUrl: 'https://127.0.0.1:1' } }) });
    await assert.rejects(runner.run(down.job), /API server https:\/\/127\.0\.0\.1:1 is unreachable \(ECONNREFUSED\)/);
    const untrusted = makeJob({ name: 'ca', image, hostWorkingDir: workDir(), script: 'true', properties: props({ config: { ...config, caCertData: undefined } }) });
    await assert.rejects(runner.run(untrusted.job), /certificate that is not trusted/);
  });

  test('kill and timeout delete the pod at once', async (t) => {
    if (!dockerOrSkip(t)) return;
    const controller = new AbortController();
    const killed = makeJob({ name: 'kill', image, hostWorkingDir: workDir(), script: 'echo up; sleep 60', properties: props(), signal: controller.signal });
    const running = runner.run(killed.job);
    await waitUntil(() => killed.captured.lines.includes('up'));
    controller.abort('killed');
    await assert.rejects(running, (reason: unknown) => reason === 'killed');
    assert.deepEqual(taskPods(), []);
    const timed = makeJob({ name: 'timeout', image, hostWorkingDir: workDir(), script: 'sleep 60', properties: props(), taskTimeoutMs: 1500 });
    await assert.rejects(runner.run(timed.job), /did not finish within 1\.50s \(timeout\)/);
    assert.deepEqual(taskPods(), []);
  });

  test('delete: false keeps the pod and says which', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({ name: 'keep', image, hostWorkingDir: workDir(), outputGlobs: ['a.txt'], script: 'echo a > a.txt', properties: props({ delete: false }) });
    assert.equal((await runner.run(job)).exitCode, 0);
    const name = String(captured.handles[0].podName);
    assert.ok(captured.notices.some((notice) => notice.includes(`pod ${name} is kept`)), captured.notices.join('\n'));
    assert.ok(taskPods().includes(name));
    // The sidecar was released: the pod completes instead of running forever.
    await sim.waitForPod('tasks', name, (pod) => pod?.status?.phase === 'Succeeded', 15_000);
    sim.faults.deletePod('tasks', name, 0);
  });

  test('log stream cut twice mid-task: every line once, in order', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({
      name: 'cut', image, hostWorkingDir: workDir(), properties: props(),
      script: 'i=1; while [ $i -le 3000 ]; do echo line-$i; i=$((i+1)); if [ $((i % 500)) -eq 0 ]; then sleep 0.2; fi; done',
    });
    const running = runner.run(job);
    await waitUntil(() => captured.handles.length > 0);
    sim.faults.cutLogStreams({ namespace: 'tasks', pod: String(captured.handles[0].podName), afterBytes: 8_000, times: 2 });
    assert.equal((await running).exitCode, 0);
    assert.equal(captured.lines.length, 3000);
    assert.deepEqual(captured.lines, Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`));
    assert.ok((sim.stats().requests['get pods/log'] ?? 0) >= 3, JSON.stringify(sim.stats().requests));
  });

  test('a follow stream that ends cleanly as the container stops, before its last lines, loses nothing', async (t) => {
    if (!dockerOrSkip(t)) return;
    const { job, captured } = makeJob({
      name: 'early-end', image, hostWorkingDir: workDir(), properties: props(),
      script: 'sleep 1; i=1; while [ $i -le 3000 ]; do echo line-$i; i=$((i+1)); done',
    });
    const running = runner.run(job);
    await waitUntil(() => captured.handles.length > 0);
    sim.faults.cutLogStreams({ namespace: 'tasks', pod: String(captured.handles[0].podName), afterBytes: 20_000, clean: true });
    assert.equal((await running).exitCode, 0);
    assert.deepEqual(captured.lines, Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`));
  });

  test('the shipped Role (deploy/rbac.yaml) is enough', async (t) => {
    if (!dockerOrSkip(t)) return;
    stopAllInformers();
    sim.useRole(readFileSync(new URL('../../../deploy/rbac.yaml', import.meta.url), 'utf8'));
    try {
      const dir = workDir({ 'in.txt': 'x\n' });
      const { job, captured } = makeJob({ name: 'rbac', image, hostWorkingDir: dir, outputGlobs: ['o.txt'], properties: props(), script: 'cat in.txt; cp in.txt o.txt' });
      assert.equal((await runner.run(job)).exitCode, 0);
      assert.deepEqual(captured.lines, ['x']);
      assert.equal(readFileSync(join(dir, 'o.txt'), 'utf8'), 'x\n');
    } finally {
      sim.useRole(undefined);
    }
  });

  test('without the optional events rule a failure still reports, and says why no events are shown', async (t) => {
    if (!dockerOrSkip(t)) return;
    stopAllInformers();
    const role = readFileSync(new URL('../../../deploy/rbac.yaml', import.meta.url), 'utf8');
    const withoutEvents = role.replace(/ {2}- apiGroups: \[""\]\n {4}resources: \["events"\]\n {4}verbs: \["list"\]\n/, '');
    assert.notEqual(withoutEvents, role, 'the shipped Role has the events rule');
    sim.useRole(withoutEvents);
    try {
      const { job, captured } = makeJob({ name: 'noevents', image, hostWorkingDir: workDir(), properties: props(), script: 'exit 4' });
      assert.equal((await runner.run(job)).exitCode, 4);
      assert.ok(captured.notices.some((notice) => /^DEBUG the pod's Warning events are not shown: the service account may not list events in namespace tasks/.test(notice)), captured.notices.join('\n'));
    } finally {
      sim.useRole(undefined);
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
