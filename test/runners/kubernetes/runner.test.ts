/**
 * The Kubernetes task runner against every backend: the API simulator (its kubelet runs pods in the
 * real Docker engine) and the real cluster built from the Kubernetes Go modules. The same bodies run
 * on both. Request counts are this file's own: on the simulator its statistics, on the real cluster
 * the API server's audit log for this file's service account. They include the shared informer's
 * list and watch only for the first task of a namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBusyboxImage } from '../../support/images.ts';
import { availableBackends, rolePairs, roleWithout, startBackend, type KubeBackend } from '../../support/kube-backends.ts';
import { createKubernetesRunner, stopAllInformers } from '../../../src/runners/kubernetes/index.ts';
import { RunnerError, TaskFailedError } from '../../../src/shared/errors.ts';
import type { RunnerJob, RunnerResult } from '../../../src/runners/contract.ts';
import { connectionFromKubeconfig, madeHere, makeJob, releasing, removeDir, tempDir, waitUntil } from './helpers.ts';

const TUNING = { logStallMs: 3_000, logEndGraceMs: 2_000, goneTimeoutMs: 20_000, informer: { lingerMs: 600_000 } };
const ROLE = readFileSync(new URL('../../../deploy/rbac.yaml', import.meta.url), 'utf8');

for (const backendName of availableBackends()) {
  describe(`Kubernetes runner on the ${backendName}`, { concurrency: false }, () => {
    let backend: KubeBackend;
    let image: string;
    let config: Record<string, string>;
    const dirs: string[] = [];
    /** Each attempt as the engine runs it: run(), then release once its end is stored. */
    const runner = releasing(createKubernetesRunner({ tuning: TUNING }));
    const run = (job: RunnerJob): Promise<RunnerResult> => runner.run(job);

    before(async () => {
      image = ensureBusyboxImage();
      backend = await startBackend(backendName, { namespaces: ['tasks'] });
      config = connectionFromKubeconfig(backend.kubeconfig);
    });

    after(async () => {
      stopAllInformers();
      await backend?.stop();
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
    async function perTaskRequests(): Promise<{ count: number; requests: Record<string, number> }> {
      const requests = await backend.requestCounts();
      const count = Object.entries(requests).filter(([key]) => key !== 'list pods' && key !== 'watch pods').reduce((sum, [, n]) => sum + n, 0);
      return { count, requests };
    }

    /** This process's pods left in the namespace once every deletion has gone through. */
    async function leftPods(): Promise<string[]> {
      await backend.settled('tasks');
      return (await backend.listPods('tasks')).filter(madeHere).map((pod) => String(pod.metadata.name));
    }

    test('hello: logs in order, exit 0, pod deleted by release, at most 4 requests without files', async () => {
      // Warm the shared informer so this task's count is the per-task cost.
      await run(makeJob({ name: 'warm', script: 'true', image, properties: props(), hostWorkingDir: workDir() }).job);
      await backend.resetCounts();
      const { job, captured } = makeJob({ name: 'hello', script: 'echo hello; echo world; echo oops >&2; echo done', image, properties: props(), hostWorkingDir: workDir() });
      const result = await run(job);
      assert.equal(result.exitCode, 0);
      // Kubernetes merges stderr into the log; its order against stdout is not kept by the runtime.
      assert.deepEqual(captured.lines.filter((line) => line !== 'oops'), ['hello', 'world', 'done']);
      assert.ok(captured.lines.includes('oops'));
      assert.ok(captured.entries.every((entry) => /^\d{4}-\d\d-\d\dT/.test(entry.timestamp)));
      const { count, requests } = await perTaskRequests();
      assert.ok(count <= 4, JSON.stringify(requests));
      assert.equal(requests['create pods'], 1);
      assert.deepEqual(captured.handles.map((handle) => handle.created), [undefined, true], 'saved before the create, and again once the pod exists');
      assert.deepEqual(await leftPods(), []);
    });

    test('files both ways in one exec each: inputs readable, outputs and output folder collected', async () => {
      await backend.resetCounts();
      const dir = workDir({ 'data.txt': 'payload\n' });
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'nested.txt'), 'nested\n');
      const { job, captured } = makeJob({
        name: 'files', image, properties: props(), hostWorkingDir: dir, outputGlobs: ['*.json', 'reports/**'],
        script: 'cat data.txt sub/nested.txt; mkdir -p reports/x; echo "{}" > r.json; echo deep > reports/x/d.txt; echo o > out/o.txt; echo no > skip.txt',
      });
      const result = await run(job);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(captured.lines, ['payload', 'nested']);
      assert.ok(existsSync(join(dir, 'r.json')), captured.notices.join('\n'));
      assert.equal(readFileSync(join(dir, 'r.json'), 'utf8'), '{}\n');
      assert.equal(readFileSync(join(dir, 'reports/x/d.txt'), 'utf8'), 'deep\n');
      assert.equal(readFileSync(join(dir, 'out/o.txt'), 'utf8'), 'o\n');
      assert.equal(existsSync(join(dir, 'skip.txt')), false, 'files matching no glob stay in the pod');
      const { count, requests } = await perTaskRequests();
      assert.ok(count <= 6, JSON.stringify(requests));
      assert.equal((requests['create pods/exec'] ?? 0) + (requests['get pods/exec'] ?? 0), 2, JSON.stringify(requests));
      assert.deepEqual(await leftPods(), []);
    });

    test('non-zero exit: exit code returned, outputs collected anyway', async () => {
      const dir = workDir();
      const { job } = makeJob({ name: 'fails', image, properties: props(), hostWorkingDir: dir, outputGlobs: ['result.txt'], script: 'echo partial > result.txt; exit 3' });
      const result = await run(job);
      assert.equal(result.exitCode, 3);
      assert.equal(readFileSync(join(dir, 'result.txt'), 'utf8'), 'partial\n');
      assert.deepEqual(await leftPods(), []);
    });

    test('image pull error fails fast with the reason and leaves no pod', async () => {
      const { job, captured } = makeJob({ name: 'pull', image: 'harrier-test/does-not-exist:1', properties: props(), hostWorkingDir: workDir(), script: 'true' });
      await assert.rejects(run(job), (error: Error) => {
        assert.ok(error instanceof RunnerError);
        assert.match(error.message, /cannot start \(image harrier-test\/does-not-exist:1\): (ErrImagePull|ImagePullBackOff)/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      assert.ok(captured.notices.some((notice) => /event: Warning Failed \(kubelet( spec\.containers\{main\})?\): Failed to pull image "harrier-test\/does-not-exist:1"/.test(notice)), captured.notices.join('\n'));
      assert.deepEqual(await leftPods(), []);
    });

    test('a latest image with the default pull policy is pulled, and the pull fails here', async () => {
      const { job } = makeJob({ name: 'latest', image: 'harrier-test/busybox:latest', properties: props({ pullPolicy: undefined }), hostWorkingDir: workDir(), script: 'true' });
      await assert.rejects(run(job), /cannot start \(image harrier-test\/busybox:latest\): (ErrImagePull|ImagePullBackOff)/);
      assert.deepEqual(await leftPods(), []);
    });

    test('InvalidImageName', async () => {
      const { job } = makeJob({ name: 'badname', image: 'Harrier/BusyBox:1', properties: props(), hostWorkingDir: workDir(), script: 'true' });
      await assert.rejects(run(job), /cannot start \(image Harrier\/BusyBox:1\): InvalidImageName/);
      assert.deepEqual(await leftPods(), []);
    });

    test('CreateContainerConfigError: a missing ConfigMap reference', async () => {
      const { job } = makeJob({
        name: 'cfgerr', image, hostWorkingDir: workDir(), script: 'true',
        properties: props({ containerDefaultSpec: { env: [{ name: 'FROM_MAP', valueFrom: { configMapKeyRef: { name: 'harrier-missing', key: 'k' } } }] } }),
      });
      await assert.rejects(run(job), (error: Error) => {
        assert.match(error.message, /cannot start \(image [^)]+\): CreateContainerConfigError/);
        assert.match(error.message, /configmap "harrier-missing" not found/);
        return true;
      });
      assert.deepEqual(await leftPods(), []);
    });

    test('OOMKilled names the memory limit', async () => {
      // pipefail: the OOM killer may pick `head` rather than `tail`, and the pipeline must fail either way.
      const { job } = makeJob({
        name: 'oom', image, hostWorkingDir: workDir(), script: 'set -o pipefail; head -c 100m /dev/zero | tail',
        properties: props({ resources: { limit: { memory: '16Mi' } } }),
      });
      await assert.rejects(run(job), (error: Error) => {
        assert.ok(error instanceof TaskFailedError, String(error));
        assert.match(error.message, /OOMKilled, limit 16Mi/);
        assert.equal((error as TaskFailedError).exitCode, 137);
        return true;
      });
      assert.deepEqual(await leftPods(), []);
    });

    test('activeDeadlineSeconds ends the pod with DeadlineExceeded', async () => {
      const { job } = makeJob({ name: 'deadline', image, hostWorkingDir: workDir(), script: 'sleep 60', properties: props({ podSpec: { activeDeadlineSeconds: 2 } }) });
      await assert.rejects(run(job), /exceeded its activeDeadlineSeconds/);
      assert.deepEqual(await leftPods(), []);
    });

    test('unschedulable past waitUntilRunning', async () => {
      const { job, captured } = makeJob({
        name: 'unsched', image, hostWorkingDir: workDir(), script: 'true',
        properties: props({ nodeSelector: { disk: 'unicorn' }, waitUntilRunning: 'PT1.5S' }),
      });
      await assert.rejects(run(job), /could not be scheduled within 1\.50s \(waitUntilRunning\): Unschedulable/);
      assert.ok(captured.notices.some((notice) => /^WARN pod \S+ event: Warning FailedScheduling \(default-scheduler\): 0\/1 nodes are available/.test(notice)), captured.notices.join('\n'));
      assert.deepEqual(await leftPods(), []);
    });

    test('a pod deleted by someone else fails the task with that reason', async () => {
      const { job, captured } = makeJob({ name: 'stolen', image, hostWorkingDir: workDir(), script: 'echo started; sleep 30', properties: props() });
      const running = run(job);
      await waitUntil(() => captured.lines.includes('started'));
      await backend.deletePod('tasks', String(captured.handles[0].podName), 0);
      await assert.rejects(running, /was deleted by someone else while the task ran/);
    });

    test('unknown namespace and unreachable API server', async () => {
      const missing = makeJob({ name: 'nons', image, hostWorkingDir: workDir(), script: 'true', properties: props({ namespace: 'nope' }) });
      await assert.rejects(run(missing.job), /namespace nope does not exist on https:\/\/127\.0\.0\.1:\d+/);
      const down = makeJob({ name: 'down', image, hostWorkingDir: workDir(), script: 'true', properties: props({ config: { ...config, masterUrl: 'https://127.0.0.1:1' } }) });
      await assert.rejects(run(down.job), /API server https:\/\/127\.0\.0\.1:1 is unreachable \(ECONNREFUSED\)/);
      const untrusted = makeJob({ name: 'ca', image, hostWorkingDir: workDir(), script: 'true', properties: props({ config: { ...config, caCertData: undefined } }) });
      await assert.rejects(run(untrusted.job), /certificate that is not trusted/);
    });

    test('kill and timeout: release deletes the pod at once', async () => {
      const controller = new AbortController();
      const killed = makeJob({ name: 'kill', image, hostWorkingDir: workDir(), script: 'echo up; sleep 60', properties: props(), signal: controller.signal });
      const running = run(killed.job);
      await waitUntil(() => killed.captured.lines.includes('up'));
      controller.abort('killed');
      await assert.rejects(running, (reason: unknown) => reason === 'killed');
      assert.deepEqual(await leftPods(), []);
      const timed = makeJob({ name: 'timeout', image, hostWorkingDir: workDir(), script: 'sleep 60', properties: props(), taskTimeoutMs: 1500 });
      await assert.rejects(run(timed.job), /did not finish within 1\.50s \(timeout\)/);
      assert.deepEqual(await leftPods(), []);
    });

    test('delete: false keeps the pod, through release too, and says which', async () => {
      const { job, captured } = makeJob({ name: 'keep', image, hostWorkingDir: workDir(), outputGlobs: ['a.txt'], script: 'echo a > a.txt', properties: props({ delete: false }) });
      assert.equal((await run(job)).exitCode, 0);
      const name = String(captured.handles[0].podName);
      assert.ok(captured.notices.some((notice) => notice.includes(`pod ${name} is kept`)), captured.notices.join('\n'));
      assert.ok((await backend.listPods('tasks')).some((pod) => pod.metadata.name === name));
      // The sidecar was released: the pod completes instead of running forever.
      await backend.waitForPod('tasks', name, (pod) => pod?.status?.phase === 'Succeeded', 15_000);
      await backend.deletePod('tasks', name, 0);
    });

    test('the shipped Role (deploy/rbac.yaml) is enough', async () => {
      stopAllInformers();
      await backend.withRole('tasks', ROLE, async (kubeconfig) => {
        const dir = workDir({ 'in.txt': 'x\n' });
        const { job, captured } = makeJob({
          name: 'rbac', image, hostWorkingDir: dir, outputGlobs: ['o.txt'], script: 'cat in.txt; cp in.txt o.txt',
          properties: props({ config: connectionFromKubeconfig(kubeconfig) }),
        });
        assert.equal((await run(job)).exitCode, 0);
        assert.deepEqual(captured.lines, ['x']);
        assert.equal(readFileSync(join(dir, 'o.txt'), 'utf8'), 'x\n');
      });
      stopAllInformers();
      assert.deepEqual(await leftPods(), []);
    });

    // `list events` is optional: below.
    for (const pair of rolePairs(ROLE).filter((p) => p !== 'list events')) {
      test(`without '${pair}' in the Role the failure names that verb and resource`, async () => {
        stopAllInformers();
        const [verb, resource] = pair.split(' ');
        await backend.withRole('tasks', roleWithout(ROLE, pair), async (kubeconfig) => {
          const dir = workDir({ 'in.txt': 'x\n' });
          const { job, captured } = makeJob({
            name: 'rbac-less', image, hostWorkingDir: dir, outputGlobs: ['o.txt'], script: 'cat in.txt; cp in.txt o.txt',
            properties: props({ config: connectionFromKubeconfig(kubeconfig) }),
          });
          const said = await run(job).then(
            (result) => `exit ${result.exitCode}; notices: ${captured.notices.join(' | ')}`,
            (error: Error) => `${error.message}; notices: ${captured.notices.join(' | ')}`,
          );
          assert.match(said, new RegExp(`forbids '${verb}' on ${resource.replace('/', '\\/')}`), said);
        });
        stopAllInformers();
        await cleanUpAsAdmin();
      });
    }

    test('without the optional events rule a failure still reports, and says why no events are shown', async () => {
      stopAllInformers();
      await backend.withRole('tasks', roleWithout(ROLE, 'list events'), async (kubeconfig) => {
        const { job, captured } = makeJob({ name: 'noevents', image, hostWorkingDir: workDir(), script: 'exit 4', properties: props({ config: connectionFromKubeconfig(kubeconfig) }) });
        assert.equal((await run(job)).exitCode, 4);
        assert.ok(captured.notices.some((notice) => /^DEBUG the pod's Warning events are not shown: the service account may not list events in namespace tasks/.test(notice)), captured.notices.join('\n'));
      });
      stopAllInformers();
    });

    /** A runner that lacked `delete pods` leaves its pod: tidy it as the admin would. */
    async function cleanUpAsAdmin(): Promise<void> {
      for (const pod of await backend.listPods('tasks')) await backend.deletePod('tasks', String(pod.metadata.name), 0);
      await backend.settled('tasks');
    }
  });
}
