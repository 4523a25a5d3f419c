import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { dockerUnavailable } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, runJson, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';

/**
 * kubectl's conventions for Kubernetes tasks that set neither `namespace` nor `config`, through
 * the `harrier` binary against the simulator: the context's namespace, else the service account's,
 * else `default`; a KUBECONFIG list with missing files; --kubeconfig and --context, kept for resume.
 */
const unavailable = dockerUnavailable();
if (unavailable) console.log(`# SKIPPED (kubectl conventions): ${unavailable}`);

describe('kubectl conventions for Kubernetes tasks', { skip: unavailable, concurrency: false }, () => {
  let sim: KubeSim;
  let image = '';
  let dir = '';
  /** A home without ~/.kube, and no service account: each test adds only what it is about. */
  let emptyHome = '';
  const noAccount = (): string => join(dir, 'no-service-account');

  before(async () => {
    image = ensureBusyboxImage();
    sim = await startKubeSim({ namespaces: ['team-a', 'team-b', 'sa-ns'] });
    dir = mkdtempSync(join(tmpdir(), 'harrier-kube-conventions-'));
    emptyHome = join(dir, 'home');
    mkdirSync(emptyHome);
  });

  after(async () => {
    await sim?.stop();
  });

  /** The simulator's kubeconfig with contexts `name → namespace` (undefined: none) and that current context. */
  function kubeconfig(file: string, contexts: Record<string, string | undefined>, current: string): string {
    const base = parse(sim.kubeconfig);
    const { cluster, user } = base.contexts[0].context;
    base.contexts = Object.entries(contexts).map(([name, namespace]) => ({ name, context: { cluster, user, ...(namespace ? { namespace } : {}) } }));
    base['current-context'] = current;
    const path = join(dir, file);
    writeFileSync(path, stringify(base));
    return path;
  }

  function env(extra: Record<string, string | undefined>): Record<string, string | undefined> {
    return { HOME: emptyHome, KUBECONFIG: undefined, HARRIER_SERVICE_ACCOUNT_DIR: noAccount(), ...extra };
  }

  const runnerFlowText = (command = 'echo hello from the pod'): string => [
    'id: conventions',
    'namespace: company.team',
    'tasks:',
    '  - id: pod',
    '    type: io.kestra.plugin.scripts.shell.Commands',
    `    containerImage: ${image}`,
    '    taskRunner:',
    '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
    '      pullPolicy: IF_NOT_PRESENT',
    '    commands:',
    `      - ${command}`,
    '',
  ].join('\n');
  const runnerFlow = (command?: string): string => flowFile(runnerFlowText(command));

  async function runIn(flow: string, extraEnv: Record<string, string | undefined>, args: string[] = []) {
    const result = await runJson(flow, tempStateDir(), args, { env: env(extraEnv) });
    return { ...result, logs: result.stderr };
  }

  test('the current context\'s namespace; a missing file in the KUBECONFIG list is skipped; the first current-context and name win', async () => {
    const first = kubeconfig('first.yaml', { 'sim-a': 'team-a' }, 'sim-a');
    const second = kubeconfig('second.yaml', { 'sim-a': 'team-b', 'sim-b': 'team-b' }, 'sim-b');
    const result = await runIn(runnerFlow(), { KUBECONFIG: [join(dir, 'missing.yaml'), first, second].join(':') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.logs, /\[pod\] Kubernetes: context sim-a of the kubeconfig .*missing\.yaml:.*first\.yaml:.*second\.yaml \(server https:\/\/127\.0\.0\.1:\d+\), namespace team-a \(the context's\)/);
    assert.match(result.logs, /created pod \S+ in namespace team-a/);
    assert.match(result.logs, /\[pod\] hello from the pod/);
  });

  test('the service account\'s namespace when the context has none', async () => {
    const accountDir = join(dir, 'account-ns-only');
    mkdirSync(accountDir);
    writeFileSync(join(accountDir, 'namespace'), 'sa-ns\n');
    const config = kubeconfig('no-namespace.yaml', { plain: undefined }, 'plain');
    const result = await runIn(runnerFlow(), { KUBECONFIG: config, HARRIER_SERVICE_ACCOUNT_DIR: accountDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.logs, /namespace sa-ns \(the service account's\)/);
    assert.match(result.logs, /created pod \S+ in namespace sa-ns/);
  });

  test('in the cluster: no kubeconfig at all, the mounted service account\'s token, CA and namespace', async () => {
    const accountDir = join(dir, 'account');
    mkdirSync(accountDir);
    writeFileSync(join(accountDir, 'token'), sim.token);
    writeFileSync(join(accountDir, 'ca.crt'), sim.pki.caCert);
    writeFileSync(join(accountDir, 'namespace'), 'sa-ns');
    const port = new URL(sim.url).port;
    const result = await runIn(runnerFlow(), {
      HARRIER_SERVICE_ACCOUNT_DIR: accountDir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.logs, new RegExp(`context in-cluster of the service account at ${accountDir} \\(server https://127\\.0\\.0\\.1:${port}\\), namespace sa-ns \\(the service account's\\)`));
    assert.match(result.logs, /created pod \S+ in namespace sa-ns/);
  });

  test('`default` when neither the context nor a service account names one; the task\'s namespace wins over both', async () => {
    const config = kubeconfig('plain.yaml', { plain: undefined, 'sim-a': 'team-a' }, 'plain');
    const plain = await runIn(runnerFlow(), { KUBECONFIG: config });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.logs, /namespace default \(the default\)/);
    const flow = flowFile(runnerFlowText().replace('pullPolicy: IF_NOT_PRESENT', 'pullPolicy: IF_NOT_PRESENT\n      namespace: team-b'));
    const own = await runIn(flow, { KUBECONFIG: config }, ['--context', 'sim-a']);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.logs, /context sim-a .*namespace team-b \(the task's\)/);
  });

  test('--kubeconfig and --context choose the cluster and namespace, and a resume from elsewhere keeps them', async () => {
    const config = kubeconfig('two-contexts.yaml', { 'sim-a': 'team-a', 'sim-b': 'team-b' }, 'sim-a');
    const stateDir = tempStateDir();
    const flow = runnerFlow('sleep 6; echo finished after the crash');
    const child = startHarrier(['run', flow, '--state-dir', stateDir, '--kubeconfig', config, '--context', 'sim-b'], { env: env({}) });
    const started = await waitForOutput(child, /Execution (\S+) started/);
    const executionId = /Execution (\S+) started/.exec(started)![1];
    await waitForOutput(child, /created pod \S+ in namespace team-b/);
    child.kill('SIGKILL');
    await child.result;
    const resumed = await harrier(['resume', executionId, '--state-dir', stateDir, '--json'], { env: env({}), cwd: emptyHome });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /context sim-b of the kubeconfig .*two-contexts\.yaml .*namespace team-b \(the context's\)/);
    assert.match(resumed.stderr, /re-attached to pod \S+ in namespace team-b/);
    assert.match(resumed.stderr, /finished after the crash/);
  });

  test('PodCreate without namespace or connection follows the same rule', async () => {
    const config = kubeconfig('podcreate.yaml', { 'sim-a': 'team-a' }, 'sim-a');
    const flow = flowFile([
      'id: podcreate_conventions',
      'namespace: company.team',
      'tasks:',
      '  - id: raw',
      '    type: io.kestra.plugin.kubernetes.core.PodCreate',
      '    spec:',
      '      restartPolicy: Never',
      '      containers:',
      '        - name: main',
      `          image: ${image}`,
      '          imagePullPolicy: IfNotPresent',
      '          command: [sh, -c, "echo raw pod"]',
      '',
    ].join('\n'));
    const result = await runIn(flow, { KUBECONFIG: config });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.logs, /\[raw\] Kubernetes: context sim-a .*namespace team-a \(the context's\)/);
    assert.match(result.logs, /created pod \S+ in namespace team-a/);
  });

  test('one line for an unknown --context, a missing --kubeconfig, and no cluster at all', async () => {
    const config = kubeconfig('one.yaml', { 'sim-a': 'team-a' }, 'sim-a');
    const unknown = await runIn(runnerFlow(), {}, ['--kubeconfig', config, '--context', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /context 'nope' is not in the kubeconfig .*one\.yaml \(contexts: sim-a\)/);
    const missing = await runIn(runnerFlow(), {}, ['--kubeconfig', join(dir, 'absent.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /the kubeconfig .*absent\.yaml does not exist/);
    const none = await runIn(runnerFlow(), { KUBECONFIG: join(dir, 'absent.yaml') });
    assert.equal(none.code, 1);
    assert.match(none.stdout, /no connection to a cluster is configured \(no kubeconfig at .*absent\.yaml, no service account at .*no-service-account\)/);
  });
});
