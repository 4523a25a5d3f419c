import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskContext, TaskLogLine, TaskResume } from '../../../src/tasks/contract.ts';
import { OutputReader } from '../../../src/tasks/output-reader.ts';

const T = '2024-01-01T00:00:01.000Z';

/** Stored lines as the store hands them out: read as they come. */
async function* lines<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

/** The context callbacks the reader uses, recording what it reports. */
function recording(resume?: TaskResume) {
  const logs: TaskLogLine[] = [];
  const notices: string[] = [];
  const metrics: Parameters<TaskContext['metric']>[0][] = [];
  const ctx: Pick<TaskContext, 'log' | 'notice' | 'metric' | 'resume'> = {
    log: (line) => logs.push(line),
    notice: (level, message) => notices.push(`${level} ${message}`),
    metric: (metric) => metrics.push(metric),
    resume,
  };
  return { ctx, logs, notices, metrics };
}

test('ordinary lines are logged, stderr as WARN, with the container that printed them', async () => {
  const { ctx, logs, notices } = recording();
  const reader = await OutputReader.open(ctx);
  reader.accept({ stream: 'stdout', line: 'hello', timestamp: T });
  assert.equal(reader.wroteToStderr, false);
  reader.accept({ stream: 'stderr', line: '[main] oops', timestamp: T, container: 'side' });
  assert.deepEqual(logs, [
    { level: 'INFO', line: 'hello', stream: 'stdout', timestamp: T, container: undefined },
    { level: 'WARN', line: '[main] oops', stream: 'stderr', timestamp: T, container: 'side' },
  ]);
  assert.equal(reader.wroteToStderr, true);
  assert.deepEqual(notices, []);
});

test('a protocol line is kept at TRACE; its outputs, metrics and log entries are applied', async () => {
  const { ctx, logs, metrics } = recording();
  const reader = await OutputReader.open(ctx);
  const line = '::{"outputs":{"a":1},"metrics":[{"name":"rows","type":"counter","value":3}],"logs":[{"level":"error","message":"bad row"}]}::';
  reader.accept({ stream: 'stdout', line, timestamp: T, container: 'side' });
  reader.accept({ stream: 'stdout', line: '::{"outputs":{"b":2}}::', timestamp: T });
  assert.deepEqual(reader.vars, { a: 1, b: 2 });
  assert.deepEqual(metrics, [{ name: 'rows', type: 'counter', value: 3, tags: {}, timestamp: T }]);
  assert.deepEqual(logs.slice(0, 2), [
    { level: 'TRACE', line, stream: 'stdout', timestamp: T, container: 'side' },
    { level: 'ERROR', line: 'bad row', timestamp: T },
  ]);
});

test('a malformed protocol line is kept at TRACE and warned about, for every task that prints', async () => {
  const { ctx, logs, notices } = recording();
  const reader = await OutputReader.open(ctx);
  reader.accept({ stream: 'stdout', line: '::{"outputs":[1]}::', timestamp: T, container: 'side' });
  assert.deepEqual(logs, [{ level: 'TRACE', line: '::{"outputs":[1]}::', stream: 'stdout', timestamp: T, container: 'side' }]);
  assert.deepEqual(notices, [`WARN ignored a '::{...}::' line: "outputs" must be an object`]);
  assert.deepEqual(reader.vars, {});
});

test('on re-attach, outputs announced and stderr printed before the crash are read back from the stored lines', async () => {
  const stored = [
    { stream: 'stdout' as const, line: '::{"outputs":{"a":1}}::', timestamp: T },
    { stream: 'stdout' as const, line: '::{"outputs":{"b":2}}::', timestamp: T, container: 'side' },
    { stream: 'stdout' as const, line: '[side] ::{"outputs":{"c":3}}::', timestamp: T, container: 'main' },
    { stream: 'stderr' as const, line: 'warned', timestamp: T },
  ];
  const { ctx, logs } = recording({ handle: {}, storedOutput: () => lines(stored) });
  const reader = await OutputReader.open(ctx);
  assert.deepEqual(reader.vars, { a: 1, b: 2 }, 'a line is read as its own text: a leading [name] is not a container');
  assert.equal(reader.wroteToStderr, true);
  assert.deepEqual(logs, [], 'stored lines are not logged again');
});
