/**
 * @kubernetes/client-node 2.x against the simulator: REST with Status errors, Watch (resume,
 * 410 Expired, bookmarks, selectors), Exec over v5 with stdin, logs, RBAC and auth.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { dockerStatus, dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { startKubeSim, type KubeSim } from './index.ts';

let sim: KubeSim;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let image: string;

before(async () => {
  if (!dockerStatus().ok) return;
  image = ensureBusyboxImage();
  sim = await startKubeSim({ namespaces: ['tasks'], backoffMs: 200, bookmarkIntervalMs: 200, historyLimit: 50 });
  kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

after(async () => {
  if (!sim) return;
  await sim.stop();
  assert.deepEqual(await sim.leftovers(), { containers: [], volumes: [] });
});

function pod(name: string, script: string, extra: Partial<k8s.V1PodSpec> = {}, labels: Record<string, string> = {}): k8s.V1Pod {
  return {
    metadata: { name, labels: { suite: 'client-node', ...labels } },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: [{ name: 'main', image, command: ['sh', '-c', script] }], ...extra },
  };
}

async function statusOf(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const apiError = error as k8s.ApiException<string>;
    return { code: apiError.code, body: JSON.parse(apiError.body) };
  }
  throw new Error('expected the call to fail');
}

/** Raw GET through the client's own TLS/auth options, for what the generated client does not expose. */
async function rawGet(path: string, config: k8s.KubeConfig = kc): Promise<{ status: number; body: string }> {
  const options: import('node:https').RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const url = new URL(path, config.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, method: 'GET' }, (res) => {
      let body = '';
      let complete = false;
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        complete = true;
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
      res.on('close', () => {
        if (!complete) reject(new Error(`aborted after ${body.length} bytes`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('create, read, list with selectors, Status errors with the real bodies', async (t) => {
  if (!dockerOrSkip(t)) return;
  const created = await core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-crud', 'sleep 30', {}, { tier: 'a' }) });
  assert.ok(created.metadata?.uid);
  assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
  assert.equal(created.status?.phase, 'Pending');
  assert.ok(created.metadata?.creationTimestamp instanceof Date);

  const conflict = await statusOf(core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-crud', 'true') }));
  assert.equal(conflict.code, 409);
  assert.deepEqual(conflict.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "cn-crud" already exists', reason: 'AlreadyExists', details: { name: 'cn-crud', kind: 'pods' }, code: 409 });
  const missing = await statusOf(core.readNamespacedPod({ namespace: 'tasks', name: 'nope' }));
  assert.deepEqual([missing.code, missing.body.reason, missing.body.message], [404, 'NotFound', 'pods "nope" not found']);
  const noNamespace = await statusOf(core.createNamespacedPod({ namespace: 'ghost', body: pod('x', 'true') }));
  assert.deepEqual([noNamespace.code, noNamespace.body.message], [404, 'namespaces "ghost" not found']);
  const bad = await statusOf(core.createNamespacedPod({ namespace: 'tasks', body: { metadata: { name: 'bad' }, spec: { containers: [{ name: 'main' } as k8s.V1Container] } } }));
  assert.equal(bad.code, 422);
  assert.equal(bad.body.reason, 'Invalid');

  const generated = await core.createNamespacedPod({ namespace: 'tasks', body: { ...pod('', 'sleep 30'), metadata: { generateName: 'cn-gen-', labels: { suite: 'client-node', tier: 'b' } } } });
  assert.match(generated.metadata?.name ?? '', /^cn-gen-[a-z0-9]{5}$/);

  const byLabel = await core.listNamespacedPod({ namespace: 'tasks', labelSelector: 'suite=client-node,tier in (a)' });
  assert.deepEqual(byLabel.items.map((p) => p.metadata?.name), ['cn-crud']);
  const byNotIn = await core.listNamespacedPod({ namespace: 'tasks', labelSelector: 'tier notin (a),suite' });
  assert.deepEqual(byNotIn.items.map((p) => p.metadata?.name), [generated.metadata?.name]);
  const byField = await core.listNamespacedPod({ namespace: 'tasks', fieldSelector: 'metadata.name=cn-crud' });
  assert.equal(byField.items.length, 1);
  assert.match(byField.metadata?.resourceVersion ?? '', /^\d+$/);

  const running = await sim.waitForPod('tasks', 'cn-crud', (p) => p?.status.phase === 'Running');
  assert.equal(running?.status.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const deleted = await core.deleteNamespacedPod({ namespace: 'tasks', name: 'cn-crud', gracePeriodSeconds: 0 });
  assert.equal(deleted.metadata?.name, 'cn-crud');
  await core.deleteNamespacedPod({ namespace: 'tasks', name: generated.metadata!.name!, body: { gracePeriodSeconds: 0 } });
  assert.equal((await core.listNamespacedPod({ namespace: 'tasks', labelSelector: 'suite=client-node' })).items.length, 0);
  await sim.settled();
});

test('watch: transitions in order with new RVs, graceful delete, resume, 410 Expired then close, bookmarks', async (t) => {
  if (!dockerOrSkip(t)) return;
  const list = await core.listNamespacedPod({ namespace: 'tasks' });
  const events: Array<{ type: string; phase?: string; rv: string; deletion?: boolean }> = [];
  const watch = new k8s.Watch(kc);
  let bookmarks = 0;
  const ended = new Promise<unknown>((resolve) => {
    void watch.watch('/api/v1/namespaces/tasks/pods', { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true, labelSelector: 'w=1' }, (type, obj: k8s.V1Pod) => {
      if (type === 'BOOKMARK') bookmarks++;
      else events.push({ type, phase: obj.status?.phase, rv: obj.metadata!.resourceVersion!, deletion: !!obj.metadata?.deletionTimestamp });
    }, resolve).then((controller) => {
      aborter = controller;
    });
  });
  let aborter: AbortController | undefined;
  await core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-watch', 'sleep 600', {}, { w: '1' }) });
  await sim.waitForPod('tasks', 'cn-watch', (p) => p?.status.phase === 'Running');
  await core.deleteNamespacedPod({ namespace: 'tasks', name: 'cn-watch' });
  await sim.waitForPod('tasks', 'cn-watch', (p) => p === undefined);
  await new Promise((resolve) => setTimeout(resolve, 400));
  aborter?.abort();
  await ended;
  assert.equal(events[0].type, 'ADDED');
  assert.equal(events.at(-1)?.type, 'DELETED');
  assert.ok(events.some((e) => e.type === 'MODIFIED' && e.phase === 'Running'));
  assert.ok(events.some((e) => e.type === 'MODIFIED' && e.deletion), 'graceful delete shows deletionTimestamp first');
  const rvs = events.map((e) => Number(e.rv));
  assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), 'RVs increase');
  assert.equal(new Set(rvs).size, rvs.length, 'each event has a new RV');
  assert.ok(bookmarks >= 1, 'bookmarks arrive when asked for');

  // Resume from the middle: exactly the later events come again.
  const middle = events[2].rv;
  const replayed: string[] = [];
  const replayDone = new Promise<void>((resolve) => {
    void watch.watch('/api/v1/namespaces/tasks/pods', { resourceVersion: middle, labelSelector: 'w=1', timeoutSeconds: 1 }, (_type, obj: k8s.V1Pod) => replayed.push(obj.metadata!.resourceVersion!), () => resolve());
  });
  await replayDone;
  assert.deepEqual(replayed, events.slice(3).map((e) => e.rv), 'timeoutSeconds closes the stream after the replay');

  sim.faults.expireWatchHistory();
  const errors: Array<{ type: string; obj: Record<string, unknown> }> = [];
  const closed = await new Promise<unknown>((resolve) => {
    void watch.watch('/api/v1/namespaces/tasks/pods', { resourceVersion: middle }, (type, obj) => errors.push({ type, obj }), resolve);
  });
  assert.equal(closed, null, 'the server closes the stream after the ERROR');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].type, 'ERROR');
  assert.equal(errors[0].obj.code, 410);
  assert.equal(errors[0].obj.reason, 'Expired');
  assert.match(String(errors[0].obj.message), new RegExp(`^too old resource version: ${middle} \\(\\d+\\)$`));
  await sim.settled();
});

test('exec over v5: stdin closed, then stdout and the exit status still arrive', async (t) => {
  if (!dockerOrSkip(t)) return;
  await core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-exec', 'sleep 600') });
  await sim.waitForPod('tasks', 'cn-exec', (p) => p?.status.phase === 'Running');
  const exec = new k8s.Exec(kc);
  const run = async (command: string[], input?: string) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      exec.exec('tasks', 'cn-exec', 'main', command, stdout, stderr, input === undefined ? null : Readable.from([Buffer.from(input)]), false, resolve).catch(reject);
    });
    return { status, out, err };
  };
  const echoed = await run(['sh', '-c', 'cat > /tmp/got; sleep 0.3; wc -c < /tmp/got; echo done >&2'], 'x'.repeat(100_000));
  assert.equal(echoed.out.trim(), '100000');
  assert.equal(echoed.err, 'done\n');
  assert.deepEqual(echoed.status, { metadata: {}, status: 'Success' });
  const failed = await run(['sh', '-c', 'exit 7']);
  assert.equal(failed.status.status, 'Failure');
  assert.equal(failed.status.reason, 'NonZeroExitCode');
  assert.deepEqual(failed.status.details?.causes, [{ reason: 'ExitCode', message: '7' }]);
  assert.equal(failed.status.message, 'command terminated with non-zero exit code: command terminated with exit code 7');
  await assert.rejects(exec.exec('tasks', 'nope', 'main', ['true'], null, null, null, false), (error: { message?: string }) => /Unexpected server response: 404/.test(String(error.message)));
  const stats = sim.stats();
  assert.ok((stats.requests['get pods/exec'] ?? 0) >= 2);
  await core.deleteNamespacedPod({ namespace: 'tasks', name: 'cn-exec', gracePeriodSeconds: 0 });
  await sim.settled();
});

test('logs: waiting message, timestamps, sinceTime cut to whole seconds, follow ends with the container, cut faults', async (t) => {
  if (!dockerOrSkip(t)) return;
  await core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-log', 'sleep 1; for i in $(seq 1 20); do echo line $i; sleep 0.05; done', { initContainers: [{ name: 'init', image, command: ['sleep', '1'] }] }) });
  const waiting = await rawGet('/api/v1/namespaces/tasks/pods/cn-log/log?container=main');
  assert.equal(waiting.status, 400);
  assert.equal(JSON.parse(waiting.body).message, 'container "main" in pod "cn-log" is waiting to start: PodInitializing');
  const noContainer = await rawGet('/api/v1/namespaces/tasks/pods/cn-log/log?container=x');
  assert.equal(JSON.parse(noContainer.body).message, 'container x is not valid for pod cn-log');
  await sim.waitForPod('tasks', 'cn-log', (p) => p?.status.phase === 'Running');
  const followed = await rawGet('/api/v1/namespaces/tasks/pods/cn-log/log?container=main&follow=true&timestamps=true');
  const lines = followed.body.trimEnd().split('\n');
  assert.equal(lines.length, 20, 'follow returns once the container exited');
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 1$/);
  const tenth = lines[9].split(' ')[0];
  const since = await rawGet(`/api/v1/namespaces/tasks/pods/cn-log/log?container=main&timestamps=true&sinceTime=${encodeURIComponent(tenth)}`);
  const wholeSecond = `${tenth.slice(0, 19)}Z`;
  const expected = lines.filter((line) => line.split(' ')[0] >= wholeSecond.replace('Z', '.000000000Z'));
  assert.deepEqual(since.body.trimEnd().split('\n'), expected, 'sinceTime is truncated to the second: lines of that second repeat');
  const limited = await rawGet('/api/v1/namespaces/tasks/pods/cn-log/log?container=main&limitBytes=10');
  assert.equal(limited.body, 'line 1\nlin');
  const text = await core.readNamespacedPodLog({ namespace: 'tasks', name: 'cn-log', container: 'main', tailLines: 2 });
  assert.equal(text, 'line 19\nline 20\n');
  await core.deleteNamespacedPod({ namespace: 'tasks', name: 'cn-log' });

  await core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-cut', 'for i in $(seq 1 100); do echo line $i; sleep 0.02; done; sleep 30') });
  await sim.waitForPod('tasks', 'cn-cut', (p) => p?.status.phase === 'Running');
  sim.faults.cutLogStreams({ namespace: 'tasks', pod: 'cn-cut', afterBytes: 40 });
  const cut = await rawGet('/api/v1/namespaces/tasks/pods/cn-cut/log?follow=true').then(() => 'ended', (error: Error) => error.message);
  assert.match(cut, /aborted|socket hang up|ECONNRESET/);
  await core.deleteNamespacedPod({ namespace: 'tasks', name: 'cn-cut', gracePeriodSeconds: 0 });
  await sim.settled();
});

test('auth and RBAC: anonymous 401, bearer token, forbidden verbs, Role mode, stats endpoint', async (t) => {
  if (!dockerOrSkip(t)) return;
  const anonymous = new k8s.KubeConfig();
  anonymous.loadFromOptions({
    clusters: [{ name: 'c', server: sim.url, caData: Buffer.from(sim.pki.caCert).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  const unauth = await rawGet('/api/v1/namespaces/tasks/pods', anonymous);
  assert.equal(unauth.status, 401);
  assert.deepEqual(JSON.parse(unauth.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });

  const byToken = new k8s.KubeConfig();
  byToken.loadFromString(sim.tokenKubeconfig);
  assert.equal((await byToken.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'tasks' })).kind, 'PodList');

  sim.forbid('create', 'pods');
  const denied = await statusOf(core.createNamespacedPod({ namespace: 'tasks', body: pod('cn-rbac', 'true') }));
  assert.equal(denied.code, 403);
  assert.equal(denied.body.message, 'pods is forbidden: User "harrier-test" cannot create resource "pods" in API group "" in the namespace "tasks"');
  sim.allow('create', 'pods');

  sim.useRole('kind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: r}\nrules:\n- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["get", "list"]\n');
  try {
    assert.equal((await core.listNamespacedPod({ namespace: 'tasks' })).kind, 'PodList');
    const logDenied = await rawGet('/api/v1/namespaces/tasks/pods/x/log');
    assert.equal(JSON.parse(logDenied.body).message, 'pods "x" is forbidden: User "harrier-test" cannot get resource "pods/log" in API group "" in the namespace "tasks"');
  } finally {
    sim.useRole(undefined);
  }
  const stats = JSON.parse((await rawGet('/_sim/stats')).body);
  assert.ok(stats.requests['list pods'] >= 1);
  assert.equal(typeof stats.watchesActive, 'number');
});

test('request faults: injected 500 and connection reset, then normal service', async (t) => {
  if (!dockerOrSkip(t)) return;
  sim.faults.failNext('list pods', 1, 'error');
  const failed = await statusOf(core.listNamespacedPod({ namespace: 'tasks' }));
  assert.equal(failed.code, 500);
  sim.faults.failNext('list pods', 1, 'reset');
  await assert.rejects(core.listNamespacedPod({ namespace: 'tasks' }));
  assert.equal((await core.listNamespacedPod({ namespace: 'tasks' })).kind, 'PodList');
});
