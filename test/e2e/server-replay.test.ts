/**
 * Kestra's replay over real HTTP against a real `harrier server` process, on the SQLite store and
 * on PostgreSQL: from a task run (what ran before it is kept, it and what follows run again), of
 * another revision, and the 404s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postgresUnavailable, startPostgres } from '../support/postgres.ts';
import { api, deployFlow, startServerProcess, untilState, type ServerProcess } from '../support/server.ts';

// `first` records the execution that ran it: a replay that ran it again would record its own id.
const THREE_TASKS = `id: three_tasks
namespace: company.replay
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["made.txt"]
    commands:
      - echo "made in {{ execution.id }}" > made.txt
      - echo '::{"outputs":{"ranIn":"{{ execution.id }}"}}::'
  - id: second
    type: io.kestra.plugin.scripts.shell.Commands
    namespaceFiles:
      enabled: true
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - cat config/ready.txt
      - echo '::{"outputs":{"firstRanIn":"{{ outputs.first.vars.ranIn }}"}}::'
  - id: third
    type: io.kestra.plugin.core.log.Log
    message: "third sees {{ outputs.second.vars.firstRanIn }}, {{ read(outputs.first.outputFiles['made.txt']) | trim }}"
`;

// Iteration 'b' fails until the namespace file it reads is there; a summary reads every iteration's outputs.
const LOOP = `id: loop
namespace: company.replay
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "c"]
    tasks:
      - id: step
        type: io.kestra.plugin.scripts.shell.Commands
        namespaceFiles:
          enabled: true
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands:
          - '{ [ "{{ taskrun.value }}" != b ] || cat config/b-ready.txt; } && echo "::{\\"outputs\\":{\\"ranIn\\":\\"{{ execution.id }}\\"}}::"'
  - id: summary
    type: io.kestra.plugin.core.log.Log
    message: "a={{ outputs.step.a.vars.ranIn }} b={{ outputs.step.b.vars.ranIn }} c={{ outputs.step.c.vars.ranIn }}"
`;

async function uploadNamespaceFile(server: ServerProcess, path: string): Promise<void> {
  const upload = new FormData();
  upload.append('fileContent', new Blob(['ready\n']), path.slice(path.lastIndexOf('/') + 1));
  assert.equal((await api(server.url, `/api/v1/namespaces/company.replay/files?path=/${path}`, { method: 'POST', body: upload })).status, 204);
}

const taskRun = (execution: any, taskId: string): any => execution.taskRunList.find((run: any) => run.taskId === taskId);

async function withServer(args: string[], scenario: (server: ServerProcess) => Promise<void>): Promise<void> {
  const server = await startServerProcess({ args: ['--workers', '1', ...args] });
  try {
    await scenario(server);
  } finally {
    const result = await server.stop();
    assert.equal(result.code, 0, result.stderr);
  }
}

test('SQLite: a replay from the failed task run keeps the task before it and runs it and the next again; from a ForEach iteration; of another revision', async () => {
  await withServer([], replayScenario);
});

test('PostgreSQL: the same replays', async (t) => {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    if (process.env.CI === 'true') throw new Error(`CI=true and ${unavailable}`);
    t.skip(unavailable);
    return;
  }
  const postgres = await startPostgres();
  try {
    await withServer(['--store', await postgres.createDatabase()], replayScenario);
  } finally {
    await postgres.stop();
  }
});

async function replayScenario(server: ServerProcess): Promise<void> {
  assert.equal((await deployFlow(server.url, THREE_TASKS)).status, 200);
  const { body: failed } = await api(server.url, '/api/v1/executions/company.replay/three_tasks?wait=true', { method: 'POST' });
  assert.equal(failed.state.current, 'FAILED', JSON.stringify(failed));
  assert.deepEqual(failed.taskRunList.map((run: any) => [run.taskId, run.state.current]), [['first', 'SUCCESS'], ['second', 'FAILED']]);

  await uploadNamespaceFile(server, 'config/ready.txt');

  const second = taskRun(failed, 'second');
  const answer = await api(server.url, `/api/v1/executions/${failed.id}/replay?taskRunId=${second.id}`, { method: 'POST' });
  assert.equal(answer.status, 200, answer.text);
  assert.notEqual(answer.body.id, failed.id);
  const labels = Object.fromEntries(answer.body.labels.map((label: any) => [label.key, label.value]));
  assert.equal(labels['system.replay'], 'true');
  assert.equal(labels['system.replayOf'], failed.id);
  assert.equal(answer.body.parentId, failed.id);
  const { body: marked } = await api(server.url, '/api/v1/executions/search?labels=system.replayed:true');
  assert.deepEqual(marked.results.map((found: any) => found.id), [failed.id]);
  // Stored with the kept task run before it was queued: the answer already shows it (a worker may have gone on since).
  assert.deepEqual([answer.body.taskRunList[0].taskId, answer.body.taskRunList[0].state.current], ['first', 'SUCCESS']);

  const replayed = await untilState(server.url, answer.body.id, ['SUCCESS', 'FAILED']);
  assert.equal(replayed.state.current, 'SUCCESS', JSON.stringify(replayed));
  assert.deepEqual(replayed.taskRunList.map((run: any) => [run.taskId, run.state.current]), [['first', 'SUCCESS'], ['second', 'SUCCESS'], ['third', 'SUCCESS']]);
  const first = taskRun(replayed, 'first');
  assert.notEqual(first.id, taskRun(failed, 'first').id);
  assert.equal(first.executionId, replayed.id);
  assert.equal(first.outputs.vars.ranIn, failed.id);
  assert.equal(first.attempts.length, 1);
  assert.deepEqual(taskRun(replayed, 'second').outputs.vars, { firstRanIn: failed.id });
  assert.deepEqual(taskRun(replayed, 'second').attempts.map((attempt: any) => attempt.state.current), ['SUCCESS']);
  const logs = (await api(server.url, `/api/v1/logs/${replayed.id}`)).body;
  assert.ok(logs.some((entry: any) => entry.message === `third sees ${failed.id}, made in ${failed.id}`), JSON.stringify(logs));
  assert.ok(!logs.some((entry: any) => entry.taskId === 'first'), 'the first task did not run again');
  // The kept run's output file is the old execution's: the replay's file endpoint serves it too.
  const madeUri = first.outputFiles['made.txt'];
  assert.match(madeUri, new RegExp(`/executions/${failed.id}/`));
  assert.equal((await api(server.url, `/api/v1/executions/${replayed.id}/file?path=${encodeURIComponent(madeUri)}`)).text, `made in ${failed.id}\n`);

  const revised = await api(server.url, '/api/v1/flows/company.replay/three_tasks', {
    method: 'PUT', headers: { 'Content-Type': 'application/x-yaml' },
    body: 'id: three_tasks\nnamespace: company.replay\ntasks:\n  - id: only_in_two\n    type: io.kestra.plugin.core.log.Log\n    message: revision two\n',
  });
  assert.equal(revised.body.revision, 2, revised.text);
  const ofTwo = await api(server.url, `/api/v1/executions/${failed.id}/replay?revision=2`, { method: 'POST' });
  assert.equal(ofTwo.body.flowRevision, 2, ofTwo.text);
  const ranTwo = await untilState(server.url, ofTwo.body.id, ['SUCCESS', 'FAILED']);
  assert.deepEqual(ranTwo.taskRunList.map((run: any) => [run.taskId, run.state.current]), [['only_in_two', 'SUCCESS']]);
  // Without revision, the old execution's own flow runs again (Kestra keeps the execution's flowRevision).
  const ofOne = await api(server.url, `/api/v1/executions/${failed.id}/replay`, { method: 'POST' });
  assert.equal(ofOne.body.flowRevision, 1, ofOne.text);
  const ranOne = await untilState(server.url, ofOne.body.id, ['SUCCESS', 'FAILED']);
  assert.deepEqual(ranOne.taskRunList.map((run: any) => run.taskId), ['first', 'second', 'third']);
  assert.equal(taskRun(ranOne, 'first').outputs.vars.ranIn, ofOne.body.id);
  // Another replay's file is not the first replay's to serve, not even through '..'.
  const otherUri: string = taskRun(ranOne, 'first').outputFiles['made.txt'];
  const sneaky = otherUri.replace(`/executions/${ofOne.body.id}/`, `/executions/${replayed.id}/../${ofOne.body.id}/`);
  for (const uri of [otherUri, sneaky]) {
    const refused = await api(server.url, `/api/v1/executions/${replayed.id}/file?path=${encodeURIComponent(uri)}`);
    assert.deepEqual([refused.status, refused.body?.code], [400, 'REQUEST_INVALID'], `${uri}: ${refused.text}`);
  }

  const noRun = await api(server.url, `/api/v1/executions/${failed.id}/replay?taskRunId=nope`, { method: 'POST' });
  assert.deepEqual([noRun.status, noRun.body.code], [422, 'TASK_RUN_NOT_FOUND'], 'as Kestra answers');
  assert.match(noRun.body.message, /has no task run 'nope'/);
  const noRevision = await api(server.url, `/api/v1/executions/${failed.id}/replay?revision=9`, { method: 'POST' });
  assert.deepEqual([noRevision.status, noRevision.body.code], [404, 'FLOW_REVISION_NOT_FOUND']);
  assert.match(noRevision.body.message, /company\.replay\.three_tasks has no revision 9/);
  // Neither refused request left an execution behind.
  const { body: all } = await api(server.url, '/api/v1/executions/search?flowId=three_tasks');
  assert.equal(all.total, 4);

  await replayOfAnIteration(server);
}

async function replayOfAnIteration(server: ServerProcess): Promise<void> {
  assert.equal((await deployFlow(server.url, LOOP)).status, 200);
  const { body: failed } = await api(server.url, '/api/v1/executions/company.replay/loop?wait=true', { method: 'POST' });
  assert.equal(failed.state.current, 'FAILED', JSON.stringify(failed));
  const iterationB = failed.taskRunList.find((run: any) => run.taskId === 'step' && run.value === 'b');
  assert.equal(iterationB?.state.current, 'FAILED', JSON.stringify(failed.taskRunList));

  await uploadNamespaceFile(server, 'config/b-ready.txt');
  const answer = await api(server.url, `/api/v1/executions/${failed.id}/replay?taskRunId=${iterationB.id}`, { method: 'POST' });
  assert.equal(answer.status, 200, answer.text);
  const replayed = await untilState(server.url, answer.body.id, ['SUCCESS', 'FAILED']);
  assert.equal(replayed.state.current, 'SUCCESS', JSON.stringify(replayed));
  const ranIn = (value: string): string => replayed.taskRunList.find((run: any) => run.taskId === 'step' && run.value === value).outputs.vars.ranIn;
  // Iteration a is kept from the old execution; b and c ran in the replay.
  assert.deepEqual([ranIn('a'), ranIn('b'), ranIn('c')], [failed.id, replayed.id, replayed.id]);
  assert.equal(taskRun(replayed, 'each').state.current, 'SUCCESS');
  const logs = (await api(server.url, `/api/v1/logs/${replayed.id}`)).body;
  assert.ok(logs.some((entry: any) => entry.message === `a=${failed.id} b=${replayed.id} c=${replayed.id}`), JSON.stringify(logs));
}
