/** Parallel through the real engine and store: the `concurrent` limit, failures, kill. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exits, FakeRunner, flowYaml, start, stateDir, takes, until, type Started } from './harness.ts';

const dir = stateDir();

function parallelFlow(concurrent: number, children: string[]): string {
  return flowYaml(`tasks:
  - id: fan_out
    type: io.kestra.plugin.core.flow.Parallel
    concurrent: ${concurrent}
    tasks:
${children.map((id) => `      - id: ${id}\n        type: io.kestra.plugin.scripts.shell.Commands\n        commands: [run]`).join('\n')}
  - id: after
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [run]
`);
}

async function stateOf(started: Started, taskId: string): Promise<string | undefined> {
  return (await started.engine.store.taskRuns(started.execution.id)).find((run) => run.taskId === taskId)?.state;
}

test('concurrent: 2 runs five branches two at a time, all of them, and the next task only after the last', async () => {
  const children = ['a', 'b', 'c', 'd', 'e'];
  const fake = new FakeRunner('process');
  for (const id of children) fake.on(id, takes(150));
  const started = await start(dir, parallelFlow(2, children), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.equal(fake.peak, 2);
  assert.deepEqual(fake.calls.map((call) => call.taskId).sort(), [...children, 'after'].sort());
  const lastBranchEnd = Math.max(...children.map((id) => fake.callsOf(id)[0].endedAt!));
  assert.ok(fake.callsOf('after')[0].startedAt >= lastBranchEnd);
  assert.equal(await stateOf(started, 'fan_out'), 'SUCCESS');
  await started.engine.close();
});

test('concurrent: 0 runs every branch at once', async () => {
  const children = ['a', 'b', 'c', 'd'];
  const fake = new FakeRunner('process');
  for (const id of children) fake.on(id, takes(200));
  const started = await start(dir, parallelFlow(0, children), { process: fake });
  assert.equal((await started.done).state, 'SUCCESS');
  assert.equal(fake.peak, 4);
  await started.engine.close();
});

test('a failed branch starts no more branches; the running one ends; the Parallel and the execution FAILED', async () => {
  const fake = new FakeRunner('process').on('a', exits(1)).on('b', takes(300)).on('c', takes(10)).on('d', takes(10));
  const started = await start(dir, parallelFlow(2, ['a', 'b', 'c', 'd']), { process: fake });
  assert.equal((await started.done).state, 'FAILED');
  assert.deepEqual(fake.calls.map((call) => call.taskId).sort(), ['a', 'b']);
  assert.equal(fake.callsOf('b')[0].aborted, undefined, 'the running branch is not killed');
  assert.equal(await stateOf(started, 'b'), 'SUCCESS');
  assert.equal(await stateOf(started, 'fan_out'), 'FAILED');
  assert.equal(await stateOf(started, 'after'), undefined);
  await started.engine.close();
});

test('kill during a Parallel aborts every running branch and starts no queued one', async () => {
  const children = ['a', 'b', 'c', 'd'];
  const fake = new FakeRunner('process');
  for (const id of children) fake.on(id, takes(30_000));
  const started = await start(dir, parallelFlow(3, children), { process: fake });
  await until(() => fake.calls.length === 3, 'three branches to run');
  started.engine.abortAll();
  assert.equal((await started.done).state, 'KILLED');
  assert.deepEqual(fake.calls.map((call) => call.aborted), ['killed', 'killed', 'killed']);
  assert.equal(fake.callsOf('d').length, 0);
  assert.equal(await stateOf(started, 'fan_out'), 'KILLED');
  await started.engine.close();
});
