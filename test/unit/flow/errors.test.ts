import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import { FlowValidationError } from '../../../src/shared/errors.ts';
import { flowWithTasks, issuesOf, rawIssuesOf } from './helpers.ts';

test('bad YAML is reported at yaml\'s own position', () => {
  assert.deepEqual(issuesOf('id: f\nnamespace: a\ntasks:\n  - id: a\n    type: Log\n   message: hi\n'), [
    '6:1 : Sequence item without - indicator',
  ]);
  assert.deepEqual(issuesOf('id: f\nid: g\nnamespace: a\n'), ['2:1 : Map keys must be unique']);
  assert.deepEqual(issuesOf('id: "f\n'), ['2:1 : Missing closing "quote']);
});

test('an empty file or a non-map document is one clear issue', () => {
  assert.deepEqual(issuesOf(''), ['1:1 : the file is empty: expected a flow with id, namespace and tasks']);
  assert.deepEqual(issuesOf('- a\n- b\n'), ['1:1 : expected a flow map (id, namespace, tasks, ...), got a list']);
});

test('the error names the file, and its message lists every issue on its own line', () => {
  try {
    parseFlow('id: f\nnamespace: a\ntasks: []\nowner: me\n', 'flows/x.yaml');
    assert.fail('expected a FlowValidationError');
  } catch (error) {
    assert.ok(error instanceof FlowValidationError);
    assert.equal(error.message, [
      'flows/x.yaml:3:8: tasks: expected at least one task',
      "flows/x.yaml:4:1: owner: unknown key 'owner' (expected one of: id, namespace, description, labels, inputs, variables, tasks, errors, finally, afterExecution, outputs, pluginDefaults, taskDefaults, retry, triggers)",
    ].join('\n'));
    assert.equal(error.issues[0].file, 'flows/x.yaml');
  }
});

test('unknown keys point at the key and suggest the nearest known one', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: shell.Commands',
    '    comands: [echo hi]',
    '    commands: [echo hi]',
    '    taskRunner:',
    '      type: Kubernetes',
    '      namespce: x',
    '',
  ].join('\n'))), [
    "6:5 tasks[0].comands: unknown key 'comands' (did you mean 'commands'?)",
    "10:7 tasks[0].taskRunner.namespce: unknown key 'namespce' (did you mean 'namespace'?)",
  ]);
});

test('missing required keys are placed on the map that lacks them', () => {
  assert.deepEqual(issuesOf('namespace: a\ntasks:\n  - id: a\n    type: shell.Commands\n  - type: Log\n    message: hi\n'), [
    "1:1 id: missing required key 'id'",
    "3:5 tasks[0].commands: missing required key 'commands'",
    "5:5 tasks[1].id: missing required key 'id'",
  ]);
  assert.deepEqual(issuesOf('id: f\nnamespace: a\n'), ["1:1 tasks: missing required key 'tasks'"]);
  assert.deepEqual(issuesOf(flowWithTasks('  - id: a\n    message: hi\n')), ["4:5 tasks[0].type: missing required key 'type'"]);
});

test('wrong types say what was expected and what was found', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: shell.Commands',
    '    commands: echo hi',
    '    outputFiles: 3',
    '    env:',
    '      - A',
    '    failFast: maybe',
    '  - id: b',
    '    type: shell.Commands',
    '    commands: [1, [x]]',
    '',
  ].join('\n'))), [
    '6:15 tasks[0].commands: expected a list of strings, got a string',
    '7:18 tasks[0].outputFiles: expected a list of strings, got a number',
    '8:5 tasks[0].env: expected a map of environment variables to strings, got a list',
    '10:15 tasks[0].failFast: expected a boolean (true or false), got a string',
    '13:16 tasks[1].commands[0]: expected a string, got a number',
    '13:19 tasks[1].commands[1]: expected a string, got a list',
  ]);
});

test('duplicate task ids are found anywhere in the tree', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: Log',
    '    message: one',
    '  - id: group',
    '    type: Sequential',
    '    tasks:',
    '      - id: par',
    '        type: Parallel',
    '        tasks:',
    '          - id: a',
    '            type: Log',
    '            message: two',
    '      - id: group',
    '        type: Log',
    '        message: three',
    '',
  ].join('\n'))), [
    "13:17 tasks[1].tasks[0].tasks[0].id: duplicate task id 'a': already used by tasks[0]; task ids must be unique in the whole flow",
    "16:13 tasks[1].tasks[1].id: duplicate task id 'group': already used by tasks[1]; task ids must be unique in the whole flow",
  ]);
});

test('ids, namespaces and input ids follow Kestra\'s patterns', () => {
  assert.deepEqual(issuesOf([
    'id: my flow',
    'namespace: Company.Team',
    'inputs:',
    '  - id: ok.dotted-input_1',
    '    type: STRING',
    '  - id: -bad',
    '    type: STRING',
    'tasks:',
    '  - id: has.dot',
    '    type: Log',
    '    message: hi',
    '',
  ].join('\n')), [
    "1:5 id: expected an id made of letters, digits, _ and - (starting with a letter or digit), got 'my flow'",
    "2:12 namespace: expected a namespace made of lowercase letters, digits, ., _ and - (starting with a letter or digit), got 'Company.Team'",
    "6:9 inputs[1].id: expected an input id made of letters, digits, ., _ and - (starting with a letter or digit), got '-bad'",
    "9:9 tasks[0].id: expected an id made of letters, digits, _ and - (starting with a letter or digit), got 'has.dot'",
  ]);
});

test('invalid ISO-8601 durations, in tasks, retries and runner properties', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: shell.Commands',
    '    commands: [sleep 1]',
    '    timeout: 5 minutes',
    '    retry:',
    '      type: constant',
    '      interval: PT',
    '    taskRunner:',
    '      type: Docker',
    '  - id: b',
    '    type: shell.Commands',
    '    commands: [sleep 1]',
    '    taskRunner:',
    '      type: Kubernetes',
    '      waitUntilRunning: 10m',
    '',
  ].join('\n'))), [
    "7:14 tasks[0].timeout: expected an ISO-8601 duration like PT5M, got '5 minutes'",
    "10:17 tasks[0].retry.interval: expected an ISO-8601 duration like PT5M, got 'PT'",
    "18:25 tasks[1].taskRunner.waitUntilRunning: expected an ISO-8601 duration like PT5M, got '10m'",
  ]);
});

test('unknown task types name the type and suggest the nearest known ones', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: io.kestra.plugin.scripts.shell.Comands',
    '  - id: b',
    '    type: shell.comand',
    '  - id: c',
    '    type: 42',
    '',
  ].join('\n'))), [
    "5:11 tasks[0].type: unknown task type 'io.kestra.plugin.scripts.shell.Comands' (did you mean 'io.kestra.plugin.scripts.shell.Commands' or 'io.kestra.plugin.scripts.node.Commands'?)",
    "7:11 tasks[1].type: unknown task type 'shell.comand' (did you mean 'shell.Commands'?)",
    '9:11 tasks[2].type: expected a task type (a string), got a number',
  ]);
});

test('unknown task runner types are named with suggestions', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: shell.Commands',
    '    commands: [x]',
    '    taskRunner:',
    '      type: io.kestra.plugin.scripts.runner.docker.Dokcer',
    '  - id: b',
    '    type: shell.Commands',
    '    commands: [x]',
    '    taskRunner:',
    '      type: Podman',
    '',
  ].join('\n'))), [
    "8:13 tasks[0].taskRunner.type: unknown task runner type 'io.kestra.plugin.scripts.runner.docker.Dokcer' (did you mean 'io.kestra.plugin.scripts.runner.docker.Docker'?)",
    "13:13 tasks[1].taskRunner.type: unknown task runner type 'Podman': Harrier does not implement it (nearest known: Docker, Process, Kubernetes)",
  ]);
});

test('runner properties are checked, but an unrendered expression passes wherever it may render to the right type', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: shell.Commands',
    '    commands: [x]',
    '    taskRunner:',
    '      type: Kubernetes',
    '      pullPolicy: sometimes',
    '      delete: "{{ vars.keep }}"',
    '      waitUntilCompletion: "{{ vars.budget }}"',
    '      resources: {requests: {cpu: 1}, limit: "{{ vars.limits }}"}',
    '      config:',
    '        trustCerts: yes please',
    '  - id: b',
    '    type: shell.Commands',
    '    commands: [x]',
    '    taskRunner:',
    '      type: Docker',
    '      fileHandlingStrategy: COPY',
    '      memory: {memory: 512MB, swap: 1GB}',
    '',
  ].join('\n'))), [
    "9:19 tasks[0].taskRunner.pullPolicy: expected one of Always, IfNotPresent, Never, got 'sometimes'",
    '14:21 tasks[0].taskRunner.config.trustCerts: expected a boolean (true or false), got a string',
    "20:29 tasks[1].taskRunner.fileHandlingStrategy: expected one of VOLUME, MOUNT, got 'COPY'",
    "21:31 tasks[1].taskRunner.memory.swap: unknown key 'swap' (expected one of: memory, memorySwap, memorySwappiness, memoryReservation, kernelMemory, oomKillDisable)",
  ]);
});

test('retry: each type requires its own fields, and rejects fields of other types', () => {
  assert.deepEqual(issuesOf(flowWithTasks([
    '  - id: a',
    '    type: Log',
    '    message: x',
    '    retry:',
    '      type: constant',
    '      maxAttempt: 3',
    '  - id: b',
    '    type: Log',
    '    message: x',
    '    retry:',
    '      type: random',
    '      maxInterval: PT1M',
    '      interval: PT1S',
    '  - id: c',
    '    type: Log',
    '    message: x',
    '    retry:',
    '      type: linear',
    '      maxAttempt: 0',
    '',
  ].join('\n'))), [
    "7:5 tasks[0].retry: a constant retry needs 'interval'",
    "13:5 tasks[1].retry: a random retry needs 'minInterval'",
    "16:17 tasks[1].retry.interval: 'interval' does not apply to a random retry (it uses minInterval, maxInterval)",
    "21:13 tasks[2].retry.type: expected one of constant, exponential, random, got 'linear'",
    '22:19 tasks[2].retry.maxAttempt: expected an integer, got a number (0)',
  ]);
});

test('inputs: unknown types, ENUM without values, defaults that do not fit the type', () => {
  assert.deepEqual(issuesOf([
    'id: f',
    'namespace: a',
    'inputs:',
    '  - id: a',
    '    type: STRNG',
    '  - id: b',
    '    type: ENUM',
    '  - id: c',
    '    type: INT',
    '    defaults: abc',
    '  - id: d',
    '    type: SELECT',
    '    values: [x, y]',
    '    defaults: z',
    '  - id: e',
    '    type: DURATION',
    '    defaults: 5m',
    '  - id: a',
    '    type: STRING',
    '    itemType: INT',
    '  - type: BOOLEAN',
    'tasks:',
    '  - id: t',
    '    type: Log',
    '    message: hi',
    '',
  ].join('\n')), [
    "5:11 inputs[0].type: unknown input type 'STRNG' (did you mean 'STRING'?)",
    "6:5 inputs[1]: an ENUM input needs 'values', a non-empty list of strings",
    "10:15 inputs[2].defaults: the default does not fit type INT: expected an integer, got 'abc'",
    "14:15 inputs[3].defaults: the default does not fit type SELECT: expected one of x, y, got 'z'",
    "17:15 inputs[4].defaults: the default does not fit type DURATION: expected an ISO-8601 duration like PT5M, got '5m'",
    "18:9 inputs[5].id: duplicate input id 'a'",
    "20:15 inputs[5].itemType: 'itemType' only applies to ARRAY inputs",
    "21:5 inputs[6]: missing required key 'id'",
  ]);
});

test('every problem of the file is listed together, sorted by position', () => {
  const issues = rawIssuesOf([
    'id: f',
    'namespace: a',
    'tasks:',
    '  - id: a',
    '    type: Log',
    '    message: hi',
    '    levle: INFO',
    '  - id: a',
    '    type: Nope',
    'description: 3',
    '',
  ].join('\n'));
  assert.deepEqual(issues.map((issue) => [issue.line, issue.column]), [[7, 5], [8, 9], [9, 11], [10, 14]]);
  assert.deepEqual(issues.map((issue) => issue.path), ['tasks[0].levle', 'tasks[1].id', 'tasks[1].type', 'description']);
});

test('problems inside a value of several possible shapes are reported in place', () => {
  assert.deepEqual(issuesOf([
    'id: f',
    'namespace: a',
    'labels: {team: [x]}',
    'tasks:',
    '  - id: a',
    '    type: shell.Commands',
    '    commands: [x]',
    '    inputFiles: {a.txt: [x], b.txt: ok}',
    '  - id: b',
    '    type: Log',
    '    message: {text: hi}',
    '  - id: c',
    '    type: shell.Commands',
    '    commands: [x]',
    '    inputFiles: 3',
    '',
  ].join('\n')), [
    '3:16 labels.team: expected a string, got a list',
    '8:25 tasks[0].inputFiles["a.txt"]: expected a file content (a string), got a list',
    '11:14 tasks[1].message: expected a string or a list of strings, got a map',
    '15:17 tasks[2].inputFiles: expected a map of file names to contents, or an expression, got a number',
  ]);
});

test('tasks and task runners of the wrong shape, Kestra-only keys, several YAML documents', () => {
  assert.deepEqual(issuesOf([
    'id: f',
    'namespace: a',
    'concurrency: {limit: 1}',
    'tasks:',
    '  - just a string',
    '  - id: p',
    '    type: shell.Commands',
    '    commands: [x]',
    '    sla: []',
    '    taskRunner: Docker',
    '  - id: q',
    '    type: Parallel',
    '    tasks: {}',
    '',
  ].join('\n')), [
    "3:1 concurrency: unknown key 'concurrency': Kestra's 'concurrency' is not supported by Harrier here",
    '5:5 tasks[0]: expected a task (a map with id and type), got a string',
    "9:5 tasks[1].sla: unknown key 'sla': Kestra's 'sla' is not supported by Harrier here",
    '10:17 tasks[1].taskRunner: expected a task runner (a map with a type), got a string',
    '13:12 tasks[2].tasks: expected a list of tasks, got a map',
  ]);
  assert.deepEqual(issuesOf('id: f\nnamespace: a\n---\nid: g\n'), [
    '3:1 : a flow file holds one YAML document, this one has several (put each flow in its own file)',
  ]);
});
