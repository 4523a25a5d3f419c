import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startGcpFake } from '../gcp-fake/index.ts';
import { flowFile, runJson, startHarrier, taskRun, tempStateDir } from '../support/harrier.ts';

/**
 * io.kestra.plugin.core.http.Request and Download, run by the harrier binary against a local
 * node:http server this test starts.
 */
const MiB = 1024 * 1024;
const LARGE = 200 * MiB;

/** 64 KiB of fixed bytes, repeated: the large download's content, and its digest computed the same way. */
const BLOCK = Buffer.alloc(64 * 1024, 'harrier-download-');

function largeDigest(): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < LARGE; sent += BLOCK.length) hash.update(BLOCK);
  return hash.digest('hex');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function route(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const send = (status: number, body: string, headers: Record<string, string | string[]> = {}): void => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(body);
  };
  switch (url.pathname) {
    case '/json':
      send(200, JSON.stringify({ products: [{ brand: 'acme', price: 3 }] }), { 'X-Multi': ['one', 'two'] });
      return;
    case '/echo':
      void readBody(request).then((body) => send(200, JSON.stringify({ method: request.method, headers: request.headers, body, query: url.search })));
      return;
    case '/missing':
      send(404, '{"error":"no such product"}');
      return;
    case '/broken':
      send(503, 'the database is down\nretry later');
      return;
    case '/redirect': {
      const hops = Number(url.searchParams.get('hops') ?? '1');
      response.writeHead(hops > 1 ? 302 : 301, { Location: hops > 1 ? `/redirect?hops=${hops - 1}` : '/json' });
      response.end();
      return;
    }
    case '/see-other':
      void readBody(request).then(() => {
        response.writeHead(303, { Location: '/echo' });
        response.end();
      });
      return;
    case '/loop':
      response.writeHead(302, { Location: '/loop' });
      response.end();
      return;
    case '/silent':
      // Never answers: the read-idle timeout, the task timeout and kill must each end it.
      return;
    case '/file.csv':
      send(200, 'id,name\n1,acme\n', { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="orders.csv"' });
      return;
    case '/empty':
      send(200, '');
      return;
    case '/short':
      response.writeHead(200, { 'Content-Length': '1000' });
      response.write('only part of it');
      setTimeout(() => response.socket?.destroy(), 50);
      return;
    case '/large': {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(LARGE) });
      let sent = 0;
      const pump = (): void => {
        while (sent < LARGE) {
          sent += BLOCK.length;
          if (!response.write(BLOCK)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
      return;
    }
    case '/upload': {
      void readBody(request).then((body) => send(200, JSON.stringify({ contentType: request.headers['content-type'], body })));
      return;
    }
    default:
      send(500, 'unexpected path');
  }
}

describe('HTTP tasks against a local server', () => {
  let server: Server;
  let base = '';

  before(async () => {
    server = createServer(route);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function flow(tasks: string): string {
    return flowFile(`id: http_flow\nnamespace: company.team\ntasks:\n${tasks}`);
  }

  test('Request GET: code, headers with every value, body as text, usable by jq in the next task', async () => {
    const { doc, stderr, code } = await runJson(flow(`
  - id: api
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/json
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "brand={{ outputs.api.body | jq('.products[0].brand') | first }} code={{ outputs.api.code }}"
`), tempStateDir());
    assert.equal(code, 0, stderr);
    const api = taskRun(doc, 'api').outputs;
    assert.equal(api.code, 200);
    assert.equal(api.uri, `${base}/json`);
    assert.deepEqual(JSON.parse(api.body), { products: [{ brand: 'acme', price: 3 }] });
    assert.deepEqual(api.headers['X-Multi'], ['one', 'two']);
    assert.deepEqual(api.headers['Content-Type'], ['application/json']);
    assert.match(stderr, /\[show\] brand=acme code=200/);
  });

  test('Request POST: body with contentType, headers, basic auth; formData URL-encoded', async () => {
    const { doc, stderr, code } = await runJson(flow(`
  - id: post
    type: io.kestra.plugin.core.http.Request
    uri: "${base}/echo?q=a b"
    method: post
    contentType: text/plain
    body: "hello {{ flow.id }}"
    headers:
      X-Team: platform
    options:
      auth: {type: BASIC, username: ada, password: "s3cret"}
  - id: form
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/echo
    method: POST
    formData:
      user: John Doe
      count: 3
`), tempStateDir());
    assert.equal(code, 0, stderr);
    const post = JSON.parse(taskRun(doc, 'post').outputs.body);
    assert.equal(post.method, 'POST');
    assert.equal(post.body, 'hello http_flow');
    assert.equal(post.query, '?q=a%20b', 'a space in the URI is encoded, as Kestra does');
    assert.equal(post.headers['content-type'], 'text/plain');
    assert.equal(post.headers['x-team'], 'platform');
    assert.equal(post.headers.authorization, `Basic ${Buffer.from('ada:s3cret').toString('base64')}`);
    const form = JSON.parse(taskRun(doc, 'form').outputs.body);
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(form.body, 'user=John+Doe&count=3');
  });

  test('redirects: followed by default (301, 302 chains), not with followRedirects false; 303 after POST turns into GET', async () => {
    const { doc, stderr, code } = await runJson(flow(`
  - id: followed
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/redirect?hops=3
  - id: kept
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/redirect?hops=3
    options: {followRedirects: false}
  - id: see_other
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/see-other
    method: POST
    body: "{}"
`), tempStateDir());
    assert.equal(code, 0, stderr);
    assert.equal(taskRun(doc, 'followed').outputs.code, 200);
    assert.deepEqual(JSON.parse(taskRun(doc, 'followed').outputs.body).products[0].brand, 'acme');
    assert.equal(taskRun(doc, 'kept').outputs.code, 302);
    assert.deepEqual(taskRun(doc, 'kept').outputs.headers.Location, ['/redirect?hops=2']);
    const seeOther = JSON.parse(taskRun(doc, 'see_other').outputs.body);
    assert.equal(seeOther.method, 'GET');
    assert.equal(seeOther.body, '');
  });

  test('a redirect loop fails with one line', async () => {
    const { doc, code } = await runJson(flow(`
  - id: loop
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/loop
`), tempStateDir());
    assert.equal(code, 1);
    assert.match(taskRun(doc, 'loop').attempts[0].error ?? '', /^GET http:\/\/127\.0\.0\.1:\d+\/loop redirected more than 20 times/);
  });

  test('a 4xx or 5xx fails the task with the code, the URL and what the server said; allowFailed and allowedResponseCodes accept it', async () => {
    const failed = await runJson(flow(`
  - id: missing
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/missing
`), tempStateDir());
    assert.equal(failed.code, 1);
    const error = taskRun(failed.doc, 'missing').attempts[0].error ?? '';
    assert.match(error, new RegExp(`^GET ${base}/missing answered 404 Not Found: \\{"error":"no such product"\\} \\(set options.allowFailed: true`));
    assert.equal(error.split('\n').length, 1);

    const broken = await runJson(flow(`
  - id: broken
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/broken
`), tempStateDir());
    assert.equal(broken.code, 1);
    assert.match(taskRun(broken.doc, 'broken').attempts[0].error ?? '', /answered 503 Service Unavailable: the database is down retry later/);

    const allowed = await runJson(flow(`
  - id: tolerated
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/missing
    options: {allowFailed: true}
  - id: deprecated_spelling
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/broken
    allowFailed: true
  - id: only_404
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/missing
    options: {allowedResponseCodes: [404]}
`), tempStateDir());
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(taskRun(allowed.doc, 'tolerated').outputs.code, 404);
    assert.equal(JSON.parse(taskRun(allowed.doc, 'tolerated').outputs.body).error, 'no such product');
    assert.equal(taskRun(allowed.doc, 'deprecated_spelling').outputs.code, 503);
    assert.equal(taskRun(allowed.doc, 'only_404').outputs.code, 404);

    const notListed = await runJson(flow(`
  - id: only_201
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/json
    options: {allowedResponseCodes: [201]}
`), tempStateDir());
    assert.equal(notListed.code, 1);
    assert.match(taskRun(notListed.doc, 'only_201').attempts[0].error ?? '', /answered 200 OK.*allowedResponseCodes is \[201\]/);
  });

  test('a bad URL, a refused connection and an invalid option each fail with one line', async () => {
    const { doc, code } = await runJson(flow(`
  - id: bad_url
    type: io.kestra.plugin.core.http.Request
    uri: "not a url"
    allowFailure: true
  - id: refused
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:1/nothing
    allowFailure: true
  - id: bad_option
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/json
    options:
      timeout: {connectTimeout: "{{ 'soon' }}"}
`), tempStateDir());
    assert.equal(code, 1);
    assert.equal(taskRun(doc, 'bad_url').attempts[0].error,
      `task 'bad_url', property 'uri': 'not a url' is not an http:// or https:// URL (write a full URL like https://example.com/path)`);
    assert.match(taskRun(doc, 'refused').attempts[0].error ?? '', /^GET http:\/\/127\.0\.0\.1:1\/nothing: cannot reach the server: connection refused/);
    assert.match(taskRun(doc, 'bad_option').attempts[0].error ?? '', /property 'options': invalid after rendering: timeout\.connectTimeout: expected an ISO-8601 duration/);
  });

  test('HTTPS: a CA from NODE_EXTRA_CA_CERTS is trusted; without it the certificate is refused unless insecureTrustAllCertificates', async () => {
    // Any local HTTPS server with its own CA does: the GCP fake answers 404 with JSON on unknown routes.
    const https = await startGcpFake({ accessToken: 'unused', clusters: [] });
    try {
      const tasks = `
  - id: get
    type: io.kestra.plugin.core.http.Request
    uri: ${https.url}/nothing
    options: {allowFailed: true}
    allowFailure: true
  - id: insecure
    type: io.kestra.plugin.core.http.Request
    uri: ${https.url}/nothing
    options: {allowFailed: true, ssl: {insecureTrustAllCertificates: true}}
`;
      const trusted = await runJson(flow(tasks), tempStateDir(), [], { env: { NODE_EXTRA_CA_CERTS: https.caFile } });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(taskRun(trusted.doc, 'get').outputs.code, 404);
      const untrusted = await runJson(flow(tasks), tempStateDir(), [], { env: { NODE_EXTRA_CA_CERTS: undefined } });
      assert.match(taskRun(untrusted.doc, 'get').attempts[0].error ?? '', /^GET https:\/\/127\.0\.0\.1:\d+\/nothing: the server's certificate is not trusted/);
      assert.equal(taskRun(untrusted.doc, 'insecure').outputs.code, 404);
    } finally {
      await https.stop();
    }
  });

  test('timeouts: the read-idle timeout, then the task timeout, end a request the server never answers', async () => {
    const started = Date.now();
    const { doc, code } = await runJson(flow(`
  - id: idle
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/silent
    options:
      timeout: {readIdleTimeout: PT0.5S}
    allowFailure: true
  - id: task_timeout
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/silent
    timeout: PT1S
`), tempStateDir());
    assert.equal(code, 1);
    assert.match(taskRun(doc, 'idle').attempts[0].error ?? '', /\/silent: the server sent nothing for 500ms \(options\.timeout\.readIdleTimeout\)/);
    assert.match(taskRun(doc, 'task_timeout').attempts[0].error ?? '', /timed out after 1\.00s \(task timeout\)/);
    assert.ok(Date.now() - started < 30_000);
  });

  test('kill: SIGTERM during a request that never ends ends the execution KILLED at once', async () => {
    const stateDir = tempStateDir();
    const child = startHarrier(['run', flow(`
  - id: hang
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/silent
`), '--json', '--state-dir', stateDir]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const killedAt = Date.now();
    child.kill('SIGTERM');
    const result = await child.result;
    assert.equal(result.code, 1, result.stderr);
    assert.equal(JSON.parse(result.stdout).state, 'KILLED');
    assert.ok(Date.now() - killedAt < 5000, 'killed promptly');
  });

  test('Download: the file lands in internal storage named after Content-Disposition; outputs uri, code, length, headers', async () => {
    const { doc, stderr, code } = await runJson(flow(`
  - id: extract
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/file.csv
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner: {type: io.kestra.plugin.core.runner.Process}
    commands:
      - wc -l < {{ outputs.extract.uri }}
  - id: upload
    type: io.kestra.plugin.core.http.Request
    uri: ${base}/upload
    method: POST
    contentType: multipart/form-data
    formData:
      note: hello
      file: "{{ outputs.extract.uri }}"
      renamed:
        name: my-orders.csv
        content: "{{ outputs.extract.uri }}"
`), tempStateDir());
    assert.equal(code, 0, stderr);
    const extract = taskRun(doc, 'extract').outputs;
    assert.match(extract.uri, /^kestra:\/\/\/company\/team\/http_flow\/executions\/[^/]+\/tasks\/extract\/[^/]+\/orders\.csv$/);
    assert.equal(extract.code, 200);
    assert.equal(extract.length, 15);
    assert.deepEqual(extract.headers['Content-Type'], ['text/csv']);
    assert.match(stderr, /\[count\] 2/);
    const upload = JSON.parse(taskRun(doc, 'upload').outputs.body);
    assert.match(upload.contentType, /^multipart\/form-data; boundary=/);
    assert.match(upload.body, /name="note"\r\n\r\nhello\r\n/);
    assert.match(upload.body, /name="file"; filename="orders\.csv"\r\nContent-Type: [^\r]*\r\n\r\nid,name\n1,acme\n\r\n/);
    assert.match(upload.body, /name="renamed"; filename="my-orders\.csv"/);
  });

  test('Download: an empty answer fails unless failOnEmptyResponse is false; a transfer cut short fails', async () => {
    const { doc, code } = await runJson(flow(`
  - id: empty
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/empty
    allowFailure: true
  - id: empty_ok
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/empty
    failOnEmptyResponse: false
  - id: short
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/short
`), tempStateDir());
    assert.equal(code, 1);
    assert.match(taskRun(doc, 'empty').attempts[0].error ?? '', /\/empty: the answer is empty \(set failOnEmptyResponse: false/);
    assert.equal(taskRun(doc, 'empty_ok').outputs.length, 0);
    assert.match(taskRun(doc, 'short').attempts[0].error ?? '', /\/short: the answer broke off after 15 bytes/);
  });

  /** Runs harrier on `tasks`, sampling its peak RSS (VmHWM) while it runs. */
  async function runSampled(tasks: string, stateDir: string): Promise<{ result: Awaited<ReturnType<typeof startHarrier>['result']>; peakMiB: number }> {
    const child = startHarrier(['run', flow(tasks), '--json', '--state-dir', stateDir], { timeoutMs: 300_000 });
    let peakKiB = 0;
    const sampler = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
      } catch {
        // The process has ended.
      }
    }, 20);
    const result = await child.result;
    clearInterval(sampler);
    assert.ok(peakKiB > 0, 'the peak was sampled');
    return { result, peakMiB: peakKiB / 1024 };
  }

  test('Download of 200 MiB streams to disk: the stored file is whole, and harrier\'s peak memory grows far less than the file', async () => {
    const small = await runSampled(`
  - id: small
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/file.csv
`, tempStateDir());
    assert.equal(small.result.code, 0, small.result.stderr);
    const stateDir = tempStateDir();
    const { result, peakMiB } = await runSampled(`
  - id: large
    type: io.kestra.plugin.core.http.Download
    uri: ${base}/large
`, stateDir);
    assert.equal(result.code, 0, result.stderr);
    const large = taskRun(JSON.parse(result.stdout), 'large');
    assert.equal(large.outputs.length, LARGE);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(storedPath(stateDir, large.outputs.uri))) hash.update(chunk as Buffer);
    assert.equal(hash.digest('hex'), largeDigest());
    console.log(`# harrier's peak RSS: ${Math.round(small.peakMiB)} MiB for a 15-byte download, ${Math.round(peakMiB)} MiB for 200 MiB`);
    // Buffering the body would add at least the file's 200 MiB; streaming adds what the GC has yet to hand back (69-83 MiB measured).
    assert.ok(peakMiB - small.peakMiB < 150, `peak RSS grew by ${Math.round(peakMiB - small.peakMiB)} MiB for a 200 MiB file`);
  });
});

function storedPath(stateDir: string, uri: string): string {
  return `${stateDir}/storage/${uri.replace(/^kestra:\/\/\//, '')}`;
}
