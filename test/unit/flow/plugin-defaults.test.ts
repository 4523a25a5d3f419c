import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPluginDefaults, defaultMatches, mergeValues } from '../../../src/flow/plugin-defaults.ts';
import type { ScriptTask } from '../../../src/flow/index.ts';
import { parseFlow } from '../../../src/flow/index.ts';
import { canonicalTypeName } from '../../../src/flow/task-types.ts';

test('merge: maps deep-merge, lists concatenate, scalars are replaced by the winning side', () => {
  assert.deepEqual(
    mergeValues({ a: 1, m: { x: 1, y: 1 }, l: [1, 2], s: 'base' }, { m: { y: 2, z: 2 }, l: [3], s: 'override', n: null }),
    { a: 1, m: { x: 1, y: 2, z: 2 }, l: [1, 2, 3], s: 'override', n: null },
  );
  assert.deepEqual(mergeValues({ m: { x: 1 } }, { m: 'text' }), { m: 'text' });
  assert.deepEqual(mergeValues([1], { a: 1 }), { a: 1 });
});

test('match: the exact type or any type it prefixes, as a plain string prefix', () => {
  assert.equal(defaultMatches('io.kestra.plugin.scripts.python', 'io.kestra.plugin.scripts.python.Script'), true);
  assert.equal(defaultMatches('io.kestra.plugin.scripts.python.Script', 'io.kestra.plugin.scripts.python.Script'), true);
  assert.equal(defaultMatches('io.kestra.plugin.scripts.py', 'io.kestra.plugin.scripts.python.Script'), true);
  assert.equal(defaultMatches('io.kestra.plugin.scripts.shell', 'io.kestra.plugin.scripts.python.Script'), false);
  assert.equal(defaultMatches('io.kestra.plugin.scripts.python', 'python.Script'), false);
  assert.equal(defaultMatches('io.kestra.plugin.scripts.python', 'python.Script', 'io.kestra.plugin.scripts.python.Script'), true);
});

test('non-forced defaults lose to the task\'s own values; forced defaults win', () => {
  const task = { type: 'a.b.C', image: 'mine', env: { A: 'task' }, list: ['task'] };
  const soft = applyPluginDefaults(task, [{ type: 'a.b', forced: false, values: { image: 'default', env: { A: 'd', B: 'd' }, list: ['d'], extra: 1 } }]);
  assert.deepEqual(soft, { type: 'a.b.C', image: 'mine', env: { A: 'task', B: 'd' }, list: ['d', 'task'], extra: 1 });
  const forced = applyPluginDefaults(task, [{ type: 'a.b', forced: true, values: { image: 'default', env: { A: 'd' }, list: ['d'] } }]);
  assert.deepEqual(forced, { type: 'a.b.C', image: 'default', env: { A: 'd' }, list: ['task', 'd'] });
  assert.deepEqual(task, { type: 'a.b.C', image: 'mine', env: { A: 'task' }, list: ['task'] }, 'the input is left untouched');
});

test('forced defaults apply after the non-forced ones; among several entries a later one wins', () => {
  const result = applyPluginDefaults({ type: 'T' }, [
    { type: 'T', forced: true, values: { v: 'forced' } },
    { type: 'T', forced: false, values: { v: 'soft', w: 'first' } },
    { type: 'T', forced: false, values: { w: 'second' } },
  ]);
  assert.deepEqual(result, { type: 'T', v: 'forced', w: 'second' });
});

test('defaults apply at any depth, to every map with a type, children first', () => {
  const flow = {
    tasks: [{
      type: 'Parallel',
      tasks: [{ type: 'x.Script', taskRunner: { type: 'Docker' } }],
    }],
  };
  const result = applyPluginDefaults(flow, [
    { type: 'Docker', forced: false, values: { pullPolicy: 'NEVER' } },
    { type: 'x.', forced: false, values: { taskRunner: { type: 'Kubernetes', namespace: 'n' } } },
  ]);
  assert.deepEqual(result, {
    tasks: [{
      type: 'Parallel',
      tasks: [{ type: 'x.Script', taskRunner: { type: 'Docker', pullPolicy: 'NEVER', namespace: 'n' } }],
    }],
  });
});

test('in a flow, defaults keyed by a Kestra prefix also reach the short aliases, and may be overridden by the task', () => {
  const flow = parseFlow([
    'id: f',
    'namespace: a',
    'tasks:',
    '  - id: full',
    '    type: io.kestra.plugin.scripts.shell.Commands',
    '    commands: [one]',
    '  - id: alias',
    '    type: shell.Commands',
    '    commands: [two]',
    '    containerImage: mine',
    '  - id: other',
    '    type: python.Commands',
    '    commands: [three]',
    'pluginDefaults:',
    '  - type: io.kestra.plugin.scripts.shell',
    '    values:',
    '      containerImage: ubuntu',
    '      beforeCommands: [set -u]',
    '      taskRunner: {type: Docker, pullPolicy: NEVER}',
    '',
  ].join('\n'), 'f.yaml');
  const [full, alias, other] = flow.tasks as ScriptTask[];
  assert.equal(full.containerImage, 'ubuntu');
  assert.deepEqual(full.beforeCommands, ['set -u']);
  assert.deepEqual(full.taskRunner, { type: 'Docker', kind: 'docker', properties: { pullPolicy: 'NEVER' } });
  assert.equal(alias.containerImage, 'mine');
  assert.equal(alias.taskRunner.kind, 'docker');
  assert.equal(other.containerImage, undefined);
  assert.equal(other.taskRunner.kind, 'process');
  assert.equal(canonicalTypeName('shell.Commands'), 'io.kestra.plugin.scripts.shell.Commands');
});

test('bad pluginDefaults entries are reported and the good ones still apply', () => {
  assert.throws(() => parseFlow([
    'id: f',
    'namespace: a',
    'tasks:',
    '  - id: t',
    '    type: Log',
    'pluginDefaults:',
    '  - type: Log',
    '    values: {message: from defaults}',
    '  - type: Log',
    '    force: true',
    '    values: []',
    '',
  ].join('\n'), 'f.yaml'), {
    message: [
      "f.yaml:10:5: pluginDefaults[1].force: unknown key 'force' (did you mean 'forced'?)",
      'f.yaml:11:13: pluginDefaults[1].values: expected a map of property values, got a list',
    ].join('\n'),
  });
});

test("pluginDefaults of a runner type are kept for a run whose --task-runner picks that runner", () => {
  const flow = parseFlow(`id: f
namespace: n
tasks:
  - id: t
    type: io.kestra.plugin.scripts.shell.Commands
    commands: [echo hi]
pluginDefaults:
  - type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes
    values:
      pullPolicy: IF_NOT_PRESENT
      namespace: jobs
`, 'flow.yaml');
  assert.deepEqual(flow.runnerDefaults, { kubernetes: { pullPolicy: 'IF_NOT_PRESENT', namespace: 'jobs' } });
  assert.equal((flow.tasks[0] as ScriptTask).taskRunner.kind, 'process', 'the task itself keeps its own runner');
  assert.throws(() => parseFlow(`id: f
namespace: n
tasks: []
pluginDefaults:
  - type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes
    values:
      pullPolicy: SOMETIMES
`, 'flow.yaml'), /pullPolicy/);
});
