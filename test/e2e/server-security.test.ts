/**
 * The server's guards, against real `harrier server` processes: no listening beyond loopback
 * without credentials, basic auth and bearer tokens (never printed), body size limits, cross-site
 * requests refused, and JSON errors without stacks.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { harrier, tempStateDir } from '../support/harrier.ts';
import { api, deployFlow, startServerProcess } from '../support/server.ts';

/** A GET with a Host header of our choosing (fetch does not let one set it), as a DNS-rebound page would send. */
function withHost(url: string, path: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { headers: { Host: host } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: response.statusCode!, text }));
    });
    request.on('error', reject).end();
  });
}

const FLOW = 'id: small\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n';

test('bound beyond loopback without credentials, the server refuses to start with one line', async () => {
  const result = await harrier(['server', '--bind', '0.0.0.0', '--port', '0', '--state-dir', tempStateDir()], { env: { HARRIER_SERVER_TOKENS: '', HARRIER_SERVER_BASIC_AUTH: '' } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: refusing to listen on 0\.0\.0\.0 without authentication: .* \(set HARRIER_SERVER_BASIC_AUTH=user:password or HARRIER_SERVER_TOKENS=/m);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
});

test('--store (or HARRIER_STORE) with a URL harrier does not accept is refused before it listens: exit 2, one line, no password', async () => {
  for (const [args, env] of [[['--store', 'mysql://harrier:hunter2@db/harrier'], {}], [[], { HARRIER_STORE: 'mysql://harrier:hunter2@db/harrier' }]] as const) {
    const result = await harrier(['server', '--port', '0', '--state-dir', tempStateDir(), ...args], { env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^error: --store: 'mysql:\/\/harrier:\*\*\*@db\/harrier' is not a store URL harrier accepts \(give postgresql:\/\//m);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /hunter2|listening/);
  }
});

test('bearer tokens from the environment: no token 401, a wrong one 401, the right one passes; the token is never printed', async () => {
  const token = 'tok-3f9a1c7e5b';
  const server = await startServerProcess({ args: ['--bind', '0.0.0.0', '--workers', '0'], env: { HARRIER_SERVER_TOKENS: `other,${token}` } });
  try {
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    const none = await api(url, '/api/v1/flows/search');
    assert.deepEqual([none.status, none.body.code], [401, 'UNAUTHORIZED']);
    assert.equal((await api(url, '/api/v1/flows/search', { headers: { Authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await api(url, '/api/v1/flows/search', { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    // The client takes its token from HARRIER_SERVER_TOKEN.
    const listed = await harrier(['executions', '--server', url], { env: { HARRIER_SERVER_TOKEN: token } });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /no executions on/);
  } finally {
    const result = await server.stop();
    assert.doesNotMatch(result.stderr, new RegExp(token));
  }
});

test('basic auth by flag: the right user and password pass, others get 401; the password is never printed', async () => {
  const server = await startServerProcess({ args: ['--bind', '0.0.0.0', '--workers', '0', '--basic-auth', 'ada:s3cret-pw'] });
  try {
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    const basic = (credentials: string) => ({ Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });
    assert.equal((await api(url, '/api/v1/flows/search', { headers: basic('ada:wrong') })).status, 401);
    assert.equal((await api(url, '/api/v1/flows/search', { headers: basic('ada:s3cret-pw') })).status, 200);
    const listed = await harrier(['executions', '--server', url.replace('http://', 'http://ada:s3cret-pw@')]);
    assert.equal(listed.code, 0, listed.stderr);
  } finally {
    const result = await server.stop();
    assert.doesNotMatch(result.stderr, /s3cret-pw/);
  }
});

test('cross-site requests are refused: another Origin, Sec-Fetch-Site cross-site, a foreign Host on a loopback server', async () => {
  const server = await startServerProcess({ args: ['--workers', '0'] });
  try {
    const yaml = { 'Content-Type': 'application/x-yaml' };
    const evil = await deployFlow(server.url, FLOW, { Origin: 'https://evil.example' });
    assert.deepEqual([evil.status, evil.body.code], [403, 'CROSS_SITE_REFUSED']);
    const site = await api(server.url, '/api/v1/flows', { method: 'POST', headers: { ...yaml, 'Sec-Fetch-Site': 'cross-site' }, body: FLOW });
    assert.equal(site.status, 403);
    const form = new FormData();
    form.append('x', '1');
    const formPost = await api(server.url, '/api/v1/executions/company.team/small', { method: 'POST', body: form, headers: { Origin: 'http://attacker.test' } });
    assert.equal(formPost.status, 403);
    const rebinding = await withHost(server.url, '/api/v1/flows/search', 'attacker.test');
    assert.deepEqual([rebinding.status, JSON.parse(rebinding.text).code], [403, 'CROSS_SITE_REFUSED']);
    // Its own origin, and clients that send none (curl, harrier), pass.
    assert.equal((await deployFlow(server.url, FLOW, { Origin: server.url })).status, 200);
  } finally {
    await server.stop();
  }
});

test('request bodies over the limit get 413; malformed requests get JSON errors, never a stack', async () => {
  const server = await startServerProcess({ args: ['--workers', '0', '--max-body-bytes', '200', '--max-upload-bytes', '1000'] });
  try {
    const big = await deployFlow(server.url, `${FLOW}description: "${'x'.repeat(500)}"\n`);
    assert.deepEqual([big.status, big.body.code], [413, 'BODY_TOO_LARGE']);
    assert.equal((await deployFlow(server.url, FLOW)).status, 200);
    const upload = new FormData();
    upload.append('fileContent', new Blob(['y'.repeat(5000)]), 'big.txt');
    const tooBig = await api(server.url, '/api/v1/namespaces/company.team/files?path=/big.txt', { method: 'POST', body: upload });
    assert.deepEqual([tooBig.status, tooBig.body.code], [413, 'BODY_TOO_LARGE']);
    const broken = await api(server.url, '/api/v1/executions/company.team/small', {
      method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=zzz' }, body: '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated',
    });
    assert.ok(broken.status === 400 || broken.status === 200, broken.text);
    const noBoundary = await api(server.url, '/api/v1/executions/company.team/small', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' });
    assert.deepEqual([noBoundary.status, noBoundary.body.code], [400, 'REQUEST_INVALID']);
    for (const response of [big, tooBig, noBoundary]) assert.doesNotMatch(response.text, /at .*\.ts:\d+|Error:/);
  } finally {
    await server.stop();
  }
});
