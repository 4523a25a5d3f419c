import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import type { LogTask } from '../../../src/flow/index.ts';
import { issuesOf } from './helpers.ts';

function parse(lines: string[]) {
  return parseFlow(lines.join('\n') + '\n', 'flow.yaml');
}

test('errors, finally, afterExecution and outputs are kept; their task ids share the flow\'s one id space', () => {
  const flow = parse([
    'id: f', 'namespace: a',
    'tasks: [{ id: t, type: Log, message: hi }]',
    'errors: [{ id: e, type: Log, message: failed }]',
    'finally: [{ id: z, type: Log, message: done }]',
    'afterExecution: [{ id: n, type: Log, message: "{{ execution.id }}" }]',
    'outputs: [{ id: out, type: STRING, value: "{{ outputs.t }}", displayName: Out }]',
  ]);
  assert.deepEqual([flow.errors, flow.finally, flow.afterExecution].map((list) => list.map((task) => task.id)), [['e'], ['z'], ['n']]);
  assert.deepEqual(flow.outputs, [{ id: 'out', type: 'STRING', value: '{{ outputs.t }}', displayName: 'Out', required: true }]);
  assert.deepEqual(issuesOf(['id: f', 'namespace: a', 'tasks: [{ id: t, type: Log, message: hi }]', 'errors: [{ id: t, type: Log, message: x }]', 'outputs: [{ id: o, type: STRNG }]'].join('\n')), [
    "4:16 errors[0].id: duplicate task id 't': already used by tasks[0]; task ids must be unique in the whole flow",
    "5:11 outputs[0].value: missing required key 'value'",
    "5:26 outputs[0].type: unknown output type 'STRNG' (did you mean 'STRING'?)",
  ]);
});

test('taskDefaults, the old name of pluginDefaults, apply the same way', () => {
  const flow = parse([
    'id: f', 'namespace: a',
    'taskDefaults: [{ type: io.kestra.plugin.core.log.Log, values: { level: WARN } }]',
    'tasks: [{ id: t, type: io.kestra.plugin.core.log.Log, message: hi }]',
  ]);
  assert.equal((flow.tasks[0] as LogTask).level, 'WARN');
});

test('task properties every Kestra task has: allowFailure, allowWarning, runIf, logLevel, logToFile; retry.maxAttempts', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: t',
    '    type: Log',
    '    message: hi',
    '    allowFailure: true',
    '    runIf: "{{ inputs.go }}"',
    '    logLevel: info',
    '    logToFile: true',
    '    retry: { type: constant, interval: PT1S, maxAttempts: 3 }',
    'inputs: [{ id: go, type: BOOLEAN, displayName: Go? }]',
  ]);
  const task = flow.tasks[0];
  assert.deepEqual([task.allowFailure, task.allowWarning, task.runIf, task.logLevel, task.retry?.maxAttempt], [true, false, '{{ inputs.go }}', 'INFO', 3]);
  assert.equal(flow.inputs[0].displayName, 'Go?');
  assert.deepEqual(issuesOf(['id: f', 'namespace: a', 'tasks:', '  - id: t', '    type: Log', '    message: hi', '    retry: { type: constant, interval: PT1S, maxAttempt: 2, maxAttempts: 3 }'].join('\n')), [
    "7:74 tasks[0].retry.maxAttempts: 'maxAttempts' and 'maxAttempt' mean the same: give only one",
  ]);
});

test('the deprecated runner: PROCESS | DOCKER becomes a taskRunner, with a located warning; targetOS is accepted', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: t',
    '    type: shell.Commands',
    '    runner: DOCKER',
    '    targetOS: LINUX',
    '    commands: [ls]',
  ]);
  const task = flow.tasks[0] as import('../../../src/flow/index.ts').ScriptTask;
  assert.equal(task.taskRunner.kind, 'docker');
  assert.deepEqual(flow.warnings.map((warning) => `${warning.line}:${warning.column} ${warning.path}: ${warning.message}`), [
    "6:13 tasks[0].runner: 'runner: DOCKER' is deprecated: write 'taskRunner: { type: io.kestra.plugin.scripts.runner.docker.Docker }' (Harrier runs it so)",
  ]);
  assert.deepEqual(issuesOf(['id: f', 'namespace: a', 'tasks:', '  - id: t', '    type: shell.Commands', '    runner: PROCESS', '    taskRunner: { type: Docker }', '    commands: [ls]'].join('\n')), [
    "6:13 tasks[0].runner: 'runner' is the deprecated way to pick a task runner: give only 'taskRunner'",
  ]);
});
