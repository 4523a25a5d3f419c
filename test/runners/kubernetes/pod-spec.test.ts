import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPodCreatePod, buildRunnerPod, fileContainers, toKubernetesResources } from '../../../src/runners/kubernetes/pod-spec.ts';
import { applyContainerDefaults, deepMerge } from '../../../src/runners/kubernetes/merge.ts';
import { labelValue, podLabels, podNameFor } from '../../../src/runners/kubernetes/naming.ts';
import type { TaskIdentity } from '../../../src/runners/contract.ts';

const identity: TaskIdentity = {
  executionId: '4wjtkzwVGBM9yKnjm3yv8r', namespace: 'company.team', flowId: 'my_flow', taskId: 'hello', taskRunId: '2jT2Aj2lq5Pq3ZZRk4gAwa', attempt: 1,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

test('pod names are deterministic DNS-1123 labels that differ per attempt', () => {
  const name = podNameFor(identity);
  assert.equal(name, podNameFor({ ...identity }));
  assert.notEqual(name, podNameFor({ ...identity, attempt: 2 }));
  assert.match(name, DNS_LABEL);
  assert.ok(name.startsWith('company-team-my-flow-hello-'));
  const long = podNameFor({ ...identity, namespace: 'A'.repeat(80), flowId: 'Ü_x', taskId: '--t--' });
  assert.ok(long.length <= 63, long);
  assert.match(long, DNS_LABEL);
  assert.match(podNameFor({ ...identity, namespace: '---', flowId: '_', taskId: '.' }), DNS_LABEL);
});

test('label values are sanitized to valid Kubernetes label values', () => {
  assert.equal(labelValue('company.team'), 'company.team');
  assert.equal(labelValue('-a b/c-'), 'a_b_c');
  assert.equal(labelValue('x'.repeat(70) + '.'), 'x'.repeat(63));
  for (const value of Object.values(podLabels({ ...identity, flowId: 'weird flow/äö', taskId: '_t_' }))) assert.match(value, LABEL_VALUE);
  assert.equal(podLabels(identity)['harrier.io/attempt'], '1');
  assert.equal(podLabels(identity)['app.kubernetes.io/managed-by'], 'harrier');
});

test('Kestra resources (request/limit) become requests/limits', () => {
  assert.deepEqual(toKubernetesResources({ request: { cpu: '500m', memory: '128Mi' }, limit: { memory: '1Gi' } }),
    { requests: { cpu: '500m', memory: '128Mi' }, limits: { memory: '1Gi' } });
  assert.deepEqual(toKubernetesResources({ requests: { cpu: '1' } }), { requests: { cpu: '1' } });
  assert.equal(toKubernetesResources({}), undefined);
});

const baseInput = {
  identity,
  namespace: 'ns1',
  image: 'alpine:3',
  command: ['/bin/sh', '-c', 'echo hi'],
  env: { WORKING_DIR: '/kestra/working-dir', A: '1' },
  fileSidecar: { image: 'busybox' },
};

test('runner pod without files: main only, in-memory volume, no token, restartPolicy Never', () => {
  const pod = buildRunnerPod({ ...baseInput, files: { upload: false, collect: false, outputDirName: 'out' } });
  const spec = pod.spec as any;
  assert.equal(spec.restartPolicy, 'Never');
  assert.equal(spec.automountServiceAccountToken, false);
  assert.equal(spec.initContainers, undefined);
  assert.deepEqual(spec.containers.map((c: any) => c.name), ['main']);
  const main = spec.containers[0];
  assert.equal(main.workingDir, '/kestra/working-dir');
  assert.deepEqual(main.command, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(main.env, [{ name: 'WORKING_DIR', value: '/kestra/working-dir' }, { name: 'A', value: '1' }]);
  assert.deepEqual(main.volumeMounts, [{ name: 'kestra-files', mountPath: '/kestra' }]);
  assert.deepEqual(spec.volumes, [{ name: 'kestra-files', emptyDir: { medium: 'Memory' } }]);
  assert.equal((pod.metadata as any).namespace, 'ns1');
  assert.equal((pod.metadata as any).name, podNameFor(identity));
});

test('runner pod with files: init waits for the ready marker, out-files sidecar waits for the ended marker', () => {
  const pod = buildRunnerPod({
    ...baseInput,
    files: { upload: true, collect: true, outputDirName: 'out' },
    fileSidecar: { image: 'my/busybox', resources: { limit: { memory: '32Mi' } } },
    pullPolicy: 'IfNotPresent',
    resources: { request: { cpu: '300m' }, limit: { memory: '64Mi' } },
    serviceAccountName: 'runner',
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
    labels: { team: 'data', 'harrier.io/attempt': '99' },
    annotations: { note: 'x' },
    emptyDirSizeLimit: '1Gi',
  });
  const spec = pod.spec as any;
  const metadata = pod.metadata as any;
  assert.deepEqual(spec.initContainers.map((c: any) => c.name), ['init-files']);
  assert.match(spec.initContainers[0].command[2], /until \[ -f \/kestra\/\.ready \]/);
  assert.match(spec.initContainers[0].command[2], /mkdir -p '\/kestra\/working-dir\/out'/);
  assert.equal(spec.initContainers[0].image, 'my/busybox');
  assert.deepEqual(spec.initContainers[0].resources, { limits: { memory: '32Mi' } });
  assert.deepEqual(spec.containers.map((c: any) => c.name), ['main', 'out-files']);
  assert.match(spec.containers[1].command[2], /until \[ -f \/kestra\/\.ended \]/);
  assert.equal(spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(spec.containers[0].resources, { requests: { cpu: '300m' }, limits: { memory: '64Mi' } });
  assert.equal(spec.automountServiceAccountToken, true);
  assert.equal(spec.serviceAccountName, 'runner');
  assert.deepEqual(spec.nodeSelector, { disk: 'ssd' });
  assert.deepEqual(spec.tolerations, [{ key: 'k', operator: 'Exists' }]);
  assert.deepEqual(spec.volumes[0].emptyDir, { medium: 'Memory', sizeLimit: '1Gi' });
  assert.equal(metadata.labels.team, 'data');
  assert.equal(metadata.labels['harrier.io/attempt'], '1', 'Harrier labels win');
  assert.deepEqual(metadata.annotations, { note: 'x' });
});

test('outputs only: init container just prepares the output folder', () => {
  const { init, sidecars } = fileContainers({ upload: false, collect: true, outputDirName: 'o' }, { image: 'busybox' }, undefined);
  assert.equal(init.length, 1);
  assert.doesNotMatch((init[0].command as string[])[2], /ready/);
  assert.equal(sidecars.length, 1);
});

test('containerDefaultSpec: objects deep-merged, env by name (own wins), volumeMounts prepended', () => {
  const merged = applyContainerDefaults(
    { securityContext: { runAsUser: 1000, runAsNonRoot: true }, env: [{ name: 'A', value: 'default' }, { name: 'B', value: 'b' }], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] },
    { name: 'c', securityContext: { runAsUser: 0 }, env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'C', value: 'c' }], volumeMounts: [{ name: 'kestra-files', mountPath: '/kestra' }] },
  );
  assert.deepEqual(merged.securityContext, { runAsUser: 0, runAsNonRoot: true });
  assert.deepEqual(merged.env, [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'B', value: 'b' }, { name: 'C', value: 'c' }]);
  assert.deepEqual((merged.volumeMounts as any[]).map((m) => m.mountPath), ['/cfg', '/kestra']);
});

test('podSpec patch merges containers by name and wins', () => {
  const pod = buildRunnerPod({
    ...baseInput,
    files: { upload: false, collect: false, outputDirName: 'out' },
    podSpec: { priorityClassName: 'high', containers: [{ name: 'main', securityContext: { privileged: false } }], volumes: [{ name: 'extra', emptyDir: {} }] },
  });
  const spec = pod.spec as any;
  assert.equal(spec.priorityClassName, 'high');
  assert.equal(spec.containers.length, 1);
  assert.equal(spec.containers[0].image, 'alpine:3');
  assert.deepEqual(spec.containers[0].securityContext, { privileged: false });
  assert.deepEqual(spec.volumes.map((v: any) => v.name), ['kestra-files', 'extra']);
  assert.deepEqual(deepMerge({ a: [1, 2] }, { a: [3] }), { a: [3] });
});

test('PodCreate: user spec kept, file containers added, reserved names removed, labels merged', () => {
  const { pod, removedContainers } = buildPodCreatePod({
    identity,
    namespace: 'kestra',
    metadata: { labels: { app: 'dbt' }, annotations: { a: 'b' } },
    spec: {
      nodeSelector: {},
      containers: [
        { name: 'dbt-duckdb', image: 'dbt', resources: { request: { cpu: '300m', memory: '500Mi' } }, command: ['/bin/bash', '/kestra/working-dir/dbt-commands.sh'] },
        { name: 'out-files', image: 'x' },
      ],
    },
    files: { upload: true, collect: false, outputDirName: 'out' },
    fileSidecar: { image: 'busybox' },
  });
  const spec = pod.spec as any;
  assert.deepEqual(removedContainers, ['out-files']);
  assert.deepEqual(spec.containers.map((c: any) => c.name), ['dbt-duckdb']);
  assert.deepEqual(spec.initContainers.map((c: any) => c.name), ['init-files']);
  assert.equal(spec.restartPolicy, 'Never');
  assert.deepEqual(spec.containers[0].resources, { requests: { cpu: '300m', memory: '500Mi' } });
  assert.deepEqual(spec.containers[0].volumeMounts, [{ name: 'kestra-files', mountPath: '/kestra' }]);
  assert.deepEqual(spec.volumes, [{ name: 'kestra-files', emptyDir: { medium: 'Memory' } }]);
  const metadata = pod.metadata as any;
  assert.equal(metadata.name, podNameFor(identity));
  assert.equal(metadata.namespace, 'kestra');
  assert.equal(metadata.labels.app, 'dbt');
  assert.equal(metadata.labels['harrier.io/taskrun-id'], identity.taskRunId);
  const named = buildPodCreatePod({ identity, namespace: 'n', metadata: { name: 'my-pod' }, spec: { containers: [{ name: 'c', image: 'i' }] }, files: { upload: false, collect: false, outputDirName: 'o' }, fileSidecar: { image: 'b' } });
  assert.equal((named.pod.metadata as any).name, 'my-pod');
  assert.equal((named.pod.spec as any).volumes, undefined, 'no files, no volume added');
});
