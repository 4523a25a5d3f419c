/**
 * The REST API over real HTTP against a real `harrier server` process: flows with revisions,
 * executions (multipart inputs with a FILE upload, wait, labels), Kestra's shapes, logs, files,
 * namespace files, kill, restart, replay, SSE, and the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, deployFlow, startServerProcess, subflowExecutionId, untilState, type ServerProcess } from '../support/server.ts';

let server: ServerProcess;
before(async () => {
  server = await startServerProcess({ args: ['--workers', '2'] });
});
after(async () => {
  const result = await server.stop();
  assert.equal(result.code, 0, result.stderr);
});

const HELLO = `id: hello
namespace: company.team
inputs:
  - id: name
    type: STRING
    defaults: world
  - id: data
    type: FILE
tasks:
  - id: say
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["copy.txt"]
    commands:
      - echo hello {{ inputs.name }}
      - cat "{{ inputs.data }}" > copy.txt
      - echo debug line >&2
`;

function form(fields: Record<string, string>, files: Record<string, [string, string]> = {}): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  for (const [name, [fileName, content]] of Object.entries(files)) data.append(name, new Blob([content]), fileName);
  return data;
}

/** The `data:` payloads of an SSE stream, read to its end. */
async function sseEvents(path: string): Promise<any[]> {
  const response = await fetch(`${server.url}${path}`);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const text = await response.text();
  return text.split('\n\n').filter((block) => block.startsWith('data: ')).map((block) => JSON.parse(block.slice(6)));
}

test('flows: create, read, update with revisions, search, 422 with located messages, delete', async () => {
  const created = await deployFlow(server.url, HELLO.replace('id: hello', 'id: crud'));
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.deepEqual([created.body.id, created.body.namespace, created.body.revision], ['crud', 'company.team', 1]);
  assert.equal((await deployFlow(server.url, HELLO.replace('id: hello', 'id: crud'))).status, 409);

  const updated = await api(server.url, '/api/v1/flows/company.team/crud', {
    method: 'PUT', headers: { 'Content-Type': 'application/x-yaml' }, body: `${HELLO.replace('id: hello', 'id: crud')}description: second\n`,
  });
  assert.equal(updated.body.revision, 2);
  const revisions = await api(server.url, '/api/v1/flows/company.team/crud/revisions');
  assert.deepEqual(revisions.body.map((flow: any) => flow.revision), [1, 2]);
  assert.match((await api(server.url, '/api/v1/flows/company.team/crud')).body.source, /description: second/);

  const invalid = await deployFlow(server.url, 'id: bad\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Nope\n');
  assert.equal(invalid.status, 422);
  assert.equal(invalid.body.code, 'FLOW_INVALID');
  assert.match(invalid.body.message, /^request body:5:11: tasks\[0\]\.type: /);
  assert.equal(invalid.body.issues[0].line, 5);

  const wrongType = await api(server.url, '/api/v1/flows', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(wrongType.status, 415);

  const search = await api(server.url, '/api/v1/flows/search?namespace=company&q=cru');
  assert.deepEqual(search.body.results.map((flow: any) => flow.id), ['crud']);
  assert.equal((await api(server.url, '/api/v1/flows/company.team/crud', { method: 'DELETE' })).status, 204);
  assert.equal((await api(server.url, '/api/v1/flows/company.team/crud')).status, 404);
});

test('an execution with a FILE upload, labels and ?wait=true: Kestra\'s shape, its file, its logs', async () => {
  assert.equal((await deployFlow(server.url, HELLO)).status, 200);
  const created = await api(server.url, '/api/v1/executions/company.team/hello?wait=true&labels=team:data&labels=env:test', {
    method: 'POST', body: form({ name: 'Ada' }, { data: ['input.txt', 'uploaded content\n'] }),
  });
  assert.equal(created.status, 200, created.text);
  const execution = created.body;
  // A line on stderr is a WARN line, which makes the task WARNING (as in Kestra).
  assert.equal(execution.state.current, 'WARNING', created.text);
  assert.deepEqual(execution.state.histories.map((h: any) => h.state), ['CREATED', 'RUNNING', 'WARNING']);
  assert.deepEqual(execution.labels.filter((l: any) => !l.key.startsWith('system.')), [{ key: 'team', value: 'data' }, { key: 'env', value: 'test' }]);
  assert.equal(execution.inputs.name, 'Ada');
  assert.match(execution.inputs.data, /^kestra:\/\/\/company\/team\/hello\/executions\/.*\/inputs\/data\/input\.txt$/);
  assert.equal(execution.flowRevision, 1);
  const [say] = execution.taskRunList;
  assert.equal(say.taskId, 'say');
  assert.equal(say.attempts.length, 1);
  assert.equal(say.attempts[0].state.current, 'WARNING');
  const uri = say.outputs.outputFiles['copy.txt'];
  assert.match(uri, /^kestra:\/\/\//);

  const file = await fetch(`${server.url}/api/v1/executions/${execution.id}/file?path=${encodeURIComponent(uri)}`);
  assert.equal(file.status, 200);
  assert.equal(await file.text(), 'uploaded content\n');
  const outside = await api(server.url, `/api/v1/executions/${execution.id}/file?path=${encodeURIComponent('kestra:///company/team/hello/executions/other/x')}`);
  assert.equal(outside.status, 400);

  const logs = (await api(server.url, `/api/v1/logs/${execution.id}`)).body;
  const hello = logs.find((entry: any) => entry.message === 'hello Ada');
  assert.ok(hello, JSON.stringify(logs));
  assert.deepEqual(Object.keys(hello).sort(), ['attemptNumber', 'executionId', 'flowId', 'index', 'level', 'message', 'namespace', 'taskId', 'taskRunId', 'timestamp']);
  assert.deepEqual([hello.taskId, hello.taskRunId, hello.attemptNumber, hello.level], ['say', say.id, 0, 'INFO']);
  const warnings = (await api(server.url, `/api/v1/logs/${execution.id}?minLevel=WARN`)).body;
  assert.ok(warnings.length > 0 && warnings.every((entry: any) => entry.level === 'WARN' || entry.level === 'ERROR'));
  assert.ok(warnings.some((entry: any) => entry.message === 'debug line'));
  const perTask = (await api(server.url, `/api/v1/logs/${execution.id}?taskId=nope`)).body;
  assert.deepEqual(perTask, []);
  const text = await (await fetch(`${server.url}/api/v1/logs/${execution.id}/download`)).text();
  assert.match(text, /^\S+ INFO  \[say\] hello Ada$/m);
  const followed = await sseEvents(`/api/v1/logs/${execution.id}/follow`);
  assert.deepEqual(followed.map((entry) => entry.message).filter((m) => m === 'hello Ada'), ['hello Ada']);

  const search = await api(server.url, '/api/v1/executions/search?namespace=company&flowId=hello&state=WARNING&labels=team:data');
  assert.ok(search.body.results.some((found: any) => found.id === execution.id));
  assert.equal((await api(server.url, '/api/v1/executions/search?labels=team:nobody')).body.total, 0);
  assert.equal((await api(server.url, '/api/v1/executions/search?state=BOGUS')).status, 400);
});

test('a FILE input given as a text field is refused: the server never reads its own files for a caller', async () => {
  await deployFlow(server.url, HELLO);
  const refused = await api(server.url, '/api/v1/executions/company.team/hello', { method: 'POST', body: form({ data: '/etc/passwd' }) });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, 'INPUT_INVALID');
  assert.match(refused.body.message, /input 'data' is a FILE: upload the file/);
});

test('follow streams the execution until it ends; kill ends a running one KILLED', async () => {
  await deployFlow(server.url, `id: sleeper
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo napping
      - sleep 60
`);
  const { body: execution } = await api(server.url, '/api/v1/executions/company.team/sleeper', { method: 'POST' });
  await untilState(server.url, execution.id, ['RUNNING']);
  const events = sseEvents(`/api/v1/executions/${execution.id}/follow`);
  const killed = await api(server.url, `/api/v1/executions/${execution.id}/kill`, { method: 'DELETE' });
  assert.equal(killed.status, 202);
  const ended = await untilState(server.url, execution.id, ['KILLED'], 30_000);
  assert.equal(ended.taskRunList[0].state.current, 'KILLED');
  const states = (await events).map((event) => event.state.current);
  assert.equal(states.at(-1), 'KILLED');
  assert.ok(states.includes('RUNNING'), states.join(','));
  assert.equal((await api(server.url, `/api/v1/executions/${execution.id}/kill`, { method: 'DELETE' })).status, 409);
});

test('restart runs the failed task again in a new attempt; namespace files upload and list; replay makes a new execution', async () => {
  await deployFlow(server.url, `id: needs_file
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: first runs once
  - id: check
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - cat config/settings.txt
`);
  const { body: execution } = await api(server.url, '/api/v1/executions/company.team/needs_file?wait=true', { method: 'POST' });
  assert.equal(execution.state.current, 'FAILED');

  const upload = new FormData();
  upload.append('fileContent', new Blob(['ready\n']), 'settings.txt');
  assert.equal((await api(server.url, '/api/v1/namespaces/company.team/files?path=/config/settings.txt', { method: 'POST', body: upload })).status, 204);
  const listed = await api(server.url, '/api/v1/namespaces/company.team/files/directory?path=/config');
  assert.deepEqual(listed.body, [{ type: 'File', fileName: 'settings.txt', size: 6 }]);
  assert.equal((await api(server.url, '/api/v1/namespaces/company.team/files?path=/../../secret.key')).status, 400);

  assert.equal((await api(server.url, `/api/v1/executions/${execution.id}/restart`, { method: 'POST' })).status, 200);
  const restarted = await untilState(server.url, execution.id, ['SUCCESS', 'FAILED']);
  assert.equal(restarted.state.current, 'SUCCESS', JSON.stringify(restarted));
  const check = restarted.taskRunList.find((taskRun: any) => taskRun.taskId === 'check');
  assert.deepEqual(check.attempts.map((attempt: any) => attempt.state.current), ['FAILED', 'SUCCESS']);
  const first = restarted.taskRunList.find((taskRun: any) => taskRun.taskId === 'first');
  assert.equal(first.attempts.length, 1);
  assert.equal((await api(server.url, `/api/v1/executions/${execution.id}/restart`, { method: 'POST' })).status, 409);

  const replay = await api(server.url, `/api/v1/executions/${execution.id}/replay`, { method: 'POST' });
  assert.notEqual(replay.body.id, execution.id);
  assert.equal((await untilState(server.url, replay.body.id, ['SUCCESS', 'FAILED'])).state.current, 'SUCCESS');
});

test('a queued execution of a deleted flow ends FAILED with the reason; unknown paths and methods get JSON errors', async () => {
  const idle = await startServerProcess({ args: ['--workers', '0'] });
  try {
    await deployFlow(idle.url, HELLO.replace('id: hello', 'id: doomed'));
    const { body: queued } = await api(idle.url, '/api/v1/executions/company.team/doomed', { method: 'POST', body: form({}, { data: ['d.txt', 'x'] }) });
    assert.equal(queued.state.current, 'CREATED');
    // Answered without reading back: the same document as the stored execution's, while nothing runs it.
    assert.deepEqual(queued, (await api(idle.url, `/api/v1/executions/${queued.id}`)).body);
    assert.deepEqual(queued.taskRunList, []);
    await api(idle.url, '/api/v1/flows/company.team/doomed', { method: 'DELETE' });
  } finally {
    await idle.stop();
  }
  const worker = await startServerProcess({ stateDir: idle.stateDir, args: ['--workers', '1'] });
  try {
    const { body: search } = await api(worker.url, '/api/v1/executions/search?flowId=doomed');
    const ended = await untilState(worker.url, search.results[0].id, ['FAILED']);
    assert.deepEqual(ended.failure, { code: 'FLOW_DELETED', message: 'flow company.team.doomed was deleted from the server: the execution cannot go on' });
  } finally {
    await worker.stop();
  }

  const missing = await api(server.url, '/api/v1/nothing');
  assert.deepEqual([missing.status, missing.body.code], [404, 'NOT_FOUND']);
  const method = await api(server.url, '/api/v1/flows/search', { method: 'DELETE' });
  assert.deepEqual([method.status, method.body.code], [405, 'METHOD_NOT_ALLOWED']);
  const notFound = await api(server.url, '/api/v1/executions/nope');
  assert.deepEqual([notFound.status, notFound.body.code], [404, 'EXECUTION_NOT_FOUND']);
  const badPage = await api(server.url, '/api/v1/executions/search?size=-1');
  assert.equal(badPage.status, 400);
  assert.doesNotMatch(badPage.text, /at .*\.ts:\d+/);
});

test('the OpenAPI document lists the endpoints; Kestra\'s tenant paths name the same ones', async () => {
  const { body } = await api(server.url, '/api/v1/openapi.json');
  assert.equal(body.openapi, '3.1.0');
  for (const path of ['/api/v1/flows', '/api/v1/executions/{id}', '/api/v1/logs/{executionId}/follow', '/api/v1/executions/{namespace}/{flowId}']) {
    assert.ok(body.paths[path], path);
  }
  assert.equal((await api(server.url, '/api/v1/main/flows/search')).status, 200);
});

test('--flows DIR deploys every flow file of DIR and its sub-folders at start and a new revision when one changes; bad and duplicate files are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-flows-'));
  mkdirSync(join(dir, 'company', 'team'), { recursive: true });
  mkdirSync(join(dir, 'z-copies'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'one.yaml'), HELLO.replace('id: hello', 'id: from_dir'));
  writeFileSync(join(dir, 'broken.yml'), 'id: broken\nnamespace: company.team\ntasks: 3\n');
  writeFileSync(join(dir, 'company', 'team', 'nested.yaml'), HELLO.replace('id: hello', 'id: nested'));
  writeFileSync(join(dir, 'z-copies', 'again.yaml'), HELLO.replace('id: hello', 'id: from_dir'));
  writeFileSync(join(dir, '.git', 'hidden.yaml'), HELLO.replace('id: hello', 'id: hidden'));
  const watched = await startServerProcess({ args: ['--workers', '0', '--flows', dir] });
  try {
    assert.equal((await api(watched.url, '/api/v1/flows/company.team/from_dir')).body.revision, 1);
    assert.equal((await api(watched.url, '/api/v1/flows/company.team/nested')).body.revision, 1);
    assert.equal((await api(watched.url, '/api/v1/flows/company.team/hidden')).status, 404);
    assert.match(watched.output(), /broken\.yml:3:8: tasks: expected a list of tasks/);
    assert.match(watched.output(), /again\.yaml declares company\.team\.from_dir, as .*one\.yaml does: skipped/);
    const revisionOf = async (id: string, from: number): Promise<number> => {
      let revision = from;
      for (let i = 0; i < 50 && revision === from; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        revision = (await api(watched.url, `/api/v1/flows/company.team/${id}`)).body.revision;
      }
      return revision;
    };
    writeFileSync(join(dir, 'one.yaml'), `${HELLO.replace('id: hello', 'id: from_dir')}description: changed\n`);
    assert.equal(await revisionOf('from_dir', 1), 2);
    writeFileSync(join(dir, 'company', 'team', 'nested.yaml'), `${HELLO.replace('id: hello', 'id: nested')}description: changed\n`);
    assert.equal(await revisionOf('nested', 1), 2, 'a change in a sub-folder is seen too');
  } finally {
    await watched.stop();
  }
});

/** A flow whose one Process task sleeps for a minute: an execution that stays RUNNING. */
function sleepingFlow(id: string): string {
  return `id: ${id}
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - sleep 60
`;
}

test('a kill sent to one server reaches the slot of another server that runs the execution', async () => {
  const apiOnly = await startServerProcess({ args: ['--workers', '0'] });
  const worker = await startServerProcess({ stateDir: apiOnly.stateDir, args: ['--workers', '1', '--renew-ms', '300'] });
  try {
    await deployFlow(apiOnly.url, sleepingFlow('long'));
    const { body: execution } = await api(apiOnly.url, '/api/v1/executions/company.team/long', { method: 'POST' });
    await untilState(apiOnly.url, execution.id, ['RUNNING']);
    assert.equal((await api(apiOnly.url, `/api/v1/executions/${execution.id}/kill`, { method: 'DELETE' })).status, 202);
    const ended = await untilState(apiOnly.url, execution.id, ['KILLED', 'SUCCESS', 'FAILED'], 20_000);
    assert.equal(ended.state.current, 'KILLED');
    assert.match(worker.output(), new RegExp(`execution ${execution.id} ended KILLED`));
  } finally {
    await worker.stop();
    await apiOnly.stop();
  }
});

test('a kill asked for while nobody holds the lease: the slot that takes the execution over kills it before any new attempt', async () => {
  const lease = ['--workers', '1', '--lease-ms', '3000', '--renew-ms', '500', '--poll-ms', '200'];
  const frozen = await startServerProcess({ args: lease });
  let other: ServerProcess | undefined;
  try {
    await deployFlow(frozen.url, sleepingFlow('unheld'));
    const { body: execution } = await api(frozen.url, '/api/v1/executions/company.team/unheld', { method: 'POST' });
    for (let i = 0; i < 200; i++) {
      const { body } = await api(frozen.url, `/api/v1/executions/${execution.id}`);
      if (body.taskRunList[0]?.attempts.length === 1) break;
      await sleep(50);
    }
    frozen.child.kill('SIGSTOP');
    other = await startServerProcess({ stateDir: frozen.stateDir, args: lease });
    assert.equal((await api(other.url, `/api/v1/executions/${execution.id}/kill`, { method: 'DELETE' })).status, 202);
    const ended = await untilState(other.url, execution.id, ['KILLED', 'SUCCESS', 'FAILED'], 30_000);
    assert.equal(ended.state.current, 'KILLED', other.output());
    assert.match(other.output(), new RegExp(`took execution ${execution.id} over`));
    // Killed from the row it took: the interrupted attempt is ended, and no second one starts.
    assert.deepEqual(ended.taskRunList[0].attempts.map((attempt: any) => attempt.state.current), ['FAILED']);
    assert.equal(ended.taskRunList[0].state.current, 'KILLED');
  } finally {
    frozen.child.kill('SIGCONT');
    await frozen.stop();
    await other?.stop();
  }
});

/** A child flow whose output says which revision ran, and whose task runs for `seconds`. */
function childFlow(which: string, seconds = 0): string {
  return `id: child
namespace: company.sub
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo child ${which}
      - sleep ${seconds}
outputs:
  - id: which
    type: STRING
    value: ${which}
`;
}

test('a Subflow on a server runs the deployed flow: its latest revision or the one named; one not waited for is queued; a missing one fails with the reason', async () => {
  assert.equal((await deployFlow(server.url, childFlow('one'))).status, 200);
  const update = await api(server.url, '/api/v1/flows/company.sub/child', { method: 'PUT', headers: { 'Content-Type': 'application/x-yaml' }, body: childFlow('two') });
  assert.equal(update.body.revision, 2, update.text);
  await deployFlow(server.url, `id: calls
namespace: company.team
tasks:
  - id: latest
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: child
  - id: first
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: child
    revision: 1
  - id: queued
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: child
    wait: false
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.latest.outputs.which }} {{ outputs.first.outputs.which }}"
`);
  const { body: parent } = await api(server.url, '/api/v1/executions/company.team/calls?wait=true', { method: 'POST' });
  assert.equal(parent.state.current, 'SUCCESS', JSON.stringify(parent.taskRunList));
  const byTask = Object.fromEntries(parent.taskRunList.map((taskRun: any) => [taskRun.taskId, taskRun]));
  assert.deepEqual([byTask.latest.outputs.outputs, byTask.first.outputs.outputs], [{ which: 'two' }, { which: 'one' }]);
  const { body: logs } = await api(server.url, `/api/v1/logs/${parent.id}?taskId=show`);
  assert.deepEqual(logs.map((entry: any) => entry.message), ['two one']);
  const latest = (await api(server.url, `/api/v1/executions/${byTask.latest.outputs.executionId}`)).body;
  assert.deepEqual([latest.flowRevision, latest.trigger], [2, {
    id: 'latest', type: 'io.kestra.plugin.core.flow.Subflow',
    variables: { executionId: parent.id, namespace: 'company.team', flowId: 'calls', taskRunId: byTask.latest.id },
  }]);
  assert.equal((await api(server.url, `/api/v1/executions/${byTask.first.outputs.executionId}`)).body.flowRevision, 1);
  const queued = await untilState(server.url, byTask.queued.outputs.executionId, ['SUCCESS', 'FAILED', 'KILLED'], 30_000);
  assert.deepEqual([queued.state.current, queued.outputs], ['SUCCESS', { which: 'two' }]);

  await deployFlow(server.url, `id: calls_missing
namespace: company.team
tasks:
  - id: too_new
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: child
    revision: 9
    allowFailure: true
  - id: missing
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: nowhere
`);
  const { body: failed } = await api(server.url, '/api/v1/executions/company.team/calls_missing?wait=true', { method: 'POST' });
  assert.equal(failed.state.current, 'FAILED');
  assert.match(failed.taskRunList[0].attempts[0].error, /^flow company\.sub\.child has no revision 9 \(the latest is 2\) \(GET \/api\/v1\/flows\/company\.sub\/child\/revisions lists them\)$/);
  assert.match(failed.taskRunList[1].attempts[0].error, /^no flow company\.sub\.nowhere is deployed \(deploy it first: POST \/api\/v1\/flows, or put its file in the server's --flows folder\)$/);
});

test('killing a subflow execution a server runs in its parent\'s slot kills it, and fails the parent', async () => {
  await deployFlow(server.url, childFlow('slow', 60).replace('id: child', 'id: slow_child'));
  await deployFlow(server.url, `id: waits
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: slow_child
`);
  const { body: parent } = await api(server.url, '/api/v1/executions/company.team/waits', { method: 'POST' });
  const childId = await subflowExecutionId(server.url, parent.id, 'call');
  assert.ok(childId, 'the child runs');
  await untilState(server.url, childId!, ['RUNNING'], 30_000);
  assert.equal((await api(server.url, `/api/v1/executions/${childId}/kill`, { method: 'DELETE' })).status, 202);
  assert.equal((await untilState(server.url, childId!, ['SUCCESS', 'FAILED', 'KILLED'], 30_000)).state.current, 'KILLED');
  const ended = await untilState(server.url, parent.id, ['SUCCESS', 'FAILED', 'KILLED'], 30_000);
  assert.equal(ended.state.current, 'FAILED');
  assert.match(ended.taskRunList[0].attempts[0].error, new RegExp(`subflow execution ${childId} \\(company\\.sub\\.slow_child\\) ended KILLED`));
});

test('restarting a parent restarts the subflow execution it failed with (Kestra\'s RETRY_FAILED): only the child\'s failed task runs again; NEW_EXECUTION makes a new child', async () => {
  const markers = mkdtempSync(join(tmpdir(), 'harrier-restart-'));
  const flaky = (id: string) => `id: ${id}
namespace: company.sub
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo first
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - if [ -f ${markers}/${id} ]; then echo second try; else touch ${markers}/${id}; exit 1; fi
`;
  const parentOf = (id: string, child: string, behaviour = '') => `id: ${id}
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: ${child}${behaviour}
`;
  const childIds = async (parentId: string) => {
    const { body } = await api(server.url, `/api/v1/logs/${parentId}?taskId=call`);
    return body.map((entry: any) => /runs as execution (\w+)/.exec(entry.message)?.[1]).filter(Boolean);
  };
  const runThenRestart = async (parentFlow: string) => {
    const { body: failed } = await api(server.url, `/api/v1/executions/company.team/${parentFlow}?wait=true`, { method: 'POST' });
    assert.equal(failed.state.current, 'FAILED', JSON.stringify(failed.taskRunList));
    assert.equal((await api(server.url, `/api/v1/executions/${failed.id}/restart`, { method: 'POST' })).status, 200);
    const ended = await untilState(server.url, failed.id, ['SUCCESS', 'FAILED', 'KILLED'], 30_000);
    assert.equal(ended.state.current, 'SUCCESS', JSON.stringify(ended.taskRunList));
    assert.equal(ended.taskRunList[0].attempts.length, 2, 'the Subflow task ran again in a second attempt');
    return { parent: ended, children: await childIds(failed.id) };
  };

  await deployFlow(server.url, flaky('flaky_child'));
  await deployFlow(server.url, parentOf('retries_child', 'flaky_child'));
  const retried = await runThenRestart('retries_child');
  assert.equal(new Set(retried.children).size, 1, `the same child both times: ${retried.children}`);
  const child = (await api(server.url, `/api/v1/executions/${retried.children[0]}`)).body;
  assert.equal(child.state.current, 'SUCCESS');
  const attempts = Object.fromEntries(child.taskRunList.map((taskRun: any) => [taskRun.taskId, taskRun.attempts.length]));
  assert.deepEqual(attempts, { first: 1, flaky: 2 }, 'the child\'s successful task did not run again');
  assert.equal(retried.parent.taskRunList[0].outputs.executionId, child.id);

  await deployFlow(server.url, flaky('flaky_new'));
  await deployFlow(server.url, parentOf('new_child', 'flaky_new', '\n    restartBehavior: NEW_EXECUTION'));
  const renewed = await runThenRestart('new_child');
  assert.equal(new Set(renewed.children).size, 2, `a new child on restart: ${renewed.children}`);
  const [firstChild, secondChild] = await Promise.all(renewed.children.map(async (id: string) => (await api(server.url, `/api/v1/executions/${id}`)).body.state.current));
  assert.deepEqual([firstChild, secondChild], ['FAILED', 'SUCCESS']);
});
