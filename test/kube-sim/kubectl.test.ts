/**
 * The real kubectl (/usr/bin/kubectl) against every backend: on the simulator, if kubectl is happy,
 * the wire protocol is right; on the real cluster the same checks show what the simulator must match.
 * Containers run in the local Docker engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBusyboxImage } from '../support/images.ts';
import { availableBackends, roleWithout, startBackend, type KubeBackend } from '../support/kube-backends.ts';

const KUBECTL = '/usr/bin/kubectl';
let dir: string;
let image: string;

/** Every verb on pods and their log and exec, one rule per resource so that one can be taken away. */
const POD_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: kubectl-test}
rules:
${['pods', 'pods/log', 'pods/exec'].map((resource) => `- apiGroups: [""]\n  resources: ["${resource}"]\n  verbs: ["get", "list", "watch", "create", "delete"]`).join('\n')}
`;

/** Runs kubectl without blocking: the simulator answers from this same process. */
function run(kubeconfig: string, args: string[], input?: string, timeout = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function podYaml(name: string, script: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {suite: kubectl}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;
}

for (const backendName of availableBackends()) describe(`kubectl against the ${backendName}`, { concurrency: false }, () => {
  let backend: KubeBackend;
  let kubeconfig: string;
  const kubectl = (args: string[], input?: string, timeout?: number) => run(kubeconfig, args, input, timeout);

  /** A kubeconfig file whose account may do everything on pods but `verbAndResource`. */
  async function without<T>(verbAndResource: string, use: (file: string) => Promise<T>): Promise<T> {
    return backend.withRole('default', roleWithout(POD_ROLE, verbAndResource), async (text) => {
      const file = join(dir, `limited-${verbAndResource.replace(/\W/g, '-')}`);
      writeFileSync(file, text, { mode: 0o600 });
      return use(file);
    });
  }

  before(async () => {
    image = ensureBusyboxImage();
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    backend = await startBackend(backendName, { backoffMs: 200 });
    writeFileSync(kubeconfig, backend.kubeconfig, { mode: 0o600 });
  });

  after(async () => {
    if (backend) {
      await backend.stop();
      if (backend.sim) assert.deepEqual(await backend.sim.leftovers(), { containers: [], volumes: [] });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('kubectl create, get -w sees every phase, logs -f streams, get -o json shows the final status', async (t) => {
    const file = join(dir, 'p1.yaml');
    // A real kubelet publishes what its 1 s relist saw: an init container that ended within one
    // relist under load was never shown running (seen in CI), so it runs for several.
    const init = `  initContainers:\n  - name: init\n    image: ${image}\n    command: ["sleep", "3"]\n`;
    // Running for seconds, so that `kubectl wait` sees it Ready even on a loaded real cluster.
    writeFileSync(file, podYaml('k-logs', 'for i in 1 2 3; do echo line $i; sleep 1; done', init));
    const watcher = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'pods', '-w', '-l', 'suite=kubectl', '--request-timeout=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // A failed assertion must not leave the watch running: it would keep this test file alive.
    t.after(() => watcher.kill());
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const created = await kubectl(['create', '-f', file]);
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'pod/k-logs created');

    const early = await kubectl(['logs', 'k-logs', '-c', 'main']);
    assert.equal(early.stderr.trim(), 'Error from server (BadRequest): container "main" in pod "k-logs" is waiting to start: PodInitializing');
    const ready = await kubectl(['wait', '--for=condition=Ready', 'pod/k-logs', '--timeout=60s']);
    assert.equal(ready.status, 0, ready.stderr);
    const logs = await kubectl(['logs', '-f', 'k-logs']);
    assert.equal(logs.status, 0, logs.stderr);
    assert.equal(logs.stdout, 'line 1\nline 2\nline 3\n');
    await backend.waitForPod('default', 'k-logs', (pod) => pod?.status.phase === 'Succeeded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    watcher.kill();
    assert.match(watched, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    for (const status of ['Pending', 'Init:0/1', 'PodInitializing', 'Running', 'Completed']) assert.match(watched, new RegExp(`k-logs\\s+\\d/1\\s+${status}\\s`), `get -w shows ${status}:\n${watched}`);

    const json = JSON.parse((await kubectl(['get', 'pod', 'k-logs', '-o', 'json'])).stdout);
    assert.equal(json.status.phase, 'Succeeded');
    assert.equal(json.status.containerStatuses[0].state.terminated.reason, 'Completed');
    assert.equal(json.spec.nodeName, backend.nodeName);

    const timestamps = await kubectl(['logs', 'k-logs', '--timestamps']);
    assert.match(timestamps.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 1\n/);
    const tail = await kubectl(['logs', 'k-logs', '--tail=1']);
    assert.equal(tail.stdout, 'line 3\n');

    const list = JSON.parse((await kubectl(['get', 'pods', '-l', 'suite=kubectl', '-o', 'json'])).stdout);
    assert.deepEqual(list.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['k-logs']);
    assert.equal((await kubectl(['get', 'pods', '-l', 'suite,suite!=kubectl', '-o', 'name'])).stdout, '');
    const deleted = await kubectl(['delete', 'pod', 'k-logs']);
    assert.equal(deleted.status, 0, deleted.stderr);
    await backend.settled('default');
    assert.equal(await backend.getPod('default', 'k-logs'), undefined);
  });

  test('kubectl exec -i with stdin, exit codes, and cp both ways', async () => {
    const file = join(dir, 'p2.yaml');
    writeFileSync(file, podYaml('k-exec', 'sleep 600'));
    assert.equal((await kubectl(['create', '-f', file])).status, 0);
    const wait = await kubectl(['wait', '--for=condition=Ready', 'pod/k-exec', '--timeout=60s']);
    assert.equal(wait.status, 0, wait.stderr);

    const exec = await kubectl(['exec', '-i', 'k-exec', '--', 'sh', '-c', 'cat > /tmp/in; cat /tmp/in; echo oops >&2; exit 3'], 'hello from stdin\n');
    assert.equal(exec.status, 3);
    assert.equal(exec.stdout, 'hello from stdin\n');
    assert.match(exec.stderr, /oops\n/);
    assert.match(exec.stderr, /command terminated with exit code 3/);

    const source = join(dir, 'upload.txt');
    writeFileSync(source, 'payload\n'.repeat(1000));
    const up = await kubectl(['cp', source, 'k-exec:/tmp/upload.txt']);
    assert.equal(up.status, 0, up.stderr);
    assert.equal((await kubectl(['exec', 'k-exec', '--', 'wc', '-l', '/tmp/upload.txt'])).stdout.trim(), '1000 /tmp/upload.txt');
    const back = join(dir, 'download.txt');
    const down = await kubectl(['cp', 'k-exec:/tmp/upload.txt', back]);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(readFileSync(back, 'utf8'), readFileSync(source, 'utf8'));

    // As a real API server from 1.30: the exec WebSocket is a get that must also be allowed to create.
    await without('create pods/exec', async (limited) => {
      assert.match((await run(limited, ['exec', 'k-exec', '--', 'true'])).stderr, /cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
    });

    const missing = await kubectl(['exec', 'k-exec', '-c', 'nope', '--', 'true']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /container nope is not valid for pod k-exec/);
    assert.equal((await kubectl(['delete', 'pod', 'k-exec', '--grace-period=1'])).status, 0);
  });

  test('kubectl sees the real errors: AlreadyExists, NotFound, Invalid, unknown namespace, Forbidden', async () => {
    const file = join(dir, 'p3.yaml');
    writeFileSync(file, podYaml('k-errors', 'sleep 600'));
    assert.equal((await kubectl(['create', '-f', file])).status, 0);
    assert.equal((await kubectl(['create', '-f', file])).stderr.trim(), 'Error from server (AlreadyExists): error when creating "' + file + '": pods "k-errors" already exists');
    assert.equal((await kubectl(['get', 'pod', 'nope'])).stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    assert.match((await kubectl(['create', '-f', file, '-n', 'ghost'])).stderr, /namespaces "ghost" not found/);
    const invalidFile = join(dir, 'bad.yaml');
    writeFileSync(invalidFile, 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: main\n');
    assert.match((await kubectl(['create', '-f', invalidFile])).stderr, /The Pod "bad" is invalid: spec.containers\[0\].image: Required value/);
    await without('delete pods', async (limited) => {
      assert.match((await run(limited, ['delete', 'pod', 'k-errors'])).stderr, /Error from server \(Forbidden\): pods "k-errors" is forbidden: User "[^"]+" cannot delete resource "pods" in API group "" in the namespace "default"/);
    });
    assert.equal((await kubectl(['delete', 'pod', 'k-errors', '--grace-period=0', '--force'])).status, 0);
    await backend.settled('default');
  });
});
