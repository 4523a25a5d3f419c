import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerError } from '../../../src/runners/docker/docker-client.ts';
import type { DockerClient } from '../../../src/runners/docker/docker-client.ts';
import { errorFromNetwork, errorFromStatus, toRunnerError } from '../../../src/runners/kubernetes/api-errors.ts';
import {
  ERROR_CODES, type ErrorCode, ExpressionError, FlowValidationError, HarrierError, hasCode, InputError, RunnerError, StoreError,
  TaskFailedError, UsageError,
} from '../../../src/shared/errors.ts';
import { REPO_ROOT } from '../../support/harrier.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
    ? sourceFiles(join(dir, entry.name))
    : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

test('the catalogue: every code is upper snake case, means something, and has an HTTP status only if it is one', () => {
  for (const [code, entry] of Object.entries(ERROR_CODES) as Array<[ErrorCode, { meaning: string; status?: number }]>) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    assert.ok(entry.meaning.length > 10, code);
    if (entry.status !== undefined) assert.ok(entry.status >= 400 && entry.status < 600, code);
  }
});

test('every code in the catalogue is raised somewhere', () => {
  const source = sourceFiles(join(REPO_ROOT, 'src')).map((file) => readFileSync(file, 'utf8')).join('\n');
  const unused = Object.keys(ERROR_CODES).filter((code) => !source.includes(`'${code}'`));
  assert.deepEqual(unused, []);
});

test('each error class has its own default code; a specific code and status can be given', () => {
  assert.equal(new UsageError('x').code, 'USAGE');
  assert.equal(new FlowValidationError([]).code, 'FLOW_INVALID');
  assert.equal(new InputError('x').code, 'INPUT_INVALID');
  assert.equal(new InputError('x', { code: 'EXECUTION_NOT_FOUND' }).code, 'EXECUTION_NOT_FOUND');
  assert.equal(new ExpressionError('x').code, 'EXPRESSION_FAILED');
  assert.equal(new RunnerError('x').code, 'RUNNER_FAILED');
  assert.equal(new TaskFailedError('x', { exitCode: 3 }).code, 'TASK_FAILED');
  assert.equal(new StoreError('x').code, 'STORE_FAILED');
  const failed = new HarrierError('x', { code: 'FLOW_UNREADABLE', hint: 'h' });
  assert.deepEqual([failed.code, failed.status, failed.userMessage()], ['FLOW_UNREADABLE', undefined, 'x (h)']);
  assert.equal(new RunnerError('x', { code: 'KUBE_FORBIDDEN', status: 500 }).status, 403, 'a code with a fixed status keeps it');
  assert.equal(new RunnerError('x', { code: 'KUBE_API_ERROR', status: 503 }).status, 503);
  assert.ok(hasCode(failed, 'USAGE', 'FLOW_UNREADABLE'));
  assert.ok(!hasCode(failed, 'USAGE'));
  assert.ok(!hasCode(Object.assign(new Error('x'), { code: 'FLOW_UNREADABLE' }), 'FLOW_UNREADABLE'), 'only HarrierErrors have codes');
});

const ctx = { verb: 'create', resource: 'pods', namespace: 'team', name: 'p', server: 'https://10.0.0.1:6443' };

test('Kubernetes answers become KUBE_* codes with their HTTP status', () => {
  const cases: Array<[number, string, ErrorCode]> = [
    [401, '{"kind":"Status","reason":"Unauthorized","code":401}', 'KUBE_UNAUTHORIZED'],
    [403, '{"kind":"Status","message":"pods is forbidden","reason":"Forbidden","code":403}', 'KUBE_FORBIDDEN'],
    [404, '{"kind":"Status","message":"pods \\"p\\" not found","reason":"NotFound","code":404}', 'KUBE_NOT_FOUND'],
    [404, '{"kind":"Status","message":"namespaces \\"team\\" not found","reason":"NotFound","code":404}', 'KUBE_NAMESPACE_NOT_FOUND'],
    [409, '{"kind":"Status","message":"pods \\"p\\" already exists","reason":"AlreadyExists","code":409}', 'KUBE_CONFLICT'],
    [422, '{"kind":"Status","message":"Pod \\"p\\" is invalid","reason":"Invalid","code":422}', 'KUBE_INVALID'],
    [500, 'etcd is down', 'KUBE_API_ERROR'],
  ];
  for (const [status, body, code] of cases) {
    const error = errorFromStatus(status, body, ctx);
    assert.deepEqual([error.code, error.status], [code, status], body);
  }
  // client-node's ApiException carries the HTTP status as a number `code`.
  const conflict = toRunnerError(Object.assign(new Error('HTTP-Code: 409'), { code: 409, body: cases[4][1] }), ctx);
  assert.equal(conflict.code, 'KUBE_CONFLICT');
  assert.match(conflict.message, /failed \(409 AlreadyExists\)/, 'the message says what the API server said');
});

test('Kubernetes network and TLS failures get their own codes', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
  const cases: Array<[unknown, ErrorCode]> = [
    [new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED') }), 'KUBE_UNREACHABLE'],
    [withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), 'KUBE_TLS_UNTRUSTED'],
    [new Error('error:1E08010C:DECODER routines::unsupported'), 'KUBE_CREDENTIALS_UNREADABLE'],
    [withCode('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'KUBE_CLIENT_CERT_REJECTED'],
  ];
  for (const [error, code] of cases) assert.equal(errorFromNetwork(error, ctx)?.code, code, String(error));
  assert.equal(toRunnerError(new Error('weird'), ctx).code, 'KUBE_API_ERROR');
});

test('Docker engine failures: DOCKER_UNREACHABLE without an answer, DOCKER_API_ERROR with its status otherwise', () => {
  const client = { host: 'unix:///var/run/docker.sock' } as DockerClient;
  const unreachable = dockerError(client, 'creating the container', Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }));
  assert.equal(unreachable.code, 'DOCKER_UNREACHABLE');
  const refused = dockerError(client, 'creating the container', Object.assign(new Error('(HTTP code 409) conflict - name in use'), { statusCode: 409 }));
  assert.deepEqual([refused.code, refused.status], ['DOCKER_API_ERROR', 409]);
  assert.match(refused.message, /creating the container failed on unix:\/\/\/var\/run\/docker\.sock: name in use/);
});
