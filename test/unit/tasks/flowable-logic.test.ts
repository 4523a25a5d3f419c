/** The flowables' pure parts, alone: ForEach values, the Dag graph, limited concurrency, outputs by value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLimited } from '../../../src/engine/concurrency.ts';
import { fileOutputs, parentsScope, valuePath } from '../../../src/engine/task-run-tree.ts';
import { hasCode } from '../../../src/shared/errors.ts';
import type { State } from '../../../src/store/index.ts';
import { dagProblems, readyNodes } from '../../../src/tasks/dag/graph.ts';
import { resolveForEachValues } from '../../../src/tasks/for-each/values.ts';

const identity = { text: (template: string) => template.replace('{{ x }}', 'X'), deep: (value: unknown) => value };

test('ForEach values: a JSON string or a list, rendered, distinct, non-strings as JSON; nulls and non-lists refused', () => {
  assert.deepEqual(resolveForEachValues('["a", 1, {"k": 2}, "a"]', identity, 'w'), ['a', '1', '{"k":2}']);
  assert.deepEqual(resolveForEachValues(['{{ x }}', 7, { k: 'v' }], identity, 'w'), ['X', '7', '{"k":"v"}']);
  assert.deepEqual(resolveForEachValues([], identity, 'w'), []);
  for (const bad of ['{"a": 1}', 'not json', '[1, null]']) {
    assert.throws(() => resolveForEachValues(bad, identity, "task 'each', property 'values'"),
      (error) => hasCode(error, 'FOR_EACH_VALUES_INVALID') && /^task 'each', property 'values': /.test((error as Error).message), bad);
  }
  assert.throws(() => resolveForEachValues([true], identity, 'w'), (error) => hasCode(error, 'FOR_EACH_VALUES_INVALID'));
});

test('Dag graph: unknown ids and each cycle once; ready nodes are those whose dependencies all succeeded', () => {
  assert.deepEqual(dagProblems([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }]), []);
  const problems = dagProblems([{ id: 'a', dependsOn: ['b'] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['c', 'x'] }]);
  assert.deepEqual(problems.map((problem) => [problem.path.join('.'), problem.message.split(' (')[0]]), [
    ['tasks.2.dependsOn.1', "'c' depends on 'x', which is not a task of this Dag"],
    ['tasks.0.dependsOn', 'dependency cycle: a → b → a'],
    ['tasks.2.dependsOn', 'dependency cycle: c → c'],
  ]);
  const nodes = [{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a', 'b'] }];
  assert.deepEqual(readyNodes(nodes, new Set(), new Set()).map((node) => node.id), ['a']);
  assert.deepEqual(readyNodes(nodes, new Set(['a']), new Set(['a'])).map((node) => node.id), ['b']);
  assert.deepEqual(readyNodes(nodes, new Set(['a', 'b']), new Set(['a'])).map((node) => node.id), [], 'b still running');
});

test('runLimited: at most `limit` at once (0: all), no start after a failure, the rest reported as not started', async () => {
  let running = 0;
  let peak = 0;
  const work = (state: State) => async (): Promise<State> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running--;
    return state;
  };
  const items = [1, 2, 3, 4, 5];
  assert.deepEqual((await runLimited(items, 2, work('SUCCESS'), { stop: () => false })).ended.length, 5);
  assert.equal(peak, 2);
  peak = 0;
  await runLimited(items, 0, work('SUCCESS'), { stop: () => false });
  assert.equal(peak, 5);
  const failed = await runLimited(items, 1, (item) => work(item === 2 ? 'FAILED' : 'SUCCESS')(), { stop: () => false });
  assert.deepEqual(failed.ended, ['SUCCESS', 'FAILED']);
  assert.deepEqual(failed.notStarted, [3, 4, 5]);
  assert.deepEqual((await runLimited(items, 1, work('SUCCESS'), { stop: () => true })).notStarted, items);
});

test('outputs are filed under the values of the enclosing iterations; parents list the enclosing runs, closest first', () => {
  const byId = new Map([
    ['outer', { value: undefined, parentTaskRunId: undefined, outputs: {} }],
    ['inner', { value: 'a', parentTaskRunId: 'outer', outputs: {} }],
    ['group', { value: 'x', parentTaskRunId: 'inner', outputs: { evaluationResult: true } }],
  ]);
  const leaf = { parentTaskRunId: 'group', value: undefined };
  assert.deepEqual(valuePath(leaf, byId), ['a', 'x']);
  assert.deepEqual(valuePath({ parentTaskRunId: 'inner', value: 'y' }, byId), ['a', 'y']);
  const tree: Record<string, unknown> = {};
  fileOutputs(tree, 't', ['a', 'x'], { n: 1 });
  fileOutputs(tree, 't', ['a', 'y'], { n: 2 });
  fileOutputs(tree, 'plain', [], { n: 3 });
  assert.deepEqual(tree, { t: { a: { x: { n: 1 }, y: { n: 2 } } }, plain: { n: 3 } });
  assert.deepEqual(parentsScope(leaf, byId, (outputs) => outputs), [
    { taskrun: { value: 'x' }, outputs: { evaluationResult: true } },
    { taskrun: { value: 'a' } },
  ]);
});
