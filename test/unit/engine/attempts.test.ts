import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../../src/engine/index.ts';
import { parseFlow } from '../../../src/flow/parse.ts';
import { lineageOf, type ExecutionRecord, type State } from '../../../src/store/index.ts';

async function start(engine: Engine, source: string): Promise<{ execution: ExecutionRecord; flow: ReturnType<typeof parseFlow> }> {
  const flow = parseFlow(source, 'flow.yaml');
  const execution = await engine.createExecution({ flow, flowSource: source, flowFile: 'flow.yaml', rawInputs: {}, options: {} });
  return { execution, flow };
}

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'harrier-engine-'));

test('every task run change is a change of state; outputs are saved on their own', async () => {
  const changes = new Map<string, State[]>();
  const engine = await Engine.open({
    stateDir: stateDir(),
    listener: { taskRunChanged: (taskRun) => changes.set(taskRun.taskId, [...(changes.get(taskRun.taskId) ?? []), taskRun.state]) },
  });
  try {
    const { execution, flow } = await start(engine, `id: outputs
namespace: test
tasks:
  - id: values
    type: io.kestra.plugin.core.output.OutputValues
    values:
      answer: "42"
  - id: printed
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo '::{"outputs":{"n":1}}::'
`);
    const ended = await engine.runChain(execution, flow);
    assert.equal(ended.state, 'SUCCESS');
    assert.deepEqual(Object.fromEntries(changes), { values: ['RUNNING', 'SUCCESS'], printed: ['RUNNING', 'SUCCESS'] });
    const [values, printed] = await engine.store.taskRuns(execution.id);
    assert.deepEqual(values.outputs, { answer: '42', values: { answer: '42' } });
    assert.deepEqual(printed.outputs, { vars: { n: 1 }, outputFiles: {}, n: 1, exitCode: 0 });
  } finally {
    await engine.close();
  }
});

test('runChain follows a CREATE_NEW_EXECUTION retry to the last execution of the chain', async () => {
  const engine = await Engine.open({ stateDir: stateDir() });
  try {
    const counter = join(stateDir(), 'count');
    const { execution, flow } = await start(engine, `id: rerun
namespace: test
retry:
  type: constant
  interval: PT0S
  maxAttempt: 3
  behavior: CREATE_NEW_EXECUTION
tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}
      - test $n -ge 2
`);
    const heard: [string, string][] = [];
    const ended = await engine.runChain(execution, flow, (retried, next) => {
      heard.push([retried.id, next.id]);
    });
    assert.equal(ended.state, 'SUCCESS');
    assert.deepEqual(heard, [[execution.id, ended.id]]);
    assert.equal((await engine.store.getExecution(execution.id))?.state, 'RETRIED');
    assert.deepEqual(lineageOf(ended), { originalId: execution.id, originalCreatedAt: execution.createdAt, attemptNumber: 2 });
  } finally {
    await engine.close();
  }
});

test('abandonAll (the clean-up took too long): the execution, its task run and the running attempt are stored KILLED, the owner released', async () => {
  const engine = await Engine.open({ stateDir: stateDir() });
  try {
    const { execution, flow } = await start(engine, `id: abandoned
namespace: test
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - sleep 30
`);
    const running = engine.runChain(execution, flow);
    for (let i = 0; i < 200 && (await engine.store.attemptsOfExecution(execution.id)).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await engine.abandonAll('the clean-up took too long');
    assert.equal((await engine.store.getExecution(execution.id))!.state, 'KILLED');
    assert.deepEqual((await engine.store.taskRuns(execution.id)).map((taskRun) => taskRun.state), ['KILLED']);
    assert.deepEqual((await engine.store.attemptsOfExecution(execution.id)).map((attempt) => [attempt.state, attempt.error]), [['KILLED', 'the clean-up took too long']]);
    assert.equal(await engine.store.ownerOf(execution.id), undefined);
    assert.ok((await engine.store.logs(execution.id)).some((record) => record.level === 'ERROR' && record.line === 'the clean-up took too long'));
    engine.abortAll();
    await running;
  } finally {
    await engine.close();
  }
});
