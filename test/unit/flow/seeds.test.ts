import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import type { ParallelTask, PodCreateTask, ScriptTask } from '../../../src/flow/index.ts';
import type { GcpTask } from '../../../src/tasks/gcp/descriptor.ts';
import { fixture } from './helpers.ts';

test('kubernetes_task_runner seed: FILE input, inputFiles from it, Kubernetes runner config', () => {
  const flow = parseFlow(fixture('seed-kubernetes_task_runner.yaml'), 'seed.yaml');
  assert.equal(flow.id, 'kubernetes_task_runner');
  assert.equal(flow.namespace, 'company.team');
  assert.match(flow.description ?? '', /kubectl config view --minify --flatten/);
  assert.deepEqual(flow.inputs, [{ id: 'file', type: 'FILE', required: true }]);
  const task = flow.tasks[0] as ScriptTask;
  assert.equal(task.kind, 'script');
  assert.equal(task.language, 'shell');
  assert.equal(task.mode, 'commands');
  assert.deepEqual(task.inputFiles, { 'data.txt': '{{ inputs.file }}' });
  assert.deepEqual(task.outputFiles, ['*.txt']);
  assert.equal(task.containerImage, 'centos');
  assert.deepEqual(task.commands, ['echo "Hello from a Kubernetes task runner!"', 'cp data.txt out.txt']);
  assert.deepEqual(task.taskRunner, {
    type: 'io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
    kind: 'kubernetes',
    properties: {
      config: {
        clientKeyData: 'client-key-data',
        clientCertData: 'client-certificate-data',
        caCertData: 'certificate-authority-data',
        masterUrl: 'server e.g. https://docker-for-desktop:6443',
      },
    },
  });
  assert.deepEqual(flow.source, { file: 'seed.yaml' });
});

test('kubernetes_resources seed: python Script with resources.request', () => {
  const flow = parseFlow(fixture('seed-kubernetes_resources.yaml'), 'seed.yaml');
  const task = flow.tasks[0] as ScriptTask;
  assert.equal(task.language, 'python');
  assert.equal(task.mode, 'script');
  assert.match(task.script ?? '', /^import platform\n/);
  assert.match(task.script ?? '', /Kestra\.outputs\(env_info\)/);
  assert.equal(task.taskRunner.kind, 'kubernetes');
  assert.deepEqual(task.taskRunner.properties.resources, { request: { cpu: '500m', memory: '128Mi' } });
  assert.equal(task.taskRunner.properties.pullPolicy, 'ALWAYS');
});

test('k8s_taskrunner seed: forced pluginDefaults put the Kubernetes runner on both nested python tasks', () => {
  const flow = parseFlow(fixture('seed-k8s_taskrunner.yaml'), 'seed.yaml');
  const parallel = flow.tasks[0] as ParallelTask;
  assert.equal(parallel.kind, 'parallel');
  assert.equal(parallel.concurrent, 0);
  assert.deepEqual(parallel.tasks.map((task) => [task.id, task.path]), [
    ['run_command', 'tasks[0].tasks[0]'],
    ['run_python', 'tasks[0].tasks[1]'],
  ]);
  for (const child of parallel.tasks as ScriptTask[]) {
    assert.equal(child.taskRunner.kind, 'kubernetes');
    assert.equal(child.taskRunner.properties.namespace, 'default');
    assert.deepEqual(child.taskRunner.properties.config, {
      username: 'docker-desktop',
      masterUrl: 'https://docker-for-desktop:6443',
      caCertData: 'placeholder',
      clientCertData: 'placeholder',
      clientKeyData: 'placeholder',
    });
  }
});

test('eks_task_runner seed: secret() and plain values in config', () => {
  const flow = parseFlow(fixture('seed-eks_task_runner.yaml'), 'seed.yaml');
  const task = flow.tasks[0] as ScriptTask;
  assert.equal(task.taskRunner.properties.config && (task.taskRunner.properties.config as Record<string, string>).caCertData,
    "{{ secret('certificate-authority-data') }}");
});

test('my-dbt-job seed: PodCreate with retry, namespace, inputFiles and a free-form spec', () => {
  const flow = parseFlow(fixture('seed-my-dbt-job.yaml'), 'seed.yaml');
  const task = flow.tasks[0] as PodCreateTask;
  assert.equal(task.kind, 'podCreate');
  assert.equal(task.type, 'io.kestra.plugin.kubernetes.PodCreate');
  assert.equal(task.namespace, 'kestra');
  assert.deepEqual(task.retry, {
    type: 'constant', intervalMs: 300_000, maxAttempt: 2, warningOnRetry: true, behavior: 'RETRY_FAILED_TASK',
  });
  assert.match((task.inputFiles as Record<string, string>)['dbt-commands.sh'], /^#!\/bin\/bash\n/);
  const containers = task.spec.containers as Array<Record<string, unknown>>;
  assert.deepEqual(containers[0].command, ['/bin/bash', '{{workingDir}}/dbt-commands.sh']);
  assert.deepEqual(containers[0].resources, { request: { cpu: '300m', memory: '500Mi' } });
  assert.deepEqual(task.spec.nodeSelector, {});
  assert.equal(task.waitUntilRunningMs, 600_000);
  assert.equal(task.waitRunningMs, 3_600_000);
  assert.equal(task.delete, true);
  assert.equal(task.resume, true);
  assert.deepEqual(task.fileSidecar, { image: 'busybox' });
  assert.deepEqual(task.metadata, {});
});

test('dbt-task-runner seeds: the same DbtCLI task under Kubernetes and under Docker', () => {
  const onKubernetes = parseFlow(fixture('seed-dbt-task-runner-kubernetes.yaml'), 'k.yaml').tasks[0] as ScriptTask;
  const onDocker = parseFlow(fixture('seed-dbt-task-runner-docker.yaml'), 'd.yaml').tasks[0] as ScriptTask;
  assert.equal(onKubernetes.language, 'dbt');
  assert.equal(onKubernetes.taskRunner.kind, 'kubernetes');
  assert.deepEqual(onKubernetes.taskRunner.properties, { namespace: 'kestra', resources: { request: { cpu: '300m', memory: '500Mi' } } });
  assert.deepEqual(onDocker.taskRunner, { type: 'io.kestra.plugin.scripts.runner.docker.Docker', kind: 'docker', properties: {} });
  const { taskRunner: _k, ...kubernetesRest } = onKubernetes;
  const { taskRunner: _d, ...dockerRest } = onDocker;
  assert.deepEqual(kubernetesRest, dockerRest);
  assert.equal(onDocker.commands.length, 4);
  assert.equal(onDocker.containerImage, 'ghcr.io/kestra-io/dbt-duckdb:latest');
});

test('gke_task_runner seed: validates unchanged, its GCP tasks and the runner config that takes their outputs', () => {
  const flow = parseFlow(fixture('seed-gke_task_runner.yaml'), 'seed.yaml');
  assert.deepEqual(flow.tasks.map((task) => task.kind), ['gcp', 'gcp', 'script']);
  const [metadata, auth, pod] = flow.tasks as [GcpTask, GcpTask, ScriptTask];
  assert.deepEqual([metadata.action, metadata.clusterId, metadata.clusterZone, metadata.clusterProjectId], ['clusterMetadata', 'kestra-dev-gke', 'europe-west1', 'kestra-dev']);
  assert.deepEqual([auth.action, auth.scopes], ['accessToken', ['https://www.googleapis.com/auth/cloud-platform']]);
  assert.equal(pod.taskRunner.properties.config && (pod.taskRunner.properties.config as Record<string, string>).oauthToken,
    "{{ outputs.auth.accessToken['tokenValue'] }}");
});
