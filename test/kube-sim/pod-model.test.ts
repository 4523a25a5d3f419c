import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedNano, epochSeconds } from './clock.ts';
import { expand, resolveEnv } from './kubelet/env.ts';
import { dockerCreateOptions } from './kubelet/docker-mapping.ts';
import { imageVerdict, invalidImageMessage } from './kubelet/images.ts';
import { defaultPod, qosClass, validatePod } from './pod-defaults.ts';
import { computeConditions, computePhase } from './pod-status.ts';
import { parseQuantity } from './quantity.ts';
import { alreadyExists, forbidden, invalid } from './status-errors.ts';
import { humanDuration, podStatusText } from './table.ts';
import type { ContainerStatus, Pod, PodSpec } from './types.ts';

const running = (name: string): ContainerStatus => ({ name, state: { running: { startedAt: 't' } }, lastState: {}, ready: true, restartCount: 0, image: 'i', imageID: '', started: true });
const waiting = (name: string, reason = 'ContainerCreating'): ContainerStatus => ({ name, state: { waiting: { reason } }, lastState: {}, ready: false, restartCount: 0, image: 'i', imageID: '', started: false });
const exited = (name: string, exitCode: number): ContainerStatus => ({ name, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' } }, lastState: {}, ready: false, restartCount: 0, image: 'i', imageID: '', started: false });

const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: 'main', image: 'i' }, { name: 'side', image: 'i' }], restartPolicy: 'Never', ...extra });

test('status errors keep the apiserver field order and messages', () => {
  assert.equal(JSON.stringify(alreadyExists('pods', 'p1')), '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"p1\\" already exists","reason":"AlreadyExists","details":{"name":"p1","kind":"pods"},"code":409}');
  assert.equal(forbidden({ user: 'harrier-test', verb: 'create', resource: 'pods', namespace: 'default' }).message, 'pods is forbidden: User "harrier-test" cannot create resource "pods" in API group "" in the namespace "default"');
  assert.equal(forbidden({ user: 'u', verb: 'get', resource: 'pods/log', namespace: 'ns', name: 'p' }).message, 'pods "p" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "ns"');
  const status = invalid('Pod', 'p', validatePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'main' }] }, status: { phase: 'Pending' } } as Pod));
  assert.equal(status.message, 'Pod "p" is invalid: spec.containers[0].image: Required value');
  assert.deepEqual(status.details?.causes, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }]);
  assert.equal(status.code, 422);
});

test('validation: missing containers, names, duplicate names', () => {
  const fields = (pod: unknown) => validatePod(pod as Pod).map((e) => `${e.field}: ${e.detail}`);
  assert.deepEqual(fields({ metadata: { name: 'p' }, spec: { containers: [] } }), ['spec.containers: Required value']);
  assert.deepEqual(fields({ metadata: {}, spec: { containers: [{ name: 'a', image: 'i' }] } }), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(fields({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'i' }, { name: 'a', image: 'i' }] } }), ['spec.containers[1].name: Duplicate value: "a"']);
  assert.match(fields({ metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'a', image: 'i' }] } })[0], /^metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  assert.deepEqual(fields({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'i', volumeMounts: [{ name: 'w', mountPath: '/w' }] }] } }), ['spec.containers[0].volumeMounts[0].name: Not found: "w"']);
});

test('defaults: restart policy, grace period, service account and its token volume, QoS', () => {
  const pod = defaultPod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'main', image: 'busybox', resources: { limits: { memory: '64Mi', cpu: '1' } } }] }, status: { phase: 'Pending' } } as Pod, { name: 'p', namespace: 'default', resourceVersion: '7' });
  assert.equal(pod.spec.restartPolicy, 'Always');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'Always');
  assert.deepEqual(pod.spec.containers[0].resources?.requests, { memory: '64Mi', cpu: '1' }, 'requests default to limits');
  assert.match(pod.spec.volumes?.[0].name ?? '', /^kube-api-access-[a-z0-9]{5}$/);
  assert.equal(pod.status.qosClass, 'Guaranteed');
  assert.equal(pod.metadata.resourceVersion, '7');
  const noToken = defaultPod({ metadata: { name: 'p' }, spec: { automountServiceAccountToken: false, containers: [{ name: 'main', image: 'busybox:1.36' }] }, status: { phase: 'Pending' } } as Pod, { name: 'p', namespace: 'default', resourceVersion: '8' });
  assert.equal(noToken.spec.volumes, undefined);
  assert.equal(noToken.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(qosClass({ containers: [{ name: 'a', resources: { requests: { memory: '1Mi' } } }] }), 'Burstable');
  assert.equal(qosClass({ containers: [{ name: 'a' }] }), 'BestEffort');
});

test('phase: pending, running, succeeded, failed; init failure with Never fails the pod', () => {
  assert.equal(computePhase(spec(), undefined, [waiting('main'), waiting('side')]), 'Pending');
  assert.equal(computePhase(spec(), undefined, [running('main'), exited('side', 0)]), 'Running');
  assert.equal(computePhase(spec(), undefined, [exited('main', 0), exited('side', 0)]), 'Succeeded');
  assert.equal(computePhase(spec(), undefined, [exited('main', 0), exited('side', 2)]), 'Failed');
  assert.equal(computePhase(spec({ restartPolicy: 'Always' }), undefined, [exited('main', 0), exited('side', 2)]), 'Running');
  const withInit = spec({ initContainers: [{ name: 'init', image: 'i' }] });
  assert.equal(computePhase(withInit, [running('init')], [waiting('main', 'PodInitializing'), waiting('side', 'PodInitializing')]), 'Pending');
  assert.equal(computePhase(withInit, [exited('init', 1)], [waiting('main', 'PodInitializing'), waiting('side', 'PodInitializing')]), 'Failed');
  const sidecar = spec({ initContainers: [{ name: 'sc', image: 'i', restartPolicy: 'Always' }] });
  assert.equal(computePhase(sidecar, [running('sc')], [exited('main', 0), exited('side', 0)]), 'Succeeded', 'sidecars do not hold the phase');
});

test('conditions: the real reasons and messages', () => {
  const withInit = spec({ initContainers: [{ name: 'init', image: 'i' }] });
  const conditions = computeConditions({
    spec: withInit, phase: 'Pending', initStatuses: [running('init')], statuses: [waiting('main', 'PodInitializing'), waiting('side', 'PodInitializing')],
    sandboxReady: true, scheduled: { ok: true }, kubeletStarted: true, now: '2024-01-01T00:00:00Z',
  });
  assert.deepEqual(conditions.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['PodReadyToStartContainers', 'True', undefined, undefined],
    ['Initialized', 'False', 'ContainersNotInitialized', 'containers with incomplete status: [init]'],
    ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [main side]'],
    ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [main side]'],
    ['PodScheduled', 'True', undefined, undefined],
  ]);
  const done = computeConditions({ spec: spec(), phase: 'Succeeded', statuses: [exited('main', 0), exited('side', 0)], sandboxReady: false, scheduled: { ok: true }, kubeletStarted: true, previous: conditions, now: '2024-01-01T00:00:09Z' });
  assert.deepEqual(done.map((c) => [c.type, c.status, c.reason]), [['PodReadyToStartContainers', 'False', undefined], ['Initialized', 'True', 'PodCompleted'], ['Ready', 'False', 'PodCompleted'], ['ContainersReady', 'False', 'PodCompleted'], ['PodScheduled', 'True', undefined]]);
  assert.equal(done.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, '2024-01-01T00:00:00Z', 'unchanged conditions keep their transition time');
  const unschedulable = computeConditions({ spec: spec(), phase: 'Pending', sandboxReady: false, scheduled: { ok: false, message: 'no' }, kubeletStarted: false, now: 'x' });
  assert.deepEqual(unschedulable.map((c) => [c.type, c.status, c.reason]), [['PodScheduled', 'False', 'Unschedulable']]);
});

test('quantities, timestamps, image names, env expansion', () => {
  assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('lots'), undefined);
  assert.equal(fixedNano('2024-01-01T00:00:00.1234Z'), '2024-01-01T00:00:00.123400000Z');
  assert.equal(fixedNano('2024-01-01T00:00:00Z'), '2024-01-01T00:00:00.000000000Z');
  assert.equal(epochSeconds('2024-01-01T00:00:01.5Z'), 1704067201.5);
  assert.equal(invalidImageMessage('busybox:1.36'), undefined);
  assert.equal(invalidImageMessage('registry:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'), undefined);
  assert.equal(invalidImageMessage('BusyBox'), 'Failed to apply default image tag "BusyBox": couldn\'t parse image name "BusyBox": invalid reference format: repository name must be lowercase');
  assert.deepEqual(imageVerdict('nope:1', 'Never', false), { ok: false, reason: 'ErrImageNeverPull', message: 'Container image "nope:1" is not present with pull policy of Never' });
  assert.equal(imageVerdict('nope:1', 'IfNotPresent', false).ok, false);
  assert.equal(imageVerdict('harrier-test/busybox:1', 'IfNotPresent', true).ok, true);
  // As the real kubelet here: Always asks a registry even for a local image, and none answers.
  assert.equal(imageVerdict('harrier-test/busybox:latest', 'Always', true).ok, false);
  assert.equal(expand('$(A)-$$(A)-$(B)', { A: 'x' }), 'x-$(A)-$(B)');
});

test('env: field refs resolve, missing config maps and secrets are CreateContainerConfigError', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'a' } }, spec: { containers: [] }, status: { phase: 'Pending', podIP: '10.0.0.1' } } as unknown as Pod;
  const env = resolveEnv(pod, { name: 'c', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }, { name: 'X', value: '$(N)/$(L)' }] });
  assert.ok(env.ok);
  assert.equal(env.env.X, 'p/a');
  assert.equal(env.env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
  assert.deepEqual(resolveEnv(pod, { name: 'c', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }), { ok: false, message: 'secret "creds" not found' });
  assert.deepEqual(resolveEnv(pod, { name: 'c', envFrom: [{ configMapRef: { name: 'cfg' } }] }), { ok: false, message: 'configmap "cfg" not found' });
});

test('docker mapping: command replaces the entrypoint, args the cmd, limits become cgroup limits', () => {
  const mapped = dockerCreateOptions({
    name: 'n', image: 'i', sandboxId: 'sb', labels: {}, env: { A: '1' },
    volumes: new Map([['w', { type: 'volume', source: 'vol' }]]),
    container: { name: 'c', command: ['sh', '-c'], args: ['echo $(A)'], workingDir: '/w', volumeMounts: [{ name: 'w', mountPath: '/w' }], resources: { limits: { memory: '64Mi', cpu: '500m' } } },
  });
  assert.ok(mapped.ok);
  assert.deepEqual(mapped.options.Entrypoint, ['sh', '-c']);
  assert.deepEqual(mapped.options.Cmd, ['echo 1']);
  assert.equal(mapped.options.HostConfig?.Memory, 64 * 1024 * 1024);
  assert.equal(mapped.options.HostConfig?.NanoCpus, 5e8);
  assert.equal(mapped.options.HostConfig?.NetworkMode, 'container:sb');
  assert.deepEqual(mapped.options.HostConfig?.Mounts, [{ Type: 'volume', Source: 'vol', Target: '/w', ReadOnly: false }]);
  const argsOnly = dockerCreateOptions({ name: 'n', image: 'i', sandboxId: 'sb', labels: {}, env: {}, volumes: new Map(), container: { name: 'c', args: ['x'] } });
  assert.ok(argsOnly.ok);
  assert.equal(argsOnly.options.Entrypoint, undefined);
  assert.deepEqual(argsOnly.options.Cmd, ['x']);
});

test('kubectl columns: status text and ages', () => {
  const base = { metadata: { name: 'p' }, spec: { containers: [{ name: 'main' }], initContainers: [{ name: 'init' }] } };
  assert.equal(podStatusText({ ...base, status: { phase: 'Pending', initContainerStatuses: [running('init')], containerStatuses: [waiting('main', 'PodInitializing')] } } as Pod), 'Init:0/1');
  assert.equal(podStatusText({ ...base, status: { phase: 'Failed', initContainerStatuses: [exited('init', 1)], containerStatuses: [waiting('main', 'PodInitializing')] } } as Pod), 'Init:Error');
  assert.equal(podStatusText({ ...base, status: { phase: 'Pending', initContainerStatuses: [exited('init', 0)], containerStatuses: [waiting('main', 'ErrImagePull')] } } as Pod), 'ErrImagePull');
  assert.equal(podStatusText({ ...base, status: { phase: 'Succeeded', initContainerStatuses: [exited('init', 0)], containerStatuses: [exited('main', 0)] } } as Pod), 'Completed');
  assert.equal(humanDuration(5_000), '5s');
  assert.equal(humanDuration(150_000), '2m30s');
  assert.equal(humanDuration(3 * 3600_000 + 60_000), '3h1m');
});
