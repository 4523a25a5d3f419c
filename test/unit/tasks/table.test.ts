import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import type { PodCreateTask, ScriptTask } from '../../../src/flow/index.ts';
import { canonicalTypeName, lookupTaskType, TASK_TYPE_NAMES } from '../../../src/flow/task-types.ts';
import { taskReattaches, type RunnableTask } from '../../../src/tasks/index.ts';
import { TASKS } from '../../../src/tasks/table.ts';

function flow(...tasks: string[]) {
  return parseFlow(['id: f', 'namespace: t', 'tasks:', ...tasks].join('\n'), 'flow.yaml');
}

test('every task type name leads to one descriptor and variant; the first name of its group is Kestra\'s', () => {
  assert.equal(new Set(TASK_TYPE_NAMES).size, TASK_TYPE_NAMES.length);
  for (const descriptor of TASKS) {
    for (const variant of descriptor.variants) {
      for (const names of variant.types) {
        assert.match(names[0], /^io\.kestra\.plugin\./);
        for (const name of names) {
          const found = lookupTaskType(name)!;
          assert.equal(found.descriptor, descriptor, name);
          assert.equal(found.variant, variant, name);
          assert.equal(canonicalTypeName(name), names[0]);
        }
      }
    }
  }
});

test('task types that do work load their code; flowable ones load their scheduling and say where their children are', async () => {
  const flowables = ['parallel', 'sequential', 'forEach', 'if', 'switch', 'dag', 'workingDirectory'];
  for (const descriptor of TASKS) {
    const flowable = flowables.includes(descriptor.kind);
    assert.equal(descriptor.load === undefined, flowable, descriptor.kind);
    assert.equal(descriptor.flowable !== undefined, flowable, descriptor.kind);
    assert.equal(descriptor.children !== undefined, flowable, descriptor.kind);
    const code = descriptor.load ?? descriptor.flowable;
    assert.equal(typeof await code!(), 'function', descriptor.kind);
  }
});

test('a script variant\'s type gives the model its language and mode', () => {
  const tasks = flow(
    '  - {id: a, type: python.Script, script: "print(1)"}',
    '  - {id: b, type: io.kestra.plugin.scripts.node.Commands, commands: [node -v]}',
    '  - {id: c, type: dbt.DbtCLI, commands: [dbt build]}',
  ).tasks as ScriptTask[];
  assert.deepEqual(tasks.map((task) => [task.language, task.mode]), [['python', 'script'], ['node', 'commands'], ['dbt', 'commands']]);
  assert.deepEqual(tasks.map((task) => task.taskRunner.kind), ['process', 'process', 'process']);
});

test('re-attaching follows the runner (or --task-runner); PodCreate always re-attaches, Log never', () => {
  const [local, docker, pod, log] = flow(
    '  - {id: a, type: shell.Commands, commands: [exit 0]}',
    '  - {id: b, type: shell.Commands, commands: [exit 0], taskRunner: {type: Docker}}',
    '  - {id: c, type: PodCreate, spec: {containers: [{name: c, image: busybox}]}}',
    '  - {id: d, type: Log, message: hi}',
  ).tasks as RunnableTask[];
  assert.equal(taskReattaches(local), false);
  assert.equal(taskReattaches(local, 'kubernetes'), true);
  assert.equal(taskReattaches(docker), true);
  assert.equal(taskReattaches(docker, 'process'), false);
  assert.equal(taskReattaches(pod), true);
  assert.equal(taskReattaches(log, 'docker'), false);
});

test('a settings map is checked where no expression stands, and kept unrendered in the model', () => {
  const pod = flow(
    '  - id: p', '    type: PodCreate', '    spec: {containers: [{name: c, image: busybox}]}',
    '    connection: {masterUrl: "{{ vars.url }}", trustCerts: "{{ vars.trust }}"}',
  ).tasks[0] as PodCreateTask;
  assert.deepEqual(pod.connection, { masterUrl: '{{ vars.url }}', trustCerts: '{{ vars.trust }}' });
  assert.throws(
    () => flow('  - id: p', '    type: PodCreate', '    spec: {containers: [{name: c, image: busybox}]}', '    connection: {masterUrl: "{{ vars.url }}", trustCerts: maybe}'),
    /flow\.yaml:7:\d+: tasks\[0\]\.connection\.trustCerts: expected a boolean/,
  );
});
