import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBusyboxAlias, ensureBusyboxImage, ensureDbtImage, ensurePythonImage } from '../support/images.ts';
import { flowFile, harrier, numberedLogLines, REPO_ROOT, runJson, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { availableBackends, startBackend, type KubeBackend, kubeconfigFile } from '../support/kube-backends.ts';
import { connectionFromKubeconfig } from '../runners/kubernetes/helpers.ts';

/**
 * The seeds' Kubernetes flows, run by the `harrier` binary on every backend: the simulator and the
 * real cluster. The only changes are the ones the seeds ask for: real credentials (the backend's)
 * and images that exist here.
 */
for (const backendName of availableBackends()) describe(`harrier on Kubernetes (${backendName})`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let kubeconfigPath = '';

  before(async () => {
    ensureBusyboxAlias();
    backend = await startBackend(backendName, { namespaces: ['kestra'] });
    kubeconfigPath = kubeconfigFile(backend);
  });

  after(async () => {
    await backend?.stop();
  });

  /** The pods of an execution still in `namespace` once every deletion has gone through. */
  async function podsOf(executionId: string, namespace = 'default'): Promise<number> {
    await backend.settled(namespace);
    return (await backend.listPods(namespace)).filter((p) => p.metadata.labels?.['harrier.io/execution-id'] === executionId).length;
  }

  async function podCreates(): Promise<number> {
    return (await backend.requestCounts())['create pods'] ?? 0;
  }

  function seedWith(name: string, replacements: [RegExp, string][]): string {
    let text = readFileSync(join(REPO_ROOT, 'examples', 'kubernetes', `${name}.yaml`), 'utf8');
    for (const [pattern, value] of replacements) {
      assert.match(text, pattern, `the seed ${name} has ${pattern}`);
      text = text.replace(pattern, value);
    }
    text = withLocalPullPolicy(text);
    const path = join(mkdtempSync(join(tmpdir(), 'harrier-seed-')), `${name}.yaml`);
    writeFileSync(path, text);
    return path;
  }

  function credentials(): [RegExp, string][] {
    const config = connectionFromKubeconfig(backend.kubeconfig);
    return [
      [/clientKeyData: .*/g, `clientKeyData: ${config.clientKeyData}`],
      [/clientCertData: .*/g, `clientCertData: ${config.clientCertData}`],
      [/caCertData: (?!").*/g, `caCertData: ${config.caCertData}`],
      [/masterUrl: .*/g, `masterUrl: ${config.masterUrl}`],
    ];
  }

  const env = (): Record<string, string> => ({ KUBECONFIG: kubeconfigPath });

  /**
   * The runner's pull policy defaults to Always (Kestra's), and an Always pull fails on these
   * machines, which reach no registry: test flows ask for IfNotPresent, as a cluster with local-only
   * images needs.
   */
  function withLocalPullPolicy(text: string): string {
    return text
      .replace(/pullPolicy: ALWAYS/g, 'pullPolicy: IF_NOT_PRESENT')
      .replace(/^( *)type: (io\.kestra\.plugin\.ee\.kubernetes\.runner\.Kubernetes|Kubernetes)\n(?![\s\S]*?^\1pullPolicy:)/gm, '$1type: $2\n$1pullPolicy: IF_NOT_PRESENT\n');
  }

  test('seed kubernetes_task_runner: input file in through the init container, output file out through the sidecar', async () => {
    const flow = seedWith('kubernetes_task_runner', [[/containerImage: centos/, `containerImage: ${ensureBusyboxImage()}`], ...credentials()]);
    const data = join(mkdtempSync(join(tmpdir(), 'harrier-data-')), 'data.txt');
    writeFileSync(data, 'rows from the input file\n');
    const before = await podCreates();
    const { doc, stderr, code } = await runJson(flow, tempStateDir(), ['--input', `file=@${data}`], { env: env() });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\[shell\] Hello from a Kubernetes task runner!/);
    const shell = taskRun(doc, 'shell');
    assert.equal(shell.attempts[0].runner, 'kubernetes');
    assert.equal(readFileSync(shell.outputFiles['out.txt'].path, 'utf8'), 'rows from the input file\n');
    assert.equal(await podCreates() - before, 1, 'one pod');
    assert.equal(await podsOf(doc.id), 0, 'pod deleted');
  });

  test('seed kubernetes_resources: the Python script with resource requests, Kestra.outputs and a JSON output file', async () => {
    const flow = seedWith('kubernetes_resources', [[/containerImage: ghcr\.io\/kestra-io\/pydata:latest/, `containerImage: ${ensurePythonImage()}`], ...credentials()]);
    const { doc, stderr, code } = await runJson(flow, tempStateDir(), [], { env: env() });
    assert.equal(code, 0, stderr);
    const script = taskRun(doc, 'python_script');
    assert.match(script.outputs.vars.python_version, /^3\.11/);
    assert.match(stderr, /\[python_script\] Hello from a Kubernetes runner!/);
    assert.equal(JSON.parse(readFileSync(script.outputFiles['environment_info.json'].path, 'utf8')).python_version, script.outputs.vars.python_version);
  });

  test('seed eks_task_runner: a bearer token, and the CA from secret()', async () => {
    const config = connectionFromKubeconfig(backend.tokenKubeconfig);
    const flow = seedWith('eks_task_runner', [
      [/containerImage: centos/, `containerImage: ${ensureBusyboxImage()}`],
      [/masterUrl: .*/, `masterUrl: ${config.masterUrl}`],
      [/oauthToken: .*/, `oauthToken: ${config.oauthToken}`],
    ]);
    const secrets = join(mkdtempSync(join(tmpdir(), 'harrier-secrets-')), 'secrets.yaml');
    writeFileSync(secrets, `certificate-authority-data: ${config.caCertData}\n`);
    const { stderr, code } = await runJson(flow, tempStateDir(), ['--secrets-file', secrets], { env: env() });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\[shell\] Hello from a Kubernetes task runner!/);
  });

  test('seed dbt-task-runner on Kubernetes (DbtCLI) with stand-ins for git and dbt', async () => {
    const flow = seedWith('dbt-task-runner-kubernetes', [[/containerImage: ghcr\.io\/kestra-io\/dbt-duckdb:latest/, `containerImage: ${ensureDbtImage()}`]]);
    const { stderr, code, doc } = await runJson(flow, tempStateDir(), [], { env: env() });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /\[dbt_build\] Done\. PASS=3 WARN=0 ERROR=0/);
    assert.equal(taskRun(doc, 'dbt_build').attempts[0].runner, 'kubernetes');
  });

  test('seed my-dbt-job (PodCreate) in namespace kestra, with its script as an input file', async () => {
    const flow = seedWith('my-dbt-job', [[/image: ghcr\.io\/kestra-io\/dbt-duckdb:latest/, `image: ${ensureDbtImage()}`]]);
    const { stderr, code, doc } = await runJson(flow, tempStateDir(), [], { env: env() });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Done\. PASS=3 WARN=0 ERROR=0/);
    const pod = taskRun(doc, 'dbt-command');
    assert.equal(pod.outputs.metadata.namespace, 'kestra');
    const main = pod.outputs.status.containerStatuses.find((c: { name: string }) => c.name === 'dbt-duckdb');
    assert.equal(main.state.terminated.exitCode, 0);
  });

  test('test locally, deploy unchanged: a Process flow runs on Kubernetes with --task-runner kubernetes', async () => {
    const flow = flowFile(readFileSync(join(REPO_ROOT, 'examples', 'files.yaml'), 'utf8')
      + `\npluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      containerImage: ${ensureBusyboxImage()}\n`
      + '  - type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n    values:\n      pullPolicy: IF_NOT_PRESENT\n');
    const local = await runJson(flow, tempStateDir(), [], {});
    const cluster = await runJson(flow, tempStateDir(), ['--task-runner', 'kubernetes'], { env: env() });
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.equal(taskRun(cluster.doc, 'produce').attempts[0].runner, 'kubernetes');
    const contents = (doc: typeof local.doc): Record<string, string> => Object.fromEntries(
      Object.entries(taskRun(doc, 'produce').outputFiles).map(([name, file]) => [name, readFileSync(file.path, 'utf8')]));
    assert.deepEqual(contents(cluster.doc), contents(local.doc));
    assert.match(cluster.stderr, /\[consume\] lines=0 summary=from the output folder/);
  });

  test('flowables on Kubernetes: a WorkingDirectory\'s files reach each pod and come back, ForEach iterations run as pods of their own', async () => {
    const defaults = `\npluginDefaults:\n  - type: io.kestra.plugin.scripts\n    values:\n      containerImage: ${ensureBusyboxImage()}\n`
      + '  - type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n    values:\n      pullPolicy: IF_NOT_PRESENT\n';
    const workspace = flowFile(readFileSync(join(REPO_ROOT, 'examples', 'working-directory.yaml'), 'utf8') + defaults);
    const shared = await runJson(workspace, tempStateDir(), ['--task-runner', 'kubernetes'], { env: env() });
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(taskRun(shared.doc, 'read').attempts[0].runner, 'kubernetes');
    assert.equal(taskRun(shared.doc, 'read').outputs.vars.rows, 2, 'the second pod read the file the first pod wrote');
    assert.match(shared.stderr, /\[after\] kept \["people.csv"\]/);
    assert.equal(await podsOf(shared.doc.id), 0);

    const loop = flowFile(readFileSync(join(REPO_ROOT, 'examples', 'for-each.yaml'), 'utf8') + defaults);
    const each = await runJson(loop, tempStateDir(), ['--task-runner', 'kubernetes'], { env: env() });
    assert.equal(each.code, 0, each.stderr);
    assert.match(each.stderr, /\[summary\] eu=2 us=2 asia=4/);
    assert.equal(await podsOf(each.doc.id), 0);
  });

  test('harrier killed with SIGKILL mid-pod: resume re-attaches, no second pod, every line once, pod deleted', async () => {
    const flow = flowFile(`id: k8s_resume
namespace: company.team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes
      pullPolicy: IF_NOT_PRESENT
    outputFiles: ["result.txt"]
    commands:
      - echo '::{"outputs":{"early":"before the crash"}}::'
      - for i in $(seq 1 40); do echo "line $i"; echo "err $i" >&2; sleep 0.1; done
      - echo finished > result.txt
`);
    const stateDir = tempStateDir();
    const creates = await podCreates();
    const child = startHarrier(['run', flow, '--state-dir', stateDir], { env: env() });
    const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
    await waitForOutput(child, /\[count\] line 8\n/, 120_000);
    child.kill('SIGKILL');
    await child.result;
    const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir], { env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    const count = taskRun(JSON.parse(resumed.stdout), 'count');
    assert.deepEqual(count.attempts.map((a: { state: string }) => a.state), ['SUCCESS']);
    assert.equal(readFileSync(count.outputFiles['result.txt'].path, 'utf8'), 'finished\n');
    assert.equal(await podCreates() - creates, 1, 'no second pod was created');
    assert.deepEqual(await numberedLogLines(id, 'count', stateDir), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.deepEqual(await numberedLogLines(id, 'count', stateDir, undefined, 'err'), Array.from({ length: 40 }, (_, i) => i + 1), 'stderr lines too');
    assert.equal(count.outputs.early, 'before the crash', 'an output announced before the crash survives the resume');
    assert.equal(await podsOf(id), 0);
  });

  test('PodCreate with two containers, SIGKILL mid-pod, resume: each container\'s log continues exactly, outputs kept', async () => {
    const image = ensureBusyboxImage();
    const flow = flowFile(`id: k8s_podcreate_resume
namespace: company.team
tasks:
  - id: pair
    type: io.kestra.plugin.kubernetes.PodCreate
    namespace: default
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: ${image}
          command: ["sh", "-c", "echo '::{\\"outputs\\":{\\"early\\":\\"yes\\"}}::'; for i in $(seq 1 40); do echo \\"line $i\\"; sleep 0.1; done"]
        - name: helper
          image: ${image}
          command: ["sh", "-c", "for i in $(seq 1 30); do echo \\"tick $i\\"; sleep 0.13; done"]
`);
    const stateDir = tempStateDir();
    const child = startHarrier(['run', flow, '--state-dir', stateDir], { env: env() });
    const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
    await waitForOutput(child, /\[pair\] line 8\n/, 120_000);
    child.kill('SIGKILL');
    await child.result;
    const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir], { env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    const pair = taskRun(JSON.parse(resumed.stdout), 'pair');
    assert.deepEqual(pair.attempts.map((a: { state: string }) => a.state), ['SUCCESS']);
    assert.equal(pair.outputs.vars.early, 'yes', 'an output announced before the crash survives the resume');
    assert.deepEqual(await numberedLogLines(id, 'pair', stateDir), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.deepEqual(await numberedLogLines(id, 'pair', stateDir, undefined, '\\[helper\\] tick'), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal(await podsOf(id), 0);
  });

  test('Ctrl-C deletes the pod at once and the execution ends KILLED', async () => {
    const flow = flowFile(`id: k8s_kill
namespace: company.team
tasks:
  - id: long
    type: shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      type: Kubernetes
      pullPolicy: IF_NOT_PRESENT
    commands: ["echo up", "sleep 300"]
`);
    const child = startHarrier(['run', flow, '--state-dir', tempStateDir(), '--json'], { env: env() });
    const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
    await waitForOutput(child, /\[long\] up/, 120_000);
    child.kill('SIGINT');
    const result = await child.result;
    assert.equal(result.code, 130, 'Ctrl-C is exit 130');
    assert.equal(JSON.parse(result.stdout).state, 'KILLED');
    assert.equal(await podsOf(id), 0);
  });

  test('SIGKILL, the pod deleted by someone, resume: attempt 1 fails as deleted outside harrier, the retry runs a new pod with a log of its own', async () => {
    const flow = flowFile(`id: k8s_gone
namespace: company.team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    retry: {type: constant, interval: PT0S, maxAttempt: 2}
    taskRunner:
      type: Kubernetes
      pullPolicy: IF_NOT_PRESENT
    commands:
      - for i in $(seq 1 12); do echo "line $i"; sleep 0.1; done
`);
    const stateDir = tempStateDir();
    const child = startHarrier(['run', flow, '--state-dir', stateDir], { env: env() });
    const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
    await waitForOutput(child, /\[count\] line 3\n/, 120_000);
    child.kill('SIGKILL');
    await child.result;
    const [pod] = (await backend.listPods('default')).filter((p) => p.metadata.labels?.['harrier.io/execution-id'] === id);
    await backend.deletePod('default', String(pod.metadata.name), 0);
    assert.equal(await podsOf(id), 0);
    const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir], { env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /attempt 1 failed: pod \S+ of this attempt is gone from namespace default: it was deleted outside harrier/);
    assert.match(resumed.stderr, /retrying in \S+ \(attempt 2 of 2\)/);
    const count = taskRun(JSON.parse(resumed.stdout), 'count');
    assert.deepEqual(count.attempts.map((a) => a.state), ['FAILED', 'SUCCESS']);
    assert.match(count.attempts[0].error ?? '', /deleted outside harrier/);
    const logs = await harrier(['logs', id, '--task', 'count', '--state-dir', stateDir]);
    const retryAt = logs.stdout.indexOf('retrying in');
    assert.ok(retryAt > 0, logs.stdout);
    const attemptTwo = logs.stdout.slice(retryAt);
    const numbers = (text: string): number[] => [...text.matchAll(/^\[count\] line (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(numbers(attemptTwo), Array.from({ length: 12 }, (_, i) => i + 1), 'attempt 2 has the whole log, once');
    const first = numbers(logs.stdout.slice(0, retryAt));
    assert.deepEqual(first, Array.from({ length: first.length }, (_, i) => i + 1), 'attempt 1 keeps what its pod printed, once');
    assert.equal(await podsOf(id), 0);
  });
});
