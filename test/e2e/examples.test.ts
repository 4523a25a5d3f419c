import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { harrier, REPO_ROOT, runJson, taskRun, tempStateDir } from '../support/harrier.ts';
import { greetingWheelDir } from '../support/wheel.ts';

/** The HTTP example's server: a CSV to download and an API that stores reports. */
const exampleServer = createServer((request, response) => {
  if (request.url === '/orders.csv') {
    response.writeHead(200, { 'Content-Type': 'text/csv' }).end('id,brand\n1,acme\n2,globex\n3,initech\n');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => {
    const report = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    const valid = request.method === 'POST' && request.url === '/reports' && report?.rows === 3 && /^kestra:\/\/\//.test(report.file);
    response.writeHead(valid ? 201 : 400, { 'Content-Type': 'application/json' }).end(JSON.stringify(valid ? { id: 'r-1' } : { error: 'bad report' }));
  });
});
let exampleBaseUrl = '';
let exampleWheels = '';
before(async () => {
  exampleWheels = greetingWheelDir();
  await new Promise<void>((resolve) => exampleServer.listen(0, '127.0.0.1', resolve));
  exampleBaseUrl = `http://127.0.0.1:${(exampleServer.address() as AddressInfo).port}`;
});
after(() => exampleServer.close());

/** Every example under examples/ (top level: Process runner) is run; this is what each must give. */
const EXPECTED: Record<string, { state: string; args?: string[] | (() => string[]); env?: Record<string, string> | (() => Record<string, string>); check?: (r: Awaited<ReturnType<typeof runJson>>) => void }> = {
  'hello.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'greet').outputs.vars.greeting, 'Hello, world');
      assert.match(stderr, /\[log\] The greeting task said: Hello, world/);
    },
  },
  'inputs-and-expressions.yaml': {
    state: 'SUCCESS',
    args: ['--input', 'rows=4', '--input', 'env=prod'],
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'values').outputs.values.table, 'EVENTS_PROD');
      assert.match(stderr, /table=EVENTS_PROD rows=8 region=eu/);
      assert.match(stderr, /dry_run=false since=2024-01-31 window=PT15M/);
      assert.match(stderr, /tags=a,b first=a comment=none/);
      assert.equal(taskRun(doc, 'report').outputs.vars.rows, 4);
    },
  },
  'files.yaml': {
    state: 'SUCCESS',
    args: ['--input', `data=@${join(REPO_ROOT, 'examples', 'hello.yaml')}`],
    check: ({ doc, stderr }) => {
      const files = taskRun(doc, 'produce').outputFiles;
      assert.deepEqual(Object.keys(files).sort(), ['count.txt', 'data.txt', 'reports/daily/settings.ini', 'summary.md']);
      const lines = readFileSync(join(REPO_ROOT, 'examples', 'hello.yaml'), 'utf8').split('\n').length - 1;
      assert.equal(readFileSync(files['count.txt'].path, 'utf8').trim(), String(lines));
      assert.match(files['count.txt'].uri, /^kestra:\/\/\/company\/team\/files\/executions\/.+\/tasks\/produce\/.+\/count\.txt$/);
      assert.match(stderr, new RegExp(`lines=${lines} summary=from the output folder`));
    },
  },
  'python.yaml': {
    state: 'SUCCESS',
    check: ({ doc }) => {
      const script = taskRun(doc, 'python_script');
      assert.match(script.outputs.vars.python_version, /^3\./);
      assert.ok(script.outputFiles['environment_info.json'], 'environment_info.json collected');
      assert.equal(JSON.parse(readFileSync(script.outputFiles['environment_info.json'].path, 'utf8')).python_version, script.outputs.vars.python_version);
      assert.equal(taskRun(doc, 'python_commands').outputs.vars.answer, 42);
    },
  },
  'node.yaml': { state: 'SUCCESS', check: ({ doc }) => assert.equal(taskRun(doc, 'node').outputs.vars.total, 6) },
  'retries-and-timeouts.yaml': {
    state: 'WARNING',
    check: ({ doc }) => {
      const flaky = taskRun(doc, 'flaky');
      assert.equal(flaky.state, 'WARNING', 'warningOnRetry turns a success after a retry into WARNING');
      assert.deepEqual(flaky.attempts.map((a) => a.state), ['FAILED', 'SUCCESS']);
      assert.equal(flaky.attempts[0].exitCode, 1);
      assert.equal(taskRun(doc, 'bounded').state, 'SUCCESS');
    },
  },
  'timeout.yaml': {
    state: 'FAILED',
    check: ({ doc }) => assert.match(taskRun(doc, 'too_slow').attempts[0].error ?? '', /timed out after 1\.00s/),
  },
  'parallel.yaml': {
    state: 'SUCCESS',
    check: ({ doc }) => {
      for (const id of ['fan_out', 'branch_a', 'branch_b', 'group', 'step_1', 'step_2', 'after']) assert.equal(taskRun(doc, id).state, 'SUCCESS', id);
    },
  },
  'plugin-defaults.yaml': {
    state: 'SUCCESS',
    check: ({ stderr }) => {
      assert.match(stderr, /\[uses_defaults\] GREETING=hello from pluginDefaults TEAM=platform/);
      assert.match(stderr, /\[overrides\] GREETING=hi from the task TEAM=platform/);
    },
  },
  'secrets.yaml': {
    state: 'SUCCESS',
    env: { SECRET_API_TOKEN: Buffer.from('s3cr3t-t0ken').toString('base64') },
    check: ({ stderr }) => {
      assert.match(stderr, /the token is \*\*\*\*\*\*/);
      assert.doesNotMatch(stderr, /s3cr3t-t0ken/);
    },
  },
  'namespace-files.yaml': {
    state: 'SUCCESS',
    args: ['--namespace-files', join(REPO_ROOT, 'examples', 'namespace-files')],
    check: ({ stderr }) => assert.match(stderr, /report from a namespace file/),
  },
  'for-each.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      const measures = doc.taskRuns.filter((run) => run.taskId === 'measure');
      assert.deepEqual(measures.map((run) => [run.value, run.outputs.vars.size]).sort(), [['asia', 4], ['eu', 2], ['us', 2]]);
      assert.match(stderr, /\[report_big\] asia has a long name/);
      assert.doesNotMatch(stderr, /eu has a long name/);
      assert.match(stderr, /\[summary\] eu=2 us=2 asia=4/);
    },
  },
  'if-switch.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      assert.match(stderr, /\[relaxed\] not production: staging/);
      assert.deepEqual(taskRun(doc, 'by_environment').outputs, { value: 'staging', defaults: false });
      assert.equal(doc.taskRuns.some((run) => run.taskId === 'deploy' || run.taskId === 'careful'), false);
    },
  },
  'dag.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'join').outputs.vars.rows, 7);
      assert.match(stderr, /\[publish\] published 7 rows/);
    },
  },
  'working-directory.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'read').outputs.vars.rows, 2);
      const uri = (taskRun(doc, 'workspace').outputs as { outputFiles: Record<string, string> }).outputFiles['people.csv'];
      assert.match(uri, /^kestra:\/\/\/company\/team\/working_directory\/executions\/.+\/people\.csv$/);
      assert.match(stderr, /\[after\] kept \["people.csv"\]/);
    },
  },
  'subflow.yaml': {
    state: 'SUCCESS',
    check: ({ doc, stderr }) => {
      const outputs = taskRun(doc, 'greet_team').outputs as { executionId: string; state: string; outputs: Record<string, string> };
      assert.equal(outputs.state, 'SUCCESS');
      assert.deepEqual(outputs.outputs, { greeting: 'Hello, team' });
      assert.match(stderr, new RegExp(`\\[report\\] child ${outputs.executionId} ended SUCCESS: Hello, team`));
    },
  },
  'subflow-child.yaml': { state: 'SUCCESS', check: ({ doc }) => assert.deepEqual(doc.outputs, { greeting: 'Hello, world' }) },
  'fail-and-sleep.yaml': {
    state: 'WARNING',
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'no_rows').state, 'WARNING');
      assert.equal(taskRun(doc, 'no_rows').attempts[0].error, 'Fail on a condition');
      assert.match(stderr, /\[no_rows\] ERROR no rows to load/);
      assert.equal(taskRun(doc, 'after').state, 'SUCCESS');
    },
  },
  'http.yaml': {
    state: 'SUCCESS',
    args: () => ['--input', `base_url=${exampleBaseUrl}`],
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'extract').outputs.length, 35);
      assert.equal(taskRun(doc, 'report').outputs.code, 201);
      assert.match(stderr, /\[done\] report r-1 stored \(HTTP 201\), 35 bytes downloaded/);
    },
  },
  'python-dependencies.yaml': {
    state: 'SUCCESS',
    env: () => ({ PIP_NO_INDEX: '1', PIP_FIND_LINKS: exampleWheels }),
    check: ({ doc, stderr }) => {
      assert.equal(taskRun(doc, 'greet').outputs.vars.message, 'Hello, python_dependencies, from a wheel');
      assert.match(stderr, /installing Python dependencies for 3\.\d+ with pip: harrier-greeting==1\.0\.0/);
    },
  },
  'dbt.yaml': {
    state: 'SUCCESS',
    env: { PATH: `${join(REPO_ROOT, 'examples', 'bin')}:${process.env.PATH}` },
    check: ({ stderr }) => assert.match(stderr, /\[dbt_build\] Done\. PASS=3/),
  },
};

const examples = readdirSync(join(REPO_ROOT, 'examples')).filter((name) => name.endsWith('.yaml'));

test('every top-level example has an expectation', () => {
  assert.deepEqual(examples.sort(), Object.keys(EXPECTED).sort());
});

for (const name of examples) {
  test(`example ${name} runs to ${EXPECTED[name]?.state}`, async () => {
    const expected = EXPECTED[name];
    const args = typeof expected.args === 'function' ? expected.args() : expected.args ?? [];
    const env = typeof expected.env === 'function' ? expected.env() : expected.env;
    const result = await runJson(join('examples', name), tempStateDir(), args, { env });
    assert.equal(result.doc.state, expected.state, result.stderr);
    assert.equal(result.code, expected.state === 'FAILED' || expected.state === 'KILLED' ? 1 : 0);
    expected.check?.(result);
  });
}

test('harrier validate accepts every example, the Kubernetes seeds included', async () => {
  const kubernetes = readdirSync(join(REPO_ROOT, 'examples', 'kubernetes')).map((name) => join('examples', 'kubernetes', name));
  const files = [...examples.map((name) => join('examples', name)), ...kubernetes];
  const result = await harrier(['validate', ...files]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, files.length);
});
