/**
 * Resume: a harrier process running a Kubernetes task is SIGKILLed; a new run() with the saved
 * handle and log cursor re-attaches to the same pod (no second pod), continues the log without
 * loss or repetition, collects the outputs and deletes the pod. `resume: false` starts over.
 * On every backend: the simulator and the real cluster.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBusyboxImage } from '../../support/images.ts';
import { availableBackends, startBackend, type KubeBackend } from '../../support/kube-backends.ts';
import { createKubernetesRunner, stopAllInformers } from '../../../src/runners/kubernetes/index.ts';
import { cursorsFromStored } from '../../../src/runners/log-replay.ts';
import type { LogEntry } from '../../../src/runners/contract.ts';
import { connectionFromKubeconfig, identityFor, madeHere, makeJob, releasing, removeDir, tempDir } from './helpers.ts';
import { hasCode } from '../../../src/shared/errors.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { execInPod } from '../../../src/runners/kubernetes/exec.ts';
import { downloadScript, podSelection } from '../../../src/runners/kubernetes/file-transfer.ts';
import { KubeClient } from '../../../src/runners/kubernetes/client.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const LINES = 40;
const SCRIPT = `i=1; while [ $i -le ${LINES} ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; echo finished > result.txt`;
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line-${i + 1}`);

for (const backendName of availableBackends()) describe(`Kubernetes runner resume on the ${backendName}`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let image: string;
  let config: Record<string, string>;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    image = ensureBusyboxImage();
    backend = await startBackend(backendName, { namespaces: ['tasks'] });
    config = connectionFromKubeconfig(backend.kubeconfig);
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    stopAllInformers();
    await backend?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  /** Starts the task in a child process and SIGKILLs it once `killAfterLines` lines were logged. */
  async function crashMidTask(resume: boolean, killAfterLines: number) {
    const dir = tempDir('resume');
    dirs.push(dir);
    mkdirSync(join(dir, 'out'));
    const identity = identityFor('resume');
    const properties = { config, namespace: 'tasks', pullPolicy: 'IfNotPresent', fileSidecar: { image }, resume };
    const handleFile = join(dir, '..', `${identity.taskRunId}.handle.json`);
    const logFile = join(dir, '..', `${identity.taskRunId}.log.jsonl`);
    const spec = {
      identity, command: ['/bin/sh', '-c', SCRIPT], env: {}, hostWorkingDir: dir, outputDirName: 'out', outputGlobs: ['result.txt'],
      containerImage: image, properties, handleFile, logFile,
    };
    const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    const deadline = Date.now() + 30_000;
    const logged = (): LogEntry[] => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEntry) : []);
    while (logged().length < killAfterLines) {
      if (Date.now() > deadline) throw new Error('the child never logged enough lines');
      if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const entries = logged();
    const cursor = cursorsFromStored(entries.toReversed()).logCursor;
    const handle = JSON.parse(readFileSync(handleFile, 'utf8')) as Record<string, string>;
    return { dir, identity, properties, entries, cursor, handle };
  }

  async function leftPods(): Promise<string[]> {
    await backend.settled('tasks');
    return (await backend.listPods('tasks')).filter(madeHere).map((pod) => String(pod.metadata.name));
  }

  test('SIGKILL mid-task, then resume after the pod finished: same pod, log continues exactly, outputs collected, pod deleted', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(true, 8);
    // Let the task finish while nobody watches.
    await backend.waitForPod('tasks', crashed.handle.podName, (pod) => pod?.status?.containerStatuses?.some((s: any) => s.name === 'main' && s.state?.terminated) ?? false, 30_000);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    job.resume = { handle: crashed.handle, logCursor: crashed.cursor };
    const result = await releasing(createKubernetesRunner()).run(job);
    assert.equal(result.exitCode, 0);
    assert.deepEqual([...crashed.entries.map((entry) => entry.line), ...captured.lines], EXPECTED);
    assert.ok(captured.notices.some((notice) => notice.includes(`re-attached to pod ${crashed.handle.podName}`)), captured.notices.join('\n'));
    assert.equal((await backend.requestCounts())['create pods'], 1, 'no second pod');
    assert.equal(readFileSync(join(crashed.dir, 'result.txt'), 'utf8'), 'finished\n');
    assert.deepEqual(await leftPods(), [], 'pod deleted');
  });

  test('killed while the outputs came down: the sidecar waits for the host, so the resume collects them', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(true, 8);
    await backend.waitForPod('tasks', crashed.handle.podName, (pod) => pod?.status?.containerStatuses?.some((s: any) => s.name === 'main' && s.state?.terminated) ?? false, 30_000);
    // The dead process's download: the sidecar sent the archive, which never reached the host.
    const kc = new KubeConfig();
    kc.loadFromString(backend.kubeconfig);
    await execInPod({
      client: new KubeClient(kc), namespace: 'tasks', pod: crashed.handle.podName, container: 'out-files',
      command: ['sh', '-c', downloadScript(podSelection(['result.txt'], 'out'))], stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    // A sidecar let go by that download would be gone within these seconds.
    const sidecarEnded = (pod: any): boolean => pod?.status?.containerStatuses?.some((s: any) => s.name === 'out-files' && s.state?.terminated) ?? false;
    await backend.waitForPod('tasks', crashed.handle.podName, sidecarEnded, 4_000).catch(() => undefined);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    job.resume = { handle: crashed.handle, logCursor: crashed.cursor };
    assert.equal((await releasing(createKubernetesRunner()).run(job)).exitCode, 0);
    assert.ok(!captured.notices.some((notice) => notice.includes('cannot be collected')), captured.notices.join('\n'));
    assert.equal(readFileSync(join(crashed.dir, 'result.txt'), 'utf8'), 'finished\n');
    assert.deepEqual(await leftPods(), []);
  });

  test('resume while the pod still runs: log continues without loss or repetition', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(true, 5);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    job.resume = { handle: crashed.handle, logCursor: crashed.cursor };
    assert.equal((await releasing(createKubernetesRunner()).run(job)).exitCode, 0);
    assert.deepEqual([...crashed.entries.map((entry) => entry.line), ...captured.lines], EXPECTED);
    assert.equal((await backend.requestCounts())['create pods'], 1);
    assert.deepEqual(await leftPods(), []);
  });

  test('resume: false deletes the old pod and ends the attempt, for the engine to start a new one', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(false, 5);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    job.resume = { handle: crashed.handle, logCursor: crashed.cursor };
    await assert.rejects(releasing(createKubernetesRunner()).run(job), (error: unknown) => hasCode(error, 'ATTEMPT_NOT_RESUMED') && /resume is false/.test(error.message));
    assert.deepEqual(captured.lines, [], 'nothing runs again inside the old attempt');
    assert.ok(captured.notices.some((notice) => notice.includes('resume is false')), captured.notices.join('\n'));
    assert.equal((await backend.requestCounts())['create pods'], 1);
    assert.deepEqual(await leftPods(), []);
  });

  test('the pod of the attempt is gone: the runner creates nothing and says it was deleted outside harrier', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(true, 5);
    assert.equal(crashed.handle.created, true, 'the handle says the pod was created');
    await backend.deletePod('tasks', String(crashed.handle.podName), 0);
    assert.deepEqual(await leftPods(), []);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    job.resume = { handle: crashed.handle, logCursor: crashed.cursor };
    await assert.rejects(releasing(createKubernetesRunner()).run(job), (error: unknown) => hasCode(error, 'ATTEMPT_GONE') && /pod \S+ of this attempt is gone from namespace tasks: it was deleted outside harrier/.test(error.message));
    assert.deepEqual(captured.lines, []);
    assert.equal((await backend.requestCounts())['create pods'], 1, 'no second pod inside the same attempt');
  });

  test('a handle saved before the create, its pod missing: the attempt never started, and nothing is created', async () => {
    await backend.resetCounts();
    const crashed = await crashMidTask(true, 5);
    await backend.deletePod('tasks', String(crashed.handle.podName), 0);
    const { job, captured } = makeJob({ name: 'resume', script: SCRIPT, image, properties: crashed.properties, hostWorkingDir: crashed.dir, outputGlobs: ['result.txt'], identity: crashed.identity });
    const beforeCreate = { ...crashed.handle };
    delete beforeCreate.created;
    job.resume = { handle: beforeCreate, logCursor: crashed.cursor };
    await assert.rejects(releasing(createKubernetesRunner()).run(job), (error: unknown) => hasCode(error, 'ATTEMPT_NEVER_STARTED') && /^interrupted: harrier stopped before pod \S+ of this attempt was created$/.test((error as Error).message));
    assert.deepEqual(captured.lines, []);
    assert.equal((await backend.requestCounts())['create pods'], 1, 'no second pod inside the same attempt');
  });
});
