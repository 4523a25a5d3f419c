import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { flowFile, harrier, runJson, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';


/** Running, not merely a zombie waiting for a parent (this machine's init may never reap it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('--version names the Node version it runs on', async () => {
  const result = await harrier(['--version']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, new RegExp(`^harrier \\d+\\.\\d+\\.\\d+ \\(node ${process.version.replaceAll('.', '\\.')}\\)`));
});

test('run prints live logs prefixed by task id, the execution id first on stderr, and a closing table', async () => {
  const stateDir = tempStateDir();
  const result = await harrier(['run', 'examples/hello.yaml', '--state-dir', stateDir, '--input', 'name=Ada']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr.split('\n')[0], /^Execution [0-9A-Za-z]{22} started \(flow company\.team\.hello/);
  assert.match(result.stdout, /\[greet\] Hello, Ada!/);
  assert.doesNotMatch(result.stdout, /::\{"outputs"/, 'protocol lines are not printed as logs');
  assert.match(result.stdout, /Execution \S+ SUCCESS in /);
  assert.match(result.stdout, /TASK\s+STATE\s+ATTEMPTS\s+DURATION\ngreet\s+SUCCESS\s+1\s+\S+/);
  assert.doesNotMatch(result.stdout, /\x1b\[/, 'no colour when not on a terminal');
});

test('--json prints exactly one JSON document on stdout', async () => {
  const { doc, stdout, code } = await runJson('examples/hello.yaml', tempStateDir());
  assert.equal(code, 0);
  assert.equal(stdout.trim().split('\n').length, 1);
  assert.deepEqual(Object.keys(doc).filter((k) => ['id', 'flowId', 'namespace', 'state', 'taskRuns'].includes(k)).sort(),
    ['flowId', 'id', 'namespace', 'state', 'taskRuns']);
  assert.deepEqual(taskRun(doc, 'greet').attempts.map((a) => [a.state, a.exitCode]), [['SUCCESS', 0]]);
});

test('a failing task fails the execution with its exit code, exit 1, and later tasks do not run', async () => {
  const flow = flowFile(`id: fails
namespace: test
tasks:
  - id: boom
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo before", "exit 3", "echo never"]
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: never
`);
  const { doc, code, stderr } = await runJson(flow, tempStateDir());
  assert.equal(code, 1);
  assert.equal(doc.state, 'FAILED');
  assert.equal(taskRun(doc, 'boom').attempts[0].exitCode, 3);
  assert.match(taskRun(doc, 'boom').attempts[0].error ?? '', /exited with code 3/);
  assert.ok(!doc.taskRuns.some((t) => t.taskId === 'after'));
  assert.doesNotMatch(stderr, /never/);
});

test('retry behavior CREATE_NEW_EXECUTION: the execution ends RETRIED and the whole flow runs again as a new one', async () => {
  const counterDir = mkdtempSync(join(tmpdir(), 'harrier-rerun-'));
  const flow = (maxAttempt: number) => flowFile(`id: rerun
namespace: test
retry:
  type: constant
  interval: PT0.2S
  maxAttempt: ${maxAttempt}
  behavior: CREATE_NEW_EXECUTION
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: runs in every execution
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - n=$(cat ${counterDir}/count-${maxAttempt} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counterDir}/count-${maxAttempt}
      - test $n -ge 3
`);
  const stateDir = tempStateDir();
  const { doc, code, stderr } = await runJson(flow(3), stateDir);
  assert.equal(code, 0, stderr);
  assert.equal(doc.state, 'SUCCESS');
  assert.deepEqual(taskRun(doc, 'flaky').attempts.map((a) => a.state), ['SUCCESS'], 'each execution runs the task once');
  assert.equal(doc.metadata.attemptNumber, 3);
  const retried = [...stderr.matchAll(/Execution (\S+) ended RETRIED: the flow runs again as execution (\S+) at \S+ \(execution (\d) of the chain that began with (\S+)\)/g)];
  assert.equal(retried.length, 2, stderr);
  assert.equal(retried[1][2], doc.id);
  assert.equal(doc.metadata.originalId, retried[0][1]);
  assert.equal(retried[0][4], retried[0][1]);
  const listed = await harrier(['executions', '--state-dir', stateDir]);
  assert.equal(listed.stdout.match(/RETRIED/g)?.length, 2, listed.stdout);

  const exhausted = await runJson(flow(2), tempStateDir());
  assert.equal(exhausted.code, 1);
  assert.equal(exhausted.doc.state, 'FAILED', 'maxAttempt counts executions: the second one is the last');
  assert.equal(exhausted.doc.metadata.attemptNumber, 2);
});

test('killed while waiting to run the flow again: resume with the first execution id continues the chain', async () => {
  const counterDir = mkdtempSync(join(tmpdir(), 'harrier-rerun-'));
  const flow = flowFile(`id: rerun_resume
namespace: test
tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT3S
      maxAttempt: 2
      behavior: CREATE_NEW_EXECUTION
    commands:
      - n=$(cat ${counterDir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counterDir}/count
      - test $n -ge 2
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const first = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /ended RETRIED/);
  child.kill('SIGKILL');
  await child.result;
  const resumed = await harrier(['resume', first, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.notEqual(doc.id, first);
  assert.equal(doc.state, 'SUCCESS');
  assert.deepEqual([doc.metadata.attemptNumber, doc.metadata.originalId], [2, first]);
  assert.equal(readFileSync(join(counterDir, 'count'), 'utf8').trim(), '2', 'the task ran once per execution');
});

test('warningOnStdErr turns a run that wrote to stderr into WARNING; false keeps SUCCESS', async () => {
  const flow = flowFile(`id: stderr
namespace: test
tasks:
  - id: noisy
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo oops >&2"]
  - id: quiet
    type: io.kestra.plugin.scripts.shell.Commands
    warningOnStdErr: false
    commands: ["echo oops >&2"]
`);
  const { doc, code } = await runJson(flow, tempStateDir());
  assert.equal(code, 0);
  assert.equal(taskRun(doc, 'noisy').state, 'WARNING');
  assert.equal(taskRun(doc, 'quiet').state, 'SUCCESS');
  assert.equal(doc.state, 'WARNING');
});

test('an invalid flow is rejected before anything runs or is stored: exit 2, file:line:column, no stack', async () => {
  const stateDir = tempStateDir();
  const flow = flowFile(`id: bad
namespace: test
tasks:
  - id: one
    type: io.kestra.plugin.scripts.shell.Commands
    comands: ["echo hi"]
`);
  const result = await harrier(['run', flow, '--state-dir', stateDir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, new RegExp(`${flow.replace(/[.]/g, '\\.')}:6:5: tasks\\[0\\]\\.comands: .*did you mean 'commands'`));
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  const list = await harrier(['executions', '--json', '--state-dir', stateDir]);
  assert.deepEqual(JSON.parse(list.stdout), []);
});

test('inputs: unknown, missing and badly typed inputs are one-line errors with exit 2 and nothing stored', async () => {
  const stateDir = tempStateDir();
  const flow = flowFile(`id: inputs
namespace: test
inputs:
  - id: count
    type: INT
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.count }}"
`);
  const missing = await harrier(['run', flow, '--state-dir', stateDir]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required input 'count' \(INT\).*--input count=42/);
  const unknown = await harrier(['run', flow, '--state-dir', stateDir, '--input', 'cont=1']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown input 'cont'.*did you mean 'count'/);
  const wrong = await harrier(['run', flow, '--state-dir', stateDir, '--input', 'count=many']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /input 'count': expected an integer, got 'many'/);
  for (const result of [missing, unknown, wrong]) assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.deepEqual(JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout), []);
});

test('an undefined variable fails the task with a message naming the expression, task and property', async () => {
  const flow = flowFile(`id: undefined_var
namespace: test
tasks:
  - id: show
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo {{ inputs.nope }}"]
`);
  const { doc, code } = await runJson(flow, tempStateDir());
  assert.equal(code, 1);
  const error = taskRun(doc, 'show').attempts[0].error ?? '';
  assert.match(error, /task 'show', property 'commands\[0\]'/);
  assert.match(error, /inputs\.nope/);
});

test('bad usage is exit 2 with a one-line message', async () => {
  const result = await harrier(['run', 'examples/hello.yaml', '--task-runner', 'podman']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /podman/);
  const missingFile = await harrier(['run', 'no/such/flow.yaml']);
  assert.equal(missingFile.code, 2, 'a missing flow file is exit 2, as for validate');
  assert.match(missingFile.stderr, /cannot read flow file no\/such\/flow\.yaml: no such file/);
});

test('executions lists newest first; logs prints stored logs, filtered by task', async () => {
  const stateDir = tempStateDir();
  const first = await runJson('examples/hello.yaml', stateDir);
  const second = await runJson('examples/parallel.yaml', stateDir);
  const list = JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout) as { id: string; state: string }[];
  assert.deepEqual(list.map((e) => e.id), [second.doc.id, first.doc.id]);
  const table = await harrier(['executions', '--state-dir', stateDir]);
  assert.match(table.stdout, /^ID\s+FLOW\s+STATE\s+STARTED\s+DURATION/);
  const logs = await harrier(['logs', first.doc.id, '--state-dir', stateDir]);
  assert.match(logs.stdout, /\[greet\] Hello, world!/);
  const onlyLog = await harrier(['logs', first.doc.id.slice(0, 8), '--task', 'log', '--state-dir', stateDir]);
  assert.doesNotMatch(onlyLog.stdout, /\[greet\]/);
  assert.match(onlyLog.stdout, /\[log\] The greeting task said/);
  const missing = await harrier(['logs', 'nonexistent', '--state-dir', stateDir]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no execution 'nonexistent'/);
});

test('SIGTERM kills the execution: KILLED, exit 1, and nothing the task started is left running', async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'harrier-pid-')), 'pids');
  const flow = flowFile(`id: long
namespace: test
tasks:
  - id: sleeper
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 60 &
      - echo $! > ${pidFile}
      - echo started
      - sleep 60
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--json', '--state-dir', stateDir]);
  await waitForOutput(child, /\[sleeper\] started/);
  const background = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(alive(background));
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, 1);
  const doc = JSON.parse(result.stdout);
  assert.equal(doc.state, 'KILLED');
  assert.equal(doc.taskRuns[0].state, 'KILLED');
  await sleep(200);
  assert.ok(!alive(background), 'the background process of the task was killed too');
});

test('after SIGKILL, resume continues: finished task runs are not run again, the interrupted one gets a new attempt', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'harrier-marker-'));
  const flow = flowFile(`id: resumable
namespace: test
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["echo ran >> ${marker}/first"]
  - id: second
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - echo "attempt {{ taskrun.attemptsCount }}"
      - test -f ${marker}/crashed || { touch ${marker}/crashed; echo waiting; sleep 60; }
      - echo done
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const started = await waitForOutput(child, /Execution (\S+) started/);
  const id = started.split(' ')[1];
  await waitForOutput(child, /\[second\] waiting/);
  child.kill('SIGKILL');
  await child.result;
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.equal(doc.state, 'SUCCESS');
  assert.equal(readFileSync(join(marker, 'first'), 'utf8'), 'ran\n', 'the finished task did not run again');
  assert.deepEqual(taskRun(doc, 'first').attempts.map((a: { state: string }) => a.state), ['SUCCESS']);
  const second = taskRun(doc, 'second');
  assert.deepEqual(second.attempts.map((a: { state: string }) => a.state), ['FAILED', 'SUCCESS']);
  assert.match(second.attempts[0].error ?? '', /interrupted/);
  const again = await harrier(['resume', id, '--state-dir', stateDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already ended in SUCCESS/);
  assert.ok(!existsSync(join(stateDir, 'running', `${id}.pid`)));
});

test('schema prints a JSON Schema that lists the task types', async () => {
  const result = await harrier(['schema']);
  assert.equal(result.code, 0);
  const text = result.stdout;
  JSON.parse(text);
  assert.match(text, /io\.kestra\.plugin\.scripts\.shell\.Commands/);
  assert.match(text, /io\.kestra\.plugin\.kubernetes\.PodCreate/);
});

test('logs --follow prints lines as they come and returns when the execution ends', async () => {
  const flow = flowFile(`id: follow
namespace: test
tasks:
  - id: slow
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.3; done
`);
  const stateDir = tempStateDir();
  const run = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(run, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(run, /\[slow\] tick 1/);
  const follow = await harrier(['logs', id, '--follow', '--state-dir', stateDir]);
  assert.equal((await run.result).code, 0);
  assert.equal(follow.code, 0);
  assert.deepEqual(follow.stdout.split('\n').filter((l) => l.includes('tick')), [1, 2, 3, 4, 5].map((i) => `[slow] tick ${i}`));
});
