import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerState, notRunningReason, podFailure } from '../../../src/runners/kubernetes/pod-state.ts';
import { errorFromNetwork, errorFromStatus, toRunnerError } from '../../../src/runners/kubernetes/api-errors.ts';
import { downloadScript, podSelection } from '../../../src/runners/kubernetes/file-transfer.ts';
import { exitCodeOf } from '../../../src/runners/kubernetes/exec.ts';
import { describeEvent, warningLines } from '../../../src/runners/kubernetes/pod-events.ts';
import { kubeConfigFromConnection, pemAsBase64 } from '../../../src/runners/kubernetes/connection.ts';
import { collectsOutputs } from '../../../src/runners/kubernetes/runner.ts';
import { RunnerError } from '../../../src/shared/errors.ts';

function pod(status: object, spec: object = { containers: [{ name: 'main', image: 'img:1' }] }): any {
  return { metadata: { name: 'p1' }, spec, status };
}

test('pod failures name the Kubernetes reason', () => {
  const pull = pod({ phase: 'Pending', containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } } }] });
  assert.match(podFailure(pull)!, /container main of pod p1 cannot start \(image img:1\): ImagePullBackOff: Back-off pulling/);
  assert.equal(podFailure(pod({ phase: 'Pending', containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }] })), undefined);
  assert.match(podFailure(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }))!, /evicted: low on memory/);
  assert.match(podFailure(pod({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' }))!, /activeDeadlineSeconds/);
  const initFailed = pod({ phase: 'Failed', initContainerStatuses: [{ name: 'init-files', state: { terminated: { exitCode: 2, reason: 'Error' } } }] },
    { initContainers: [{ name: 'init-files', image: 'busybox' }], containers: [{ name: 'main', image: 'x' }] });
  assert.match(podFailure(initFailed)!, /init container init-files of pod p1 failed with exit code 2/);
  const mainFailed = pod({ phase: 'Failed', containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 3, reason: 'Error' } } }] });
  assert.equal(podFailure(mainFailed), undefined, 'a task container exit is a result, not a pod failure');
  assert.deepEqual(containerState(mainFailed, 'main'), { state: 'terminated', reason: 'Error', message: undefined, exitCode: 3 });
});

test('not running in time: unschedulable says so with the scheduler message', () => {
  const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] });
  assert.match(notRunningReason(unschedulable, 2000, ['main']), /could not be scheduled within 2\.00s \(waitUntilRunning\): Unschedulable: 0\/1 nodes are available/);
  assert.match(notRunningReason(pod({ phase: 'Pending', containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }] }), 1000, ['main']), /main: ContainerCreating/);
});

const ctx = { verb: 'create', resource: 'pods', namespace: 'ns1', server: 'https://10.0.0.1:6443' };

test('Status errors become one-line RunnerErrors', () => {
  const forbidden = errorFromStatus(403, JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403,
    message: 'pods is forbidden: User "system:serviceaccount:ns1:harrier" cannot create resource "pods" in API group "" in the namespace "ns1"' }), ctx);
  assert.match(forbidden.message, /forbids 'create' on pods in namespace ns1: pods is forbidden/);
  assert.match(forbidden.hint!, /deploy\/rbac\.yaml/);
  const missingNs = errorFromStatus(404, JSON.stringify({ reason: 'NotFound', code: 404, message: 'namespaces "nope" not found' }), { ...ctx, namespace: 'nope' });
  assert.match(missingNs.message, /namespace nope does not exist on https:\/\/10\.0\.0\.1:6443/);
  assert.match(errorFromStatus(401, undefined, ctx).message, /rejected the credentials/);
  assert.match(toRunnerError(Object.assign(new Error('x'), { code: 422, body: '{"message":"spec.containers[0].image: Required value","reason":"Invalid"}' }), ctx).message,
    /rejected pods in namespace ns1 as invalid: spec\.containers\[0\]\.image: Required value/);
  for (const error of [forbidden, missingNs]) assert.doesNotMatch(error.message, /\n/);
});

test('network and TLS failures name the server and the cause', () => {
  const refused = errorFromNetwork(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) }), ctx)!;
  assert.match(refused.message, /API server https:\/\/10\.0\.0\.1:6443 is unreachable \(ECONNREFUSED\)/);
  const untrusted = errorFromNetwork(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), ctx)!;
  assert.match(untrusted.message, /certificate that is not trusted/);
  assert.match(untrusted.hint!, /caCertData/);
  const badKey = errorFromNetwork(new Error('error:1E08010C:DECODER routines::unsupported'), ctx)!;
  assert.match(badKey.message, /certificate or key in the configuration cannot be read/);
  const rejectedClient = errorFromNetwork(Object.assign(new Error('tlsv13 alert certificate required'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }), ctx)!;
  assert.match(rejectedClient.message, /rejected the client certificate/);
  assert.ok(toRunnerError(new Error('weird'), ctx) instanceof RunnerError);
});

test('exec Status: success, exit code from causes, other failures', () => {
  assert.equal(exitCodeOf({ status: 'Success' }, 'c'), 0);
  assert.equal(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }, 'c'), 3);
  assert.throws(() => exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'container not found' }, 'container x'), /exec in container x failed: InternalError: container not found/);
});

test('download selection: a find superset of the globs, whole directory when untranslatable', () => {
  assert.deepEqual(podSelection(['*.json', './reports/**/*.csv', 'glob:a?.txt'], 'out'), ['./out/*', './*.json', './reports/*/*.csv', './a?.txt']);
  assert.equal(podSelection(['regex:.*\\.txt'], 'out'), undefined);
  assert.equal(podSelection(['{a,b}.txt'], 'out'), undefined);
  const script = downloadScript(podSelection(["it's.txt"], 'out'));
  assert.match(script, /-path '\.\/it'\\''s\.txt'/);
  assert.doesNotMatch(script, /\.ended/, 'the sidecar is let go only once the host has the archive');
  assert.match(downloadScript(undefined), /&& tar cf - \.$/);
});

test('outputs are collected when globs, inputs or a mention of the output folder call for it', () => {
  const job = { outputGlobs: [], command: ['/bin/sh', '-c', 'echo hi'], outputDirName: 'out' };
  assert.equal(collectsOutputs(job, false), false);
  assert.equal(collectsOutputs(job, true), true);
  assert.equal(collectsOutputs({ ...job, outputGlobs: ['*.txt'] }, false), true);
  assert.equal(collectsOutputs({ ...job, command: ['sh', '-c', 'echo > /kestra/working-dir/out/x'] }, false), true);
  assert.equal(collectsOutputs({ ...job, command: ['sh', '-c', 'echo > $OUTPUT_DIR/x'] }, false), true);
});

test('connection values: base64 PEM as in kubeconfig, raw PEM accepted, token and trustCerts', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  assert.equal(Buffer.from(pemAsBase64(pem)!, 'base64').toString(), `${pem}\n`);
  assert.equal(pemAsBase64(' TUlJ\n QgAA '), 'TUlJQgAA');
  const kc = kubeConfigFromConnection({ masterUrl: 'https://example:6443/', caCertData: 'Q0E=', oauthToken: 't0k', trustCerts: true, namespace: 'n' });
  assert.equal(kc.getCurrentCluster()!.server, 'https://example:6443');
  assert.equal(kc.getCurrentCluster()!.skipTLSVerify, true);
  assert.equal(kc.getCurrentUser()!.token, 't0k');
  assert.equal(kubeConfigFromConnection({}).getCurrentCluster()!.server, 'https://kubernetes.default.svc');
});

/** Objects as the API sends them: parsed JSON (timestamps are strings). */
function fromWire<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

test('Warning events: only this pod\'s warnings, oldest first, newest ten, each on one line', () => {
  const event = (reason: string, at: string, extra: object = {}) => ({
    type: 'Warning', reason, message: `${reason} happened\n  twice`, lastTimestamp: at, count: 1,
    source: { component: 'kubelet' }, involvedObject: { kind: 'Pod', name: 'p1', uid: 'u1', fieldPath: 'spec.containers{main}' }, ...extra,
  });
  const items = [
    event('BackOff', '2024-01-01T00:00:03Z', { count: 4 }),
    event('Failed', '2024-01-01T00:00:01Z'),
    { ...event('Scheduled', '2024-01-01T00:00:00Z'), type: 'Normal' },
    { ...event('OldPod', '2024-01-01T00:00:02Z'), involvedObject: { kind: 'Pod', name: 'p1', uid: 'other' } },
  ];
  assert.deepEqual(warningLines(fromWire(items), 'u1'), [
    'Warning Failed (kubelet spec.containers{main}): Failed happened twice',
    'Warning BackOff (x4, kubelet spec.containers{main}): BackOff happened twice',
  ]);
  const many = Array.from({ length: 15 }, (_, i) => event(`R${i}`, `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`));
  assert.deepEqual(warningLines(fromWire(many), undefined).map((line) => line.split(' ')[1]), Array.from({ length: 10 }, (_, i) => `R${i + 5}`));
  assert.equal(describeEvent(fromWire({ reason: 'X', message: 'm', reportingComponent: 'default-scheduler' })), 'Warning X (default-scheduler): m');
});
