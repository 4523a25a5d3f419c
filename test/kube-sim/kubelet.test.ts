/** The Docker-backed kubelet: real container failures reach the pod status as a kubelet reports them. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { dockerStatus, dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { startKubeSim, type KubeSim, type Pod } from './index.ts';

let sim: KubeSim;
let core: k8s.CoreV1Api;
let image: string;
const NS = 'kubelet';

before(async () => {
  if (!dockerStatus().ok) return;
  image = ensureBusyboxImage();
  sim = await startKubeSim({ namespaces: [NS], backoffMs: 200, maxBackoffMs: 400, imageRecheckMs: 200 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

after(async () => {
  if (!sim) return;
  await sim.stop();
  assert.deepEqual(await sim.leftovers(), { containers: [], volumes: [] });
});

async function create(name: string, spec: Partial<k8s.V1PodSpec>, containers: k8s.V1Container[] = [{ name: 'main', image, command: ['sh', '-c', 'true'] }]): Promise<void> {
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers, ...spec } } });
}

const main = (pod: Pod | undefined) => pod?.status.containerStatuses?.find((s) => s.name === 'main');

async function remove(name: string): Promise<void> {
  await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
}

test('memory emptyDir is shared from the init container to the main container; success conditions', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-volume', {
    volumes: [{ name: 'work', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }],
    initContainers: [{ name: 'init', image, command: ['sh', '-c', 'echo from-init > /work/a'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
  }, [{ name: 'main', image, command: ['sh', '-c', 'cat /work/a; df -k /work | tail -1; dd if=/dev/zero of=/work/big bs=1M count=16 2>/dev/null || echo full'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }]);
  const done = await sim.waitForPod(NS, 'kl-volume', (p) => p?.status.phase === 'Succeeded' || p?.status.phase === 'Failed');
  const log = await core.readNamespacedPodLog({ namespace: NS, name: 'kl-volume', container: 'main' });
  assert.match(log, /^from-init\n/);
  assert.match(log, /full\n$/, 'sizeLimit bounds the tmpfs');
  assert.equal(done?.status.phase, 'Succeeded');
  assert.equal(done?.status.initContainerStatuses?.[0].state.terminated?.reason, 'Completed');
  assert.deepEqual(done?.status.conditions?.map((c) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
  await remove('kl-volume');
  await sim.settled();
  assert.deepEqual((await sim.leftovers()).volumes, [], 'deleting the pod removes its volume');
});

test('OOMKilled is real: reason OOMKilled, exit code 137, pod Failed', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-oom', {}, [{ name: 'main', image, command: ['sh', '-c', 'head -c 64000000 /dev/zero | tail'], resources: { limits: { memory: '16Mi' } } }]);
  const pod = await sim.waitForPod(NS, 'kl-oom', (p) => p?.status.phase === 'Failed');
  assert.deepEqual([main(pod)?.state.terminated?.reason, main(pod)?.state.terminated?.exitCode], ['OOMKilled', 137]);
  assert.equal(pod?.status.qosClass, 'Burstable', 'a memory limit alone makes the pod Burstable');
  await remove('kl-oom');
});

test('image problems: ErrImagePull then ImagePullBackOff, ErrImageNeverPull, InvalidImageName', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-pull', {}, [{ name: 'main', image: 'harrier-test/does-not-exist:1.0' }]);
  await create('kl-never', {}, [{ name: 'main', image: 'harrier-test/does-not-exist:1.0', imagePullPolicy: 'Never' }]);
  await create('kl-invalid', {}, [{ name: 'main', image: 'Harrier/UPPER' }]);
  const seen = new Set<string>();
  const backoff = await sim.waitForPod(NS, 'kl-pull', (p) => {
    const reason = main(p)?.state.waiting?.reason;
    if (reason) seen.add(reason);
    return reason === 'ImagePullBackOff';
  });
  assert.ok(seen.has('ErrImagePull'), `ErrImagePull comes first (${[...seen]})`);
  assert.equal(main(backoff)?.state.waiting?.message, 'Back-off pulling image "harrier-test/does-not-exist:1.0"');
  assert.equal(backoff?.status.phase, 'Pending');
  const warnings = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=kl-pull,type=Warning' });
  assert.deepEqual([...new Set(warnings.items.map((e) => e.message))].filter((m) => m?.startsWith('Error:')), ['Error: ErrImagePull', 'Error: ImagePullBackOff']);
  assert.ok(warnings.items.every((e) => e.involvedObject.fieldPath === 'spec.containers{main}' && e.source?.component === 'kubelet'));
  const never = await sim.waitForPod(NS, 'kl-never', (p) => main(p)?.state.waiting?.reason === 'ErrImageNeverPull');
  assert.equal(main(never)?.state.waiting?.message, 'Container image "harrier-test/does-not-exist:1.0" is not present with pull policy of Never');
  const invalid = await sim.waitForPod(NS, 'kl-invalid', (p) => main(p)?.state.waiting?.reason === 'InvalidImageName');
  assert.match(main(invalid)?.state.waiting?.message ?? '', /repository name must be lowercase/);
  await Promise.all(['kl-pull', 'kl-never', 'kl-invalid'].map(remove));
});

test('CreateContainerConfigError for a missing secret, Unschedulable for a foreign nodeSelector', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-config', {}, [{ name: 'main', image, command: ['true'], env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] }]);
  const config = await sim.waitForPod(NS, 'kl-config', (p) => main(p)?.state.waiting?.reason === 'CreateContainerConfigError');
  assert.equal(main(config)?.state.waiting?.message, 'secret "creds" not found');
  await create('kl-unsched', { nodeSelector: { 'kubernetes.io/os': 'windows' } });
  const unscheduled = await sim.waitForPod(NS, 'kl-unsched', (p) => !!p?.status.conditions?.length);
  const scheduled = unscheduled?.status.conditions?.find((c) => c.type === 'PodScheduled');
  assert.deepEqual([scheduled?.status, scheduled?.reason], ['False', 'Unschedulable']);
  assert.equal(unscheduled?.spec.nodeName, undefined);
  const scheduling = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=kl-unsched,reason=FailedScheduling' });
  assert.equal(scheduling.items[0]?.source?.component, 'default-scheduler');
  const logs = await core.readNamespacedPodLog({ namespace: NS, name: 'kl-unsched' });
  assert.equal(logs, '', 'logs of an unscheduled pod are empty, not an error');
  await Promise.all(['kl-config', 'kl-unsched'].map(remove));
});

test('activeDeadlineSeconds and eviction fail the pod with the kubelet reasons', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-deadline', { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 0 }, [{ name: 'main', image, command: ['sleep', '60'] }]);
  await create('kl-evict', {}, [{ name: 'main', image, command: ['sleep', '60'] }]);
  const deadline = await sim.waitForPod(NS, 'kl-deadline', (p) => p?.status.phase === 'Failed');
  assert.deepEqual([deadline?.status.reason, deadline?.status.message], ['DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
  await sim.waitForPod(NS, 'kl-evict', (p) => p?.status.phase === 'Running');
  await sim.faults.evict(NS, 'kl-evict');
  const evicted = sim.getPod(NS, 'kl-evict');
  assert.equal(evicted?.status.phase, 'Failed');
  assert.equal(evicted?.status.reason, 'Evicted');
  assert.equal(evicted?.status.conditions?.[0].type, 'DisruptionTarget');
  assert.equal(main(evicted)?.state.terminated?.exitCode, 137);
  await Promise.all(['kl-deadline', 'kl-evict'].map(remove));
});

test('init failure with Never fails the pod; OnFailure restarts with lastState and restartCount', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-initfail', { initContainers: [{ name: 'init', image, command: ['sh', '-c', 'exit 4'] }] });
  const failed = await sim.waitForPod(NS, 'kl-initfail', (p) => p?.status.phase === 'Failed');
  assert.equal(failed?.status.initContainerStatuses?.[0].state.terminated?.exitCode, 4);
  assert.equal(main(failed)?.state.waiting?.reason, 'PodInitializing');
  assert.equal(failed?.status.conditions?.find((c) => c.type === 'Initialized')?.message, 'containers with incomplete status: [init]');

  await create('kl-restart', { restartPolicy: 'OnFailure' }, [{ name: 'main', image, command: ['sh', '-c', 'echo run; exit 2'] }]);
  const restarted = await sim.waitForPod(NS, 'kl-restart', (p) => (main(p)?.restartCount ?? 0) >= 1 && !!main(p)?.state.waiting);
  assert.equal(restarted?.status.phase, 'Running');
  assert.equal(main(restarted)?.state.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(main(restarted)?.lastState.terminated?.exitCode, 2);
  const previous = await core.readNamespacedPodLog({ namespace: NS, name: 'kl-restart', previous: true });
  assert.equal(previous, 'run\n');
  await Promise.all(['kl-initfail', 'kl-restart'].map(remove));
});

test('native sidecar runs beside main and is stopped after it; the pod succeeds', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-sidecar', {
    terminationGracePeriodSeconds: 1,
    initContainers: [{ name: 'side', image, restartPolicy: 'Always', command: ['sleep', '600'] }],
  }, [{ name: 'main', image, command: ['sh', '-c', 'sleep 0.5'] }]);
  const running = await sim.waitForPod(NS, 'kl-sidecar', (p) => p?.status.phase === 'Running' && !!main(p)?.state.running);
  assert.ok(running?.status.initContainerStatuses?.[0].state.running, 'the sidecar runs alongside');
  const done = await sim.waitForPod(NS, 'kl-sidecar', (p) => p?.status.phase === 'Succeeded' || p?.status.phase === 'Failed');
  assert.equal(done?.status.phase, 'Succeeded');
  assert.ok(done?.status.initContainerStatuses?.[0].state.terminated, 'the sidecar was stopped');
  await remove('kl-sidecar');
});

test('exec over v4.channel.k8s.io and pre-upgrade errors', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-v4', {}, [{ name: 'main', image, command: ['sleep', '600'] }]);
  await sim.waitForPod(NS, 'kl-v4', (p) => p?.status.phase === 'Running');
  const url = `${sim.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/kl-v4/exec?command=sh&command=-c&command=echo%20hi%3B%20exit%205&stdout=true&stderr=true`;
  const frames: Buffer[] = [];
  const ws = new WebSocket(url, ['v4.channel.k8s.io'], { ca: sim.pki.caCert, cert: sim.pki.clientCert, key: sim.pki.clientKey });
  ws.on('message', (data: Buffer) => frames.push(data));
  await new Promise((resolve) => ws.on('close', resolve));
  assert.equal(ws.protocol, 'v4.channel.k8s.io');
  assert.deepEqual([...frames[0]], [1], 'an empty frame on stdout first');
  assert.equal(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1).toString()).join(''), 'hi\n');
  const status = JSON.parse(frames.at(-1)!.subarray(1).toString());
  assert.equal(frames.at(-1)![0], 3);
  assert.equal(status.message, 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 5], exit code 5');

  const unscheduledReply = await new Promise<number>((resolve) => {
    void create('kl-nohost', { nodeSelector: { nope: 'x' } }).then(() => {
      const bad = new WebSocket(`${sim.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/kl-nohost/exec?command=true&stdout=true`, ['v5.channel.k8s.io'], { ca: sim.pki.caCert, cert: sim.pki.clientCert, key: sim.pki.clientKey });
      bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      bad.on('error', () => undefined);
    });
  });
  assert.equal(unscheduledReply, 400);
  await Promise.all(['kl-v4', 'kl-nohost'].map(remove));
});

test('graceful delete: deletionTimestamp, containers stopped, DELETED, nothing left in Docker', async (t) => {
  if (!dockerOrSkip(t)) return;
  await create('kl-delete', { terminationGracePeriodSeconds: 2, volumes: [{ name: 'w', emptyDir: {} }] }, [{ name: 'main', image, command: ['sleep', '600'], volumeMounts: [{ name: 'w', mountPath: '/w' }] }]);
  await sim.waitForPod(NS, 'kl-delete', (p) => p?.status.phase === 'Running');
  const answer = await core.deleteNamespacedPod({ namespace: NS, name: 'kl-delete' });
  assert.equal(answer.metadata?.deletionGracePeriodSeconds, 2);
  assert.ok(answer.metadata?.deletionTimestamp);
  const last = await sim.waitForPod(NS, 'kl-delete', (p) => p === undefined, 15_000);
  assert.equal(last, undefined);
  await sim.settled();
  const left = await sim.leftovers();
  assert.equal(left.containers.filter((c) => c.includes('kl-delete')).length, 0);
  assert.equal(left.volumes.filter((v) => v.endsWith('-w')).length, 0);
});
