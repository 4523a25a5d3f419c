/**
 * ForEach, If, Switch, Dag, WorkingDirectory, Subflow, Fail and Sleep through the real engine and
 * store, with a fake runner for the script tasks: which children run, in what order and how many
 * at once, what they see (taskrun.value, parent), how states add up, kill, and resume.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crash, exits, FakeRunner, flowYaml, hangs, openEngine, start, stateDir, takes, until, type Behaviour, type Started } from './harness.ts';

const SHELL = 'type: io.kestra.plugin.scripts.shell.Commands';

async function runsOf(started: Started, taskId: string) {
  return (await started.engine.store.taskRuns(started.execution.id)).filter((run) => run.taskId === taskId);
}

/** A fake task that prints `outputs(its command line)` as a Kestra outputs line and exits 0. */
function announces(outputs: (command: string) => Record<string, unknown>): Behaviour {
  return (job) => {
    job.log({ stream: 'stdout', line: `::${JSON.stringify({ outputs: outputs(job.command.join(' ')) })}::`, timestamp: new Date().toISOString() });
    return 0;
  };
}

function commandOf(fake: FakeRunner, taskId: string, index = 0): string {
  return fake.callsOf(taskId)[index].job.command.join(' ');
}

test('ForEach runs its tasks once per value, one iteration after the other by default; each run carries its value and iteration', async () => {
  const fake = new FakeRunner('process');
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b", "a", 3, {k: v}]
    tasks:
      - id: first
        ${SHELL}
        commands: ['echo {{ taskrun.value }}/{{ taskrun.iteration }}']
      - id: second
        ${SHELL}
        commands: [run]
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.deepEqual(fake.calls.map((call) => call.taskId), ['first', 'second', 'first', 'second', 'first', 'second', 'first', 'second']);
  assert.deepEqual((await runsOf(started, 'first')).map((run) => [run.value, run.iteration, run.loopPath]),
    [['a', 0, '0'], ['b', 1, '1'], ['3', 2, '2'], ['{"k":"v"}', 3, '3']], 'duplicates dropped; non-strings as JSON');
  assert.match(commandOf(fake, 'first', 1), /echo b\/1/);
  const parent = (await runsOf(started, 'each'))[0];
  assert.ok((await runsOf(started, 'second')).every((run) => run.parentTaskRunId === parent.id));
  await started.engine.close();
});

test('ForEach concurrencyLimit 2 runs two iterations at a time, 0 all at once; a JSON string works as values', async () => {
  for (const [limit, peak] of [[2, 2], [0, 4]] as const) {
    const fake = new FakeRunner('process').on('work', takes(150));
    const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: '["1", "2", "3", "4"]'
    concurrencyLimit: ${limit}
    tasks:
      - id: work
        ${SHELL}
        commands: [run]
`), { process: fake });
    assert.equal((await started.done).state, 'SUCCESS');
    assert.equal(fake.peak, peak, `concurrencyLimit ${limit}`);
    assert.equal(fake.calls.length, 4);
    await started.engine.close();
  }
});

test('outputs of a ForEach child are filed under the value (outputs.t[value]); parent.taskrun.value reaches nested tasks', async () => {
  const fake = new FakeRunner('process').on('produce', announces((command) => ({ up: /value=(\w+)/.exec(command)![1].toUpperCase() })));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [x, y]
    tasks:
      - id: produce
        ${SHELL}
        commands: ['value={{ taskrun.value }}']
      - id: group
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - id: nested
            ${SHELL}
            commands: ['parent={{ parent.taskrun.value }} mine={{ outputs.produce[parent.taskrun.value].up }}']
  - id: after
    ${SHELL}
    commands: ["x={{ outputs.produce.x.up }} y={{ outputs.produce['y'].up }}"]
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.match(commandOf(fake, 'nested', 0), /parent=x mine=X/);
  assert.match(commandOf(fake, 'nested', 1), /parent=y mine=Y/);
  assert.match(commandOf(fake, 'after'), /x=X y=Y/);
  await started.engine.close();
});

test('a failed iteration stops the ForEach (no later iteration), runs its errors, and fails the execution; allowFailure makes it WARNING', async () => {
  const fake = new FakeRunner('process').on('work', (job) => (job.command.join(' ').includes('v=b') ? 1 : 0));
  const flow = (allowFailure: boolean) => flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b, c]
    allowFailure: ${allowFailure}
    tasks:
      - id: work
        ${SHELL}
        commands: ['v={{ taskrun.value }}']
    errors:
      - id: on_error
        ${SHELL}
        commands: [report]
  - id: next
    ${SHELL}
    commands: [run]
`);
  const failed = await start(stateDir(), flow(false), { process: fake });
  assert.equal((await failed.done).state, 'FAILED');
  assert.deepEqual((await runsOf(failed, 'work')).map((run) => [run.value, run.state]), [['a', 'SUCCESS'], ['b', 'FAILED']]);
  assert.equal((await runsOf(failed, 'on_error'))[0].state, 'SUCCESS');
  assert.equal((await runsOf(failed, 'each'))[0].state, 'FAILED');
  assert.equal((await runsOf(failed, 'next')).length, 0);
  await failed.engine.close();

  const allowed = await start(stateDir(), flow(true), { process: new FakeRunner('process').on('work', (job) => (job.command.join(' ').includes('v=b') ? 1 : 0)) });
  assert.equal((await allowed.done).state, 'WARNING');
  assert.equal((await runsOf(allowed, 'each'))[0].state, 'WARNING');
  assert.equal((await runsOf(allowed, 'next'))[0].state, 'SUCCESS');
  await allowed.engine.close();
});

test('a child retried inside an iteration keeps its own attempts; the iteration goes on', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1, 0));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    tasks:
      - id: flaky
        ${SHELL}
        commands: [run]
        retry: {type: constant, interval: PT0.01S, maxAttempt: 2}
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  for (const run of await runsOf(started, 'flaky')) assert.deepEqual((await started.engine.store.attempts(run.id)).map((attempt) => attempt.state), ['FAILED', 'SUCCESS']);
  await started.engine.close();
});

test('resume after a crash does not redo finished iterations', async () => {
  const dir = stateDir();
  const first = new FakeRunner('process').on('work', (job) => (job.command.join(' ').includes('v=c') ? hangs(job) : 0));
  const yaml = flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b, c, d]
    tasks:
      - id: work
        ${SHELL}
        commands: ['v={{ taskrun.value }}']
`);
  const started = await start(dir, yaml, { process: first });
  await until(() => first.callsOf('work').length === 3, 'the third iteration');
  await crash(started);
  const second = new FakeRunner('process');
  const engine = await openEngine(dir, { process: second });
  const prepared = await engine.prepareResume(started.execution.id);
  assert.equal((await engine.runChain(prepared.execution, prepared.flow)).state, 'SUCCESS');
  assert.deepEqual(second.calls.map((call) => /v=(\w)/.exec(call.job.command.join(' '))![1]), ['c', 'd'], 'a and b are not run again');
  const runs = (await engine.store.taskRuns(started.execution.id)).filter((run) => run.taskId === 'work');
  assert.deepEqual(runs.map((run) => [run.value, run.state]), [['a', 'SUCCESS'], ['b', 'SUCCESS'], ['c', 'SUCCESS'], ['d', 'SUCCESS']]);
  await engine.close();
});

test('a kill during a ForEach kills the running iteration, starts no more, and ends KILLED', async () => {
  const fake = new FakeRunner('process').on('work', takes(5_000));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b, c]
    tasks:
      - id: work
        ${SHELL}
        commands: [run]
`), { process: fake });
  await until(() => fake.calls.length === 1, 'the first iteration');
  started.engine.abortAll();
  assert.equal((await started.done).state, 'KILLED');
  assert.equal(fake.calls.length, 1);
  assert.equal(fake.calls[0].aborted, 'killed');
  assert.equal((await runsOf(started, 'each'))[0].state, 'KILLED');
  await started.engine.close();
});

test('If takes then or else once and records evaluationResult; Switch runs the matching case or the defaults', async () => {
  const fake = new FakeRunner('process');
  const started = await start(stateDir(), flowYaml(`variables: {mode: b}
tasks:
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ vars.mode == 'a' }}"
    then:
      - {id: yes_branch, ${SHELL}, commands: [run]}
    else:
      - {id: no_branch, ${SHELL}, commands: [run]}
  - id: pick
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ vars.mode }}"
    cases:
      a: [{id: case_a, ${SHELL}, commands: [run]}]
      b: [{id: case_b, ${SHELL}, commands: [run]}]
    defaults: [{id: other, ${SHELL}, commands: [run]}]
  - id: unknown
    type: io.kestra.plugin.core.flow.Switch
    value: "zzz"
    cases:
      a: [{id: case_a2, ${SHELL}, commands: [run]}]
    defaults: [{id: fallback, ${SHELL}, commands: [run]}]
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.deepEqual(fake.calls.map((call) => call.taskId), ['no_branch', 'case_b', 'fallback']);
  assert.deepEqual((await runsOf(started, 'check'))[0].outputs, { evaluationResult: false });
  assert.deepEqual((await runsOf(started, 'pick'))[0].outputs, { value: 'b', defaults: false });
  assert.deepEqual((await runsOf(started, 'unknown'))[0].outputs, { value: 'zzz', defaults: true });
  await started.engine.close();
});

test('a flowable\'s finally runs whatever the end; a failing finally fails it', async () => {
  const fake = new FakeRunner('process').on('cleanup', exits(1));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: group
    type: io.kestra.plugin.core.flow.If
    condition: "true"
    then: [{id: work, ${SHELL}, commands: [run]}]
    finally: [{id: cleanup, ${SHELL}, commands: [run]}]
`), { process: fake });
  assert.equal((await started.done).state, 'FAILED');
  assert.deepEqual(fake.calls.map((call) => call.taskId), ['work', 'cleanup']);
  assert.equal((await runsOf(started, 'group'))[0].state, 'FAILED');
  await started.engine.close();
});

test('Dag starts each task once its dependencies succeeded, at most `concurrent` at once; a failure starts nothing more', async () => {
  const fake = new FakeRunner('process').on('a', takes(100)).on('b', takes(100)).on('c', takes(100));
  const dag = (concurrent: number, failing = '') => flowYaml(`tasks:
  - id: graph
    type: io.kestra.plugin.core.flow.Dag
    concurrent: ${concurrent}
    tasks:
      - task: {id: a, ${SHELL}, commands: [run]}
      - task: {id: b, ${SHELL}, commands: [run]}
        dependsOn: [a]
      - task: {id: c, ${SHELL}, commands: [run]}
        dependsOn: [a]
      - task: {id: d, ${SHELL}, commands: [${failing || 'run'}]}
        dependsOn: [b, c]
`);
  const started = await start(stateDir(), dag(0), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  const call = (id: string) => fake.callsOf(id)[0];
  assert.ok(call('b').startedAt >= call('a').endedAt! && call('c').startedAt >= call('a').endedAt!);
  assert.ok(call('d').startedAt >= Math.max(call('b').endedAt!, call('c').endedAt!));
  assert.equal(fake.peak, 2, 'b and c together');
  await started.engine.close();

  const one = new FakeRunner('process').on('b', takes(50)).on('c', takes(50));
  const limited = await start(stateDir(), dag(1), { process: one });
  assert.equal((await limited.done).state, 'SUCCESS');
  assert.equal(one.peak, 1);
  await limited.engine.close();

  const failing = new FakeRunner('process').on('b', exits(1)).on('c', takes(100));
  const failed = await start(stateDir(), dag(0), { process: failing });
  assert.equal((await failed.done).state, 'FAILED');
  assert.equal(failing.callsOf('d').length, 0);
  assert.equal((await runsOf(failed, 'c'))[0].state, 'SUCCESS', 'the running sibling ends on its own');
  await failed.engine.close();
});

test('WorkingDirectory: its script tasks share one folder, with its input files; outputFiles are stored; the folder is removed', async () => {
  const fake = new FakeRunner('process');
  const dirs: string[] = [];
  fake.on('write', (job) => {
    dirs.push(job.hostWorkingDir);
    writeFileSync(join(job.hostWorkingDir, 'made.txt'), 'made by write');
    return 0;
  });
  fake.on('read', (job) => {
    dirs.push(job.hostWorkingDir);
    return 0;
  });
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      given.txt: hello
    outputFiles: ["*.txt"]
    tasks:
      - {id: write, ${SHELL}, commands: [run]}
      - {id: read, ${SHELL}, commands: [run]}
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.equal(dirs[0], dirs[1], 'one folder for both');
  const outputs = (await runsOf(started, 'wd'))[0].outputs as { outputFiles: Record<string, string> };
  assert.deepEqual(Object.keys(outputs.outputFiles).sort(), ['given.txt', 'made.txt']);
  const { readFileSync, existsSync } = await import('node:fs');
  assert.equal(readFileSync(await started.engine.storage.resolveUri(outputs.outputFiles['made.txt']), 'utf8'), 'made by write');
  assert.equal(existsSync(dirs[0]), false, 'the shared folder is gone');
  await started.engine.close();
});

test('Fail fails with its errorMessage, or on a condition; Sleep waits and is killable', async () => {
  const failing = await start(stateDir(), flowYaml(`tasks:
  - id: stop
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ 1 == 1 }}"
    errorMessage: "bad input {{ flow.id }}"
  - {id: never, ${SHELL}, commands: [run]}
`), { process: new FakeRunner('process') });
  assert.equal((await failing.done).state, 'FAILED');
  const [attempt] = await failing.engine.store.attempts((await runsOf(failing, 'stop'))[0].id);
  assert.equal(attempt.error, 'Fail on a condition');
  assert.ok((await failing.engine.store.logs(failing.execution.id, { taskId: 'stop' })).some((line) => line.level === 'ERROR' && line.line === 'bad input engine_test'));
  await failing.engine.close();

  const sleeping = await start(stateDir(), flowYaml(`tasks:
  - {id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT30S}
`), {});
  await until(async () => (await runsOf(sleeping, 'nap'))[0]?.state === 'RUNNING', 'the sleep');
  const before = Date.now();
  sleeping.engine.abortAll();
  assert.equal((await sleeping.done).state, 'KILLED');
  assert.ok(Date.now() - before < 2_000);
  await sleeping.engine.close();
});

test('Subflow runs the named flow as a child execution linked to its parent, and passes its outputs back', async () => {
  const dir = stateDir();
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'child.yaml'), `id: child
namespace: harrier.test
inputs:
  - {id: n, type: INT}
tasks:
  - {id: inner, ${SHELL}, commands: ['n={{ inputs.n }} parent={{ trigger.executionId }}']}
outputs:
  - {id: doubled, type: INT, value: "{{ inputs.n * 2 }}"}
`);
  const fake = new FakeRunner('process');
  const engine = await openEngine(dir, { process: fake });
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const yaml = flowYaml(`tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: harrier.test
    flowId: child
    inputs: {n: 21}
  - {id: after, ${SHELL}, commands: ['got {{ outputs.call.outputs.doubled }} from {{ outputs.call.executionId }}']}
`);
  const flow = parseFlow(yaml, join(dir, 'parent.yaml'));
  const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'parent.yaml'), rawInputs: {}, options: { flowsDirs: [flows] } });
  assert.equal((await engine.runChain(execution, flow)).state, 'SUCCESS');
  const call = (await engine.store.taskRuns(execution.id)).find((run) => run.taskId === 'call')!;
  const childId = (call.outputs as { executionId: string }).executionId;
  const child = (await engine.store.getExecution(childId))!;
  assert.equal(child.state, 'SUCCESS');
  assert.equal(child.options.parent?.executionId, execution.id);
  assert.equal(child.labels['system.correlationId'], execution.id, 'the parent\'s correlation id');
  assert.match(fake.callsOf('inner')[0].job.command.join(' '), new RegExp(`n=21 parent=${execution.id}`));
  assert.match(fake.callsOf('after')[0].job.command.join(' '), new RegExp(`got 42 from ${childId}`));
  await engine.close();
});

test('Subflow scheduleDate: the child starts no earlier than that date; one that is not a date-time fails the task, saying what was expected', async () => {
  const dir = stateDir();
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'child.yaml'), `id: child\nnamespace: harrier.test\ntasks:\n  - {id: inner, ${SHELL}, commands: [run]}\n`);
  const fake = new FakeRunner('process');
  const engine = await openEngine(dir, { process: fake });
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const run = async (scheduleDate: string) => {
    const yaml = flowYaml(`tasks:\n  - {id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: harrier.test, flowId: child, restartBehavior: NEW_EXECUTION, scheduleDate: "${scheduleDate}"}\n`);
    const flow = parseFlow(yaml, join(dir, 'parent.yaml'));
    const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'parent.yaml'), rawInputs: {}, options: { flowsDirs: [flows] } });
    return { execution, ended: await engine.runChain(execution, flow) };
  };
  const at = new Date(Date.now() + 1500);
  const started = Date.now();
  const scheduled = await run(at.toISOString().replace('Z', '+00:00'));
  assert.equal(scheduled.ended.state, 'SUCCESS');
  assert.ok(fake.callsOf('inner')[0].startedAt >= at.getTime() - 5, `the child's task started ${fake.callsOf('inner')[0].startedAt - at.getTime()} ms after the date`);
  assert.ok(Date.now() - started >= 1400, 'the parent waited for its child');
  const childId = ((await engine.store.taskRuns(scheduled.execution.id))[0].outputs as { executionId: string }).executionId;
  assert.equal((await engine.store.getExecution(childId))?.options.notBefore, at.toISOString());

  const wrong = await run('{{ \'tomorrow\' }}');
  assert.equal(wrong.ended.state, 'FAILED');
  const attempts = await engine.store.attempts((await engine.store.taskRuns(wrong.execution.id))[0].id);
  assert.equal(attempts[0].error, "task 'call', property 'scheduleDate': expected an ISO-8601 date-time like 2024-01-31T12:00:00Z, got 'tomorrow'");
  await engine.close();
});

/** A parent calling `child.yaml` (whose task `inner` the fake runs) from a flows folder of its own. */
async function subflowSetup(dir: string, fake: FakeRunner) {
  const flows = join(dir, 'flows');
  mkdirSync(flows, { recursive: true });
  writeFileSync(join(flows, 'child.yaml'), `id: child\nnamespace: harrier.test\ntasks:\n  - {id: inner, ${SHELL}, commands: [run]}\n`);
  const engine = await openEngine(dir, { process: fake });
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const yaml = flowYaml(`tasks:\n  - {id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: harrier.test, flowId: child}\n  - {id: after, ${SHELL}, commands: [run]}\n`);
  const flow = parseFlow(yaml, join(dir, 'parent.yaml'));
  const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'parent.yaml'), rawInputs: {}, options: { flowsDirs: [flows] } });
  return { engine, flow, execution };
}

test('killing the parent kills the running subflow execution', async () => {
  const fake = new FakeRunner('process').on('inner', takes(10_000));
  const { engine, flow, execution } = await subflowSetup(stateDir(), fake);
  const done = engine.runChain(execution, flow);
  await until(() => fake.calls.length === 1, 'the child task');
  engine.abortAll();
  assert.equal((await done).state, 'KILLED');
  const child = (await engine.store.listExecutions()).find((listed) => listed.flowId === 'child')!;
  assert.equal(child.state, 'KILLED');
  assert.equal(fake.calls[0].aborted, 'killed');
  await engine.close();
});

test('a parent resumed after a crash goes on with the same subflow execution, not a second one', async () => {
  const dir = stateDir();
  const first = new FakeRunner('process').on('inner', hangs);
  const { engine, execution } = await subflowSetup(dir, first);
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const done = engine.runChain(execution, parseFlow(execution.flowSource, execution.flowFile));
  await until(() => first.calls.length === 1, 'the child task');
  await crash({ engine, done } as unknown as Started);
  const second = new FakeRunner('process');
  const resumed = await openEngine(dir, { process: second });
  const prepared = await resumed.prepareResume(execution.id);
  assert.equal((await resumed.runChain(prepared.execution, prepared.flow)).state, 'SUCCESS');
  const children = (await resumed.store.listExecutions()).filter((listed) => listed.flowId === 'child');
  assert.equal(children.length, 1);
  assert.equal(children[0].state, 'SUCCESS');
  assert.deepEqual(second.calls.map((call) => call.taskId), ['inner', 'after']);
  await resumed.close();
});

test('a child without a retry of its own uses the nearest enclosing flowable\'s, as Kestra does', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1, 1, 0));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: group
    type: io.kestra.plugin.core.flow.Sequential
    retry: {type: constant, interval: PT0.01S, maxAttempt: 3}
    tasks:
      - {id: flaky, ${SHELL}, commands: [run]}
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.equal(fake.callsOf('flaky').length, 3);
  await started.engine.close();
});

test('a flowable\'s timeout stops its running children and starts no more; the flowable FAILS and its errors run', async () => {
  const fake = new FakeRunner('process').on('slow', takes(10_000));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b, c]
    timeout: PT0.3S
    tasks:
      - {id: slow, ${SHELL}, commands: [run], retry: {type: constant, interval: PT0.01S, maxAttempt: 5}}
    errors:
      - {id: on_timeout, ${SHELL}, commands: [run]}
`), { process: fake });
  const before = Date.now();
  assert.equal((await started.done).state, 'FAILED');
  assert.ok(Date.now() - before < 3_000);
  assert.equal(fake.callsOf('slow').length, 1, 'no retry, no next iteration');
  assert.equal(fake.callsOf('slow')[0].aborted, 'timeout');
  assert.equal(fake.callsOf('on_timeout').length, 1);
  const [attempt] = await started.engine.store.attempts((await runsOf(started, 'slow'))[0].id);
  assert.equal(attempt.error, 'stopped: the timeout of an enclosing flowable task was reached');
  assert.ok((await started.engine.store.logs(started.execution.id, { taskId: 'each' })).some((line) => /timed out after 300ms \(task timeout\)/.test(line.line)));
  await started.engine.close();
});

test('a flow that calls itself as a subflow stops at the nesting limit with one line', async () => {
  const dir = stateDir();
  const engine = await openEngine(dir, { process: new FakeRunner('process') });
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const yaml = flowYaml(`tasks:\n  - {id: again, type: io.kestra.plugin.core.flow.Subflow, namespace: harrier.test, flowId: engine_test}\n`);
  writeFileSync(join(dir, 'self.yaml'), yaml);
  const flow = parseFlow(yaml, join(dir, 'self.yaml'));
  const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'self.yaml'), rawInputs: {}, options: {} });
  assert.equal((await engine.runChain(execution, flow)).state, 'FAILED');
  const executions = await engine.store.listExecutions(100);
  assert.equal(executions.length, 21, 'the first execution and 20 levels of subflows');
  const errors: string[] = [];
  for (const listed of executions) {
    for (const run of await engine.store.taskRuns(listed.id)) errors.push((await engine.store.attempts(run.id))[0]?.error ?? '');
  }
  assert.ok(errors.some((error) => error.startsWith('subflows are nested more than 20 deep')), 'the deepest execution says why');
  await engine.close();
});

test('currentEachOutput(outputs.t) reads t\'s outputs of the current iteration, nested loops included', async () => {
  const fake = new FakeRunner('process').on('make', announces((command) => ({ pair: /make (\w+) (\w+)/.exec(command)!.slice(1).join('-') })));
  const started = await start(stateDir(), flowYaml(`tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.ForEach
        values: [x, y]
        tasks:
          - {id: make, ${SHELL}, commands: ['make {{ parent.taskrun.value }} {{ taskrun.value }}']}
          - {id: use, ${SHELL}, commands: ['use {{ currentEachOutput(outputs.make).pair }}']}
`), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.deepEqual(fake.callsOf('use').map((call) => /use (\S+)/.exec(call.job.command.join(' '))![1]), ['a-x', 'a-y', 'b-x', 'b-y']);
  await started.engine.close();
});

test('Subflow: transmitFailed fails the task with a failed child (and not without it); wait: false goes on at once and harrier waits for the child', async () => {
  const dir = stateDir();
  const fake = new FakeRunner('process').on('inner', (job) => (job.command.join(' ').includes('bad') ? 1 : 0));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'child.yaml'), `id: child
namespace: harrier.test
inputs: [{id: mode, type: STRING}]
tasks:
  - {id: inner, ${SHELL}, commands: ['{{ inputs.mode }}']}
`);
  const engine = await openEngine(dir, { process: fake });
  const { parseFlow } = await import('../../../src/flow/parse.ts');
  const run = async (body: string) => {
    const yaml = flowYaml(`tasks:\n${body}`);
    const flow = parseFlow(yaml, join(dir, 'parent.yaml'));
    const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'parent.yaml'), rawInputs: {}, options: { flowsDirs: [flows] } });
    return engine.runChain(execution, flow);
  };
  const call = (extra: string, mode: string) => `  - {id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: harrier.test, flowId: child, inputs: {mode: ${mode}}${extra}}\n`;
  const transmitted = await run(call('', 'bad'));
  assert.equal(transmitted.state, 'FAILED');
  assert.match((await engine.store.attempts((await engine.store.taskRuns(transmitted.id))[0].id))[0].error ?? '', /^subflow execution \S+ \(harrier\.test\.child\) ended FAILED$/);
  assert.equal((await run(call(', transmitFailed: false', 'bad'))).state, 'SUCCESS');

  fake.on('inner', takes(300));
  const detached = await run(call(', wait: false', 'slow'));
  assert.equal(detached.state, 'SUCCESS');
  const outputs = (await engine.store.taskRuns(detached.id))[0].outputs as { executionId: string; state?: string };
  assert.equal(outputs.state, undefined, 'no state without wait');
  assert.notEqual((await engine.store.getExecution(outputs.executionId))!.state, 'SUCCESS', 'the child still runs');
  await engine.waitForDetached();
  assert.equal((await engine.store.getExecution(outputs.executionId))!.state, 'SUCCESS');
  await engine.close();
});

test('a WARNING child makes its flowable and the execution WARNING; allowWarning on the flowable makes it SUCCESS', async () => {
  const fake = new FakeRunner('process').on('noisy', (job) => {
    job.log({ stream: 'stderr', line: 'careful', timestamp: new Date().toISOString() });
    return 0;
  });
  const flow = (allowWarning: boolean) => flowYaml(`tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a]
    allowWarning: ${allowWarning}
    tasks:
      - {id: noisy, ${SHELL}, commands: [run]}
`);
  const warned = await start(stateDir(), flow(false), { process: fake });
  assert.equal((await warned.done).state, 'WARNING');
  assert.equal((await runsOf(warned, 'each'))[0].state, 'WARNING');
  await warned.engine.close();
  const allowed = await start(stateDir(), flow(true), { process: fake });
  assert.equal((await allowed.done).state, 'SUCCESS');
  await allowed.engine.close();
});
