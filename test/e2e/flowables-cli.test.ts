/**
 * The flowable and utility tasks as a user meets them through bin/harrier.js: located validation
 * errors, a crash inside a ForEach resumed without redoing finished iterations (a Docker child
 * re-attached), Sleep ended by SIGTERM, Subflow executions listed with their parent.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, runJson, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';

function startedId(output: string): string {
  return /Execution (\S+) started/.exec(output)![1];
}

test('validate: a Dag cycle and an unknown dependency are one located line each, exit 2, no stack', async () => {
  const flow = flowFile(`id: bad_dag
namespace: test
tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: a, type: io.kestra.plugin.core.log.Log, message: a}
        dependsOn: [b]
      - task: {id: b, type: io.kestra.plugin.core.log.Log, message: b}
        dependsOn: [a, ghost]
`);
  const result = await harrier(['validate', flow]);
  assert.equal(result.code, 2);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 2, result.stderr);
  assert.match(lines[0], /flow\.yaml:8:20: tasks\[0\]\.tasks\[0\]\.dependsOn: dependency cycle: a → b → a/);
  assert.match(lines[1], /flow\.yaml:10:24: tasks\[0\]\.tasks\[1\]\.dependsOn\[1\]: 'b' depends on 'ghost', which is not a task of this Dag/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
});

test('SIGKILL during a ForEach, then resume: finished iterations are not run again, the interrupted one gets a new attempt', async () => {
  const marks = join(mkdtempSync(join(tmpdir(), 'harrier-foreach-')), 'marks.txt');
  writeFileSync(marks, '');
  const flow = flowFile(`id: foreach_crash
namespace: test
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b, c]
    tasks:
      - id: work
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo "{{ taskrun.value }}" >> ${marks}
          - echo "begin {{ taskrun.value }}"
          - if [ "{{ taskrun.value }}" = b ] && [ ! -f ${marks}.resumed ]; then sleep 30; fi
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = startedId(await waitForOutput(child, /Execution \S+ started/));
  await waitForOutput(child, /\[work b\] begin b/);
  child.kill('SIGKILL');
  await child.result;
  appendFileSync(`${marks}.resumed`, '');
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.equal(doc.state, 'SUCCESS');
  assert.deepEqual(readFileSync(marks, 'utf8').trim().split('\n'), ['a', 'b', 'b', 'c'], 'a ran once, b again, c once');
  const work = doc.taskRuns.filter((run: { taskId: string }) => run.taskId === 'work');
  assert.deepEqual(work.map((run: { value: string; attempts: { state: string }[] }) => [run.value, run.attempts.map((a) => a.state)]),
    [['a', ['SUCCESS']], ['b', ['FAILED', 'SUCCESS']], ['c', ['SUCCESS']]]);
});

test('SIGKILL during a ForEach whose child runs in Docker: resume re-attaches to that container', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const flow = flowFile(`id: foreach_docker_crash
namespace: test
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [one, two]
    tasks:
      - id: work
        type: io.kestra.plugin.scripts.shell.Commands
        containerImage: ${image}
        taskRunner:
          type: io.kestra.plugin.scripts.runner.docker.Docker
          pullPolicy: NEVER
        commands:
          - echo "begin {{ taskrun.value }}"
          - sleep 2
          - echo '::{"outputs":{"done":"{{ taskrun.value }}"}}::'
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = startedId(await waitForOutput(child, /Execution \S+ started/));
  await waitForOutput(child, /\[work two\] begin two/);
  child.kill('SIGKILL');
  await child.result;
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  const work = doc.taskRuns.filter((run: { taskId: string }) => run.taskId === 'work');
  assert.deepEqual(work.map((run: { value: string; attempts: unknown[]; outputs: { done: string } }) => [run.value, run.attempts.length, run.outputs.done]),
    [['one', 1, 'one'], ['two', 1, 'two']], 'one attempt each: the second re-attached');
  assert.match((await harrier(['logs', id, '--state-dir', stateDir])).stdout, /re-attaching to attempt 1/);
});

test('SIGTERM ends a Sleep at once: the execution is KILLED, exit 1', async () => {
  const flow = flowFile(`id: long_sleep
namespace: test
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5M
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir, '--json']);
  await waitForOutput(child, /\[nap\] Waiting for 5m/);
  const before = Date.now();
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, 1);
  assert.ok(Date.now() - before < 5_000);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.state, 'KILLED');
  assert.equal(taskRun(doc, 'nap').state, 'KILLED');
});

test('Subflow: the child is found with --flows, listed by `harrier executions` with its parent; a missing flow fails the task in one line', async () => {
  const flows = mkdtempSync(join(tmpdir(), 'harrier-flows-'));
  writeFileSync(join(flows, 'child.yml'), `id: child
namespace: test.children
inputs:
  - {id: n, type: INT}
tasks:
  - id: hello
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ['echo "child got {{ inputs.n }}"']
`);
  const parent = flowFile(`id: parent
namespace: test
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: test.children
    flowId: child
    inputs: {n: 5}
  - id: missing
    type: io.kestra.plugin.core.flow.Subflow
    namespace: test.children
    flowId: nowhere
`);
  const stateDir = tempStateDir();
  const run = await runJson(parent, stateDir, ['--flows', flows]);
  assert.equal(run.doc.state, 'FAILED');
  assert.match(run.stderr, /\[hello\] child got 5/);
  const childId = taskRun(run.doc, 'call').outputs.executionId as string;
  assert.equal(taskRun(run.doc, 'call').outputs.state, 'SUCCESS');
  assert.match(taskRun(run.doc, 'missing').attempts[0].error ?? '', new RegExp(`^no flow test\\.children\\.nowhere in ${flows}`));
  const listed = JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout) as { id: string; flowId: string; parentExecutionId: string | null }[];
  assert.deepEqual(listed.map((execution) => [execution.flowId, execution.parentExecutionId]).sort(),
    [['child', run.doc.id], ['parent', null]]);
  assert.ok(listed.some((execution) => execution.id === childId));
});
