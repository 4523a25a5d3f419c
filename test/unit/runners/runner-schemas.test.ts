import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerRunnerPropertiesSchema } from '../../../src/runners/docker/schema.ts';
import { kubernetesConnectionSchema, kubernetesRunnerPropertiesSchema } from '../../../src/runners/kubernetes/schema.ts';
import { processRunnerPropertiesSchema } from '../../../src/runners/process/schema.ts';

test('Kubernetes runner: Kestra\'s defaults (no namespace: kubectl\'s rule applies when the task runs), durations as ms', () => {
  assert.deepEqual(kubernetesRunnerPropertiesSchema.parse({}), {
    pullPolicy: 'Always',
    delete: true,
    resume: true,
    fileSidecar: { image: 'busybox' },
    waitUntilRunningMs: 600_000,
    waitUntilCompletionMs: 3_600_000,
    waitForLogsMs: 1000,
  });
});

test('Kubernetes runner: rendered values are coerced, pull policy spellings and resources spellings normalised', () => {
  const parsed = kubernetesRunnerPropertiesSchema.parse({
    config: { masterUrl: 'https://k:6443', oauthToken: 't', trustCerts: 'true' },
    context: 'kind',
    namespace: 'jobs',
    pullPolicy: 'IF_NOT_PRESENT',
    resources: { requests: { cpu: 1, memory: '128Mi' }, limits: { memory: '256Mi' } },
    serviceAccountName: 'runner',
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
    labels: { team: 'data' },
    annotations: { note: 'x' },
    delete: 'false',
    resume: false,
    waitUntilRunning: 'PT30S',
    waitUntilCompletion: 'PT2H',
    waitForLogs: 'PT0S',
    fileSidecar: { image: 'harrier-test/busybox:latest', resources: { limits: { cpu: '100m' } } },
    containerDefaultSpec: { securityContext: { runAsNonRoot: true } },
    podSpec: { priorityClassName: 'high' },
    emptyDirSizeLimit: '1Gi',
  });
  assert.deepEqual(parsed, {
    config: { masterUrl: 'https://k:6443', oauthToken: 't', trustCerts: true },
    context: 'kind',
    namespace: 'jobs',
    pullPolicy: 'IfNotPresent',
    resources: { request: { cpu: '1', memory: '128Mi' }, limit: { memory: '256Mi' } },
    serviceAccountName: 'runner',
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
    labels: { team: 'data' },
    annotations: { note: 'x' },
    delete: false,
    resume: false,
    waitUntilRunningMs: 30_000,
    waitUntilCompletionMs: 7_200_000,
    waitForLogsMs: 0,
    fileSidecar: { image: 'harrier-test/busybox:latest', resources: { limits: { cpu: '100m' } } },
    containerDefaultSpec: { securityContext: { runAsNonRoot: true } },
    podSpec: { priorityClassName: 'high' },
    emptyDirSizeLimit: '1Gi',
  });
  for (const spelling of ['ALWAYS', 'always', 'Always']) {
    assert.equal(kubernetesRunnerPropertiesSchema.parse({ pullPolicy: spelling }).pullPolicy, 'Always');
  }
  assert.equal(kubernetesRunnerPropertiesSchema.parse({ pullPolicy: 'NEVER' }).pullPolicy, 'Never');
});

test('Kubernetes runner: bad rendered values are rejected with readable messages', () => {
  const result = kubernetesRunnerPropertiesSchema.safeParse({ waitUntilRunning: '10m', pullPolicy: 'sometimes', namespce: 'x' });
  assert.equal(result.success, false);
  assert.deepEqual(result.error.issues.map((issue) => [issue.path.join('.'), issue.message]), [
    ['pullPolicy', "expected one of Always, IfNotPresent, Never, got 'sometimes'"],
    ['waitUntilRunning', "expected an ISO-8601 duration like PT5M, got '10m'"],
    ['', "unknown key 'namespce' (did you mean 'namespace'?)"],
  ]);
});

test('Kubernetes connection: every Kestra field, nothing else', () => {
  const connection = {
    masterUrl: 'https://x', apiVersion: 'v1', namespace: 'n', caCertData: 'a', caCertFile: '/a', clientCertData: 'b',
    clientCertFile: '/b', clientKeyData: 'c', clientKeyFile: '/c', clientKeyAlgo: 'EC', clientKeyPassphrase: 'p',
    oauthToken: 't', username: 'u', password: 'p', trustCerts: false, disableHostnameVerification: true,
  };
  assert.deepEqual(kubernetesConnectionSchema.parse(connection), connection);
  assert.equal(kubernetesConnectionSchema.safeParse({ server: 'https://x' }).success, false);
});

test('Docker runner: Kestra\'s defaults', () => {
  assert.deepEqual(dockerRunnerPropertiesSchema.parse({}), {
    entryPoint: [''],
    pullPolicy: 'ALWAYS',
    privileged: false,
    fileHandlingStrategy: 'VOLUME',
    delete: true,
    wait: true,
  });
});

test('Docker runner: every property, rendered strings coerced', () => {
  const parsed = dockerRunnerPropertiesSchema.parse({
    host: 'tcp://docker:2376',
    config: { auths: {} },
    credentials: { registry: 'r', username: 'u', password: 'p', auth: 'a', identityToken: 'i', registryToken: 't' },
    user: '1000:1000',
    entryPoint: ['/bin/sh'],
    networkMode: 'host',
    extraHosts: ['h:1.2.3.4'],
    portBindings: ['8080:80'],
    volumes: ['/a:/b'],
    pullPolicy: 'IfNotPresent',
    cpu: { cpus: '1.5' },
    memory: { memory: '512MB', memorySwap: 1024, oomKillDisable: 'false' },
    shmSize: '64MB',
    privileged: 'true',
    deviceRequests: [{ driver: 'nvidia', count: -1, capabilities: [['gpu']] }],
    fileHandlingStrategy: 'mount',
    delete: false,
    wait: 'false',
  });
  assert.deepEqual(parsed, {
    host: 'tcp://docker:2376',
    config: { auths: {} },
    credentials: { registry: 'r', username: 'u', password: 'p', auth: 'a', identityToken: 'i', registryToken: 't' },
    user: '1000:1000',
    entryPoint: ['/bin/sh'],
    networkMode: 'host',
    extraHosts: ['h:1.2.3.4'],
    portBindings: ['8080:80'],
    volumes: ['/a:/b'],
    pullPolicy: 'IF_NOT_PRESENT',
    cpu: { cpus: 1.5 },
    memory: { memory: '512MB', memorySwap: '1024', oomKillDisable: false },
    shmSize: '64MB',
    privileged: true,
    deviceRequests: [{ driver: 'nvidia', count: -1, capabilities: [['gpu']] }],
    fileHandlingStrategy: 'MOUNT',
    delete: false,
    wait: false,
  });
  assert.equal(dockerRunnerPropertiesSchema.safeParse({ pullPolicy: 'SOMETIMES' }).success, false);
});

test('Process runner: no properties at all', () => {
  assert.deepEqual(processRunnerPropertiesSchema.parse({}), {});
  const result = processRunnerPropertiesSchema.safeParse({ image: 'x' });
  assert.equal(result.success, false);
  assert.match(result.error.issues[0].message, /^unknown key 'image'/);
});
