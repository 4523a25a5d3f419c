/** runPodCreate on every backend (simulator, real cluster): the user's spec, files both ways, every container's logs. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBusyboxImage } from '../../support/images.ts';
import { availableBackends, startBackend, type KubeBackend } from '../../support/kube-backends.ts';
import { createKubernetesRunner, runPodCreate, stopAllInformers, type PodCreateJob, type PodCreateResult } from '../../../src/runners/kubernetes/index.ts';
import type { LogEntry } from '../../../src/runners/contract.ts';
import { connectionFromKubeconfig, identityFor, removeDir, runReleased, tempDir } from './helpers.ts';

/** As the engine runs a PodCreate attempt: its pod is released by the Kubernetes runner once the end is stored. */
function podCreate(job: PodCreateJob): Promise<PodCreateResult> {
  const runner = createKubernetesRunner();
  return runReleased(runPodCreate, (handle, settings) => runner.release(handle, settings), job);
}

for (const backendName of availableBackends()) describe(`PodCreate machinery on the ${backendName}`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let image: string;
  const dirs: string[] = [];

  before(async () => {
    image = ensureBusyboxImage();
    backend = await startBackend(backendName, { namespaces: ['kestra'] });
  });

  after(async () => {
    stopAllInformers();
    await backend?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  function job(spec: Record<string, unknown>, overrides: Partial<PodCreateJob> = {}): { job: PodCreateJob; entries: LogEntry[]; notices: string[] } {
    const dir = tempDir('podcreate');
    dirs.push(dir);
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'commands.sh'), 'echo from-script; echo built > /kestra/working-dir/result.txt\n');
    const entries: LogEntry[] = [];
    const notices: string[] = [];
    return {
      entries,
      notices,
      job: {
        identity: identityFor('podcreate'), hostWorkingDir: dir, outputDirName: 'out', outputGlobs: ['result.txt'],
        signal: new AbortController().signal, log: (entry) => entries.push(entry), notice: (level, message) => notices.push(`${level} ${message}`),
        saveResumeHandle: async () => undefined,
        namespace: 'kestra', metadata: { labels: { app: 'dbt' } }, spec, connection: connectionFromKubeconfig(backend.kubeconfig),
        waitUntilRunningMs: 60_000, waitRunningMs: 60_000, delete: true, resumeEnabled: true, fileSidecar: { image },
        ...overrides,
      },
    };
  }

  test('user spec with two containers: files in and out, logs of both, metadata and status returned; released, no pod is left', async () => {
    const { job: podJob, entries, notices } = job({
      restartPolicy: 'Never',
      containers: [
        { name: 'dbt-duckdb', image, imagePullPolicy: 'IfNotPresent', resources: { request: { cpu: '100m', memory: '64Mi' } }, command: ['/bin/sh', '/kestra/working-dir/commands.sh'] },
        { name: 'helper', image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo from-helper'] },
        { name: 'out-files', image: 'not-allowed' },
      ],
    });
    const result = await podCreate(podJob);
    assert.equal(result.exitCode, 0);
    assert.equal(readFileSync(join(podJob.hostWorkingDir, 'result.txt'), 'utf8'), 'built\n');
    assert.deepEqual(entries.map((entry) => `${entry.container}:${entry.line}`).sort(), ['dbt-duckdb:from-script', 'helper:from-helper']);
    assert.ok(notices.some((notice) => notice.includes("container 'out-files' of the spec was removed")));
    assert.equal((result.metadata.labels as Record<string, string>).app, 'dbt');
    assert.ok(Array.isArray(result.status.containerStatuses));
    await backend.settled('kestra');
    assert.deepEqual((await backend.listPods('kestra')).map((pod) => pod.metadata.name), []);
  });

  test('the shipped Role (deploy/rbac.yaml) is enough for PodCreate with files both ways', async () => {
    stopAllInformers();
    const role = readFileSync(new URL('../../../deploy/rbac.yaml', import.meta.url), 'utf8');
    await backend.withRole('kestra', role, async (kubeconfig) => {
      const { job: podJob, entries } = job(
        { restartPolicy: 'Never', containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', command: ['/bin/sh', '/kestra/working-dir/commands.sh'] }] },
        { connection: connectionFromKubeconfig(kubeconfig) },
      );
      const result = await podCreate(podJob);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(entries.map((entry) => entry.line), ['from-script']);
      assert.equal(readFileSync(join(podJob.hostWorkingDir, 'result.txt'), 'utf8'), 'built\n');
    });
    stopAllInformers();
    await backend.settled('kestra');
    assert.deepEqual((await backend.listPods('kestra')).map((pod) => pod.metadata.name), []);
  });

  test('a failing container gives its exit code', async () => {
    const { job: podJob } = job({ containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo partial > /kestra/working-dir/result.txt; exit 4'] }] });
    const result = await podCreate(podJob);
    assert.equal(result.exitCode, 4);
    assert.equal(readFileSync(join(podJob.hostWorkingDir, 'result.txt'), 'utf8'), 'partial\n');
  });
});
