/**
 * Kestra's flow-level handlers and per-task rules through the real engine and store: errors,
 * finally, afterExecution, outputs, allowFailure, allowWarning, runIf, system labels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exits, FakeRunner, flowYaml, start, stateDir, type Started } from './harness.ts';

const dir = stateDir();

function shell(id: string, extra = ''): string {
  return `  - id: ${id}\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [run]\n${extra}`;
}

async function states(started: Started): Promise<Record<string, string>> {
  return Object.fromEntries((await started.engine.store.taskRuns(started.execution.id)).map((run) => [run.taskId, run.state]));
}

test('errors run only when the tasks failed, and the execution stays FAILED; finally runs either way', async () => {
  const yaml = flowYaml(`tasks:\n${shell('main')}errors:\n${shell('on_error')}finally:\n${shell('cleanup')}`);
  const failing = new FakeRunner('process').on('main', exits(1));
  const failed = await start(dir, yaml, { process: failing });
  assert.equal((await failed.done).state, 'FAILED');
  assert.deepEqual(failing.calls.map((call) => call.taskId), ['main', 'on_error', 'cleanup']);
  await failed.engine.close();

  const passing = new FakeRunner('process');
  const succeeded = await start(dir, yaml, { process: passing });
  assert.equal((await succeeded.done).state, 'SUCCESS');
  assert.deepEqual(passing.calls.map((call) => call.taskId), ['main', 'cleanup']);
  await succeeded.engine.close();
});

test('a failing finally fails a successful execution; afterExecution runs after the end and changes nothing', async () => {
  const yaml = flowYaml(`tasks:\n${shell('main')}finally:\n${shell('cleanup')}afterExecution:\n${shell('notify')}`);
  const fake = new FakeRunner('process').on('cleanup', exits(1)).on('notify', exits(1));
  const started = await start(dir, yaml, { process: fake });
  assert.equal((await started.done).state, 'FAILED');
  assert.deepEqual(fake.calls.map((call) => call.taskId), ['main', 'cleanup', 'notify']);
  assert.equal((await states(started)).notify, 'FAILED');

  const ok = new FakeRunner('process').on('notify', exits(1));
  const quiet = await start(dir, flowYaml(`tasks:\n${shell('main')}afterExecution:\n${shell('notify')}`), { process: ok });
  assert.equal((await quiet.done).state, 'SUCCESS');
  assert.equal((await quiet.engine.store.getExecution(quiet.execution.id))?.state, 'SUCCESS');
  await started.engine.close();
  await quiet.engine.close();
});

test('allowFailure: the failed task ends WARNING, the next task runs, the execution is WARNING; allowWarning makes it SUCCESS', async () => {
  const fake = new FakeRunner('process').on('flaky', exits(1));
  const started = await start(dir, flowYaml(`tasks:\n${shell('flaky', '    allowFailure: true\n')}${shell('next')}`), { process: fake });
  assert.equal((await started.done).state, 'WARNING');
  assert.deepEqual(await states(started), { flaky: 'WARNING', next: 'SUCCESS' });
  await started.engine.close();

  const both = new FakeRunner('process').on('flaky', exits(1));
  const calm = await start(dir, flowYaml(`tasks:\n${shell('flaky', '    allowFailure: true\n    allowWarning: true\n')}`), { process: both });
  assert.equal((await calm.done).state, 'SUCCESS');
  await calm.engine.close();
});

test('runIf: false skips the task (SKIPPED), true runs it, an expression that cannot render fails it', async () => {
  const yaml = flowYaml(`tasks:
${shell('yes', '    runIf: "{{ 1 == 1 }}"\n')}${shell('no', '    runIf: "{{ outputs.yes.exitCode == 2 }}"\n')}${shell('broken', '    runIf: "{{ outputs.nothing == 2 }}"\n')}`);
  const fake = new FakeRunner('process');
  const started = await start(dir, yaml, { process: fake });
  assert.equal((await started.done).state, 'FAILED');
  assert.deepEqual(await states(started), { yes: 'SUCCESS', no: 'SKIPPED', broken: 'FAILED' });
  assert.deepEqual(fake.calls.map((call) => call.taskId), ['yes']);
  await started.engine.close();
});

test('flow outputs are rendered at the end into the execution; labels.system.correlationId is the execution id', async () => {
  const yaml = flowYaml(`tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values: { one: first }
outputs:
  - id: list
    type: ARRAY
    value: ["{{ outputs.values.values.one }}", "{{ labels.system.correlationId }}"]
`);
  const started = await start(dir, yaml, {});
  const ended = await started.done;
  assert.equal(ended.state, 'SUCCESS');
  assert.deepEqual((await started.engine.store.getExecution(started.execution.id))?.outputs, { list: ['first', started.execution.id] });
  assert.equal(ended.labels['system.correlationId'], started.execution.id);
  await started.engine.close();
});

test('flow outputs are typed like inputs: text that reads as the type becomes it; a value that is not of the type fails the execution, saying which', async () => {
  const typed = await start(dir, flowYaml(`tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values: { n: 21 }
outputs:
  - {id: count, type: INT, value: "{{ outputs.values.values.n * 2 }}"}
  - {id: ratio, type: FLOAT, value: "0.5"}
  - {id: ok, type: BOOLEAN, value: "{{ 1 == 1 }}"}
  - {id: doc, type: JSON, value: '{"a": [1]}'}
  - {id: label, type: STRING, value: 7}
  - {id: at, type: DATETIME, value: "2024-01-31T10:00:00+01:00"}
`), {});
  assert.equal((await typed.done).state, 'SUCCESS');
  assert.deepEqual((await typed.engine.store.getExecution(typed.execution.id))?.outputs, {
    count: 42, ratio: 0.5, ok: true, doc: { a: [1] }, label: '7', at: '2024-01-31T09:00:00.000Z',
  });
  await typed.engine.close();

  const wrong = await start(dir, flowYaml(`tasks:
  - {id: values, type: io.kestra.plugin.core.output.OutputValues, values: { n: many }}
outputs:
  - {id: count, type: INT, value: "{{ outputs.values.values.n }}"}
`), {});
  assert.equal((await wrong.done).state, 'FAILED');
  const lines = (await wrong.engine.store.logs(wrong.execution.id)).map((record) => record.line);
  assert.ok(lines.includes("flow output 'count': expected an integer, got 'many' (make its value render to INT, or change its type)"), lines.join('\n'));
  assert.equal((await wrong.engine.store.getExecution(wrong.execution.id))?.outputs, undefined);
  await wrong.engine.close();
});

test('logLevel keeps the task\'s lines of that level and above', async () => {
  const yaml = flowYaml(`tasks:
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    level: DEBUG
    logLevel: INFO
    message: hidden
  - id: loud
    type: io.kestra.plugin.core.log.Log
    level: WARN
    logLevel: INFO
    message: shown
`);
  const started = await start(dir, yaml, {});
  assert.equal((await started.done).state, 'SUCCESS');
  const lines = (await started.engine.store.logs(started.execution.id)).map((record) => record.line);
  assert.ok(lines.includes('shown'));
  assert.ok(!lines.includes('hidden'));
  await started.engine.close();
});

test('read() in a task property gives the text of an earlier task\'s output file', async () => {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const fake = new FakeRunner('process').on('write', async (job) => {
    await writeFile(join(job.hostWorkingDir, 'hello.txt'), 'Hello Kestra!\n');
    return 0;
  });
  const yaml = flowYaml(`tasks:
  - id: write
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [hello.txt]
    commands: [run]
  - id: show
    type: io.kestra.plugin.core.output.OutputValues
    values:
      text: "{{ read(outputs.write.outputFiles['hello.txt']) }}"
`);
  const started = await start(dir, yaml, { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  const show = (await started.engine.store.taskRuns(started.execution.id)).find((run) => run.taskId === 'show');
  assert.deepEqual((show?.outputs as { values: unknown }).values, { text: 'Hello Kestra!\n' });
  await started.engine.close();
});
