import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import { isFlowable } from '../../../src/tasks/index.ts';
import type { LogTask, OutputValuesTask, ParallelTask, PodCreateTask, ScriptTask, SequentialTask } from '../../../src/flow/index.ts';

function parse(lines: string[]) {
  return parseFlow(lines.join('\n') + '\n', 'model.yaml');
}

test('a script task gets Kestra\'s defaults', () => {
  const flow = parse(['id: f', 'namespace: a', 'tasks:', '  - id: t', '    type: shell.Commands', '    commands: [echo hi]']);
  assert.deepEqual(flow.tasks[0], {
    id: 't',
    type: 'shell.Commands',
    disabled: false,
    allowFailure: false,
    allowWarning: false,
    runIf: 'true',
    path: 'tasks[0]',
    kind: 'script',
    language: 'shell',
    mode: 'commands',
    commands: ['echo hi'],
    interpreter: ['/bin/sh', '-c'],
    beforeCommands: [],
    failFast: true,
    env: {},
    inputFiles: {},
    outputFiles: [],
    taskRunner: { type: 'io.kestra.plugin.core.runner.Process', kind: 'process', properties: {} },
    warningOnStdErr: true,
  } satisfies ScriptTask);
  assert.deepEqual(flow.labels, {});
  assert.deepEqual(flow.inputs, []);
  assert.deepEqual(flow.variables, {});
  assert.equal(flow.retry, undefined);
});

test('script properties as written: env coerced to strings, inputFiles as an expression, namespaceFiles', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: t',
    '    type: io.kestra.plugin.scripts.python.Script',
    '    script: print(1)',
    '    interpreter: [/bin/bash, -c]',
    '    beforeCommands: [pip install x]',
    '    failFast: false',
    '    env: {N: 1, B: true, S: text}',
    '    inputFiles: "{{ outputs.prev.files | json }}"',
    '    outputFiles: ["*.csv", out/**]',
    '    namespaceFiles: {include: ["scripts/**"]}',
    '    containerImage: python:3.12',
    '    warningOnStdErr: false',
    '    timeout: PT1M30S',
    '    disabled: true',
    '    description: does things',
    '  - id: u',
    '    type: node.Script',
    '    script: console.log(1)',
    '    inputFiles: {a.txt: hello, empty.txt: null, n.txt: 3}',
  ]);
  const [task, node] = flow.tasks as ScriptTask[];
  assert.equal(task.language, 'python');
  assert.equal(task.mode, 'script');
  assert.equal(task.script, 'print(1)');
  assert.deepEqual(task.commands, []);
  assert.deepEqual(task.interpreter, ['/bin/bash', '-c']);
  assert.deepEqual(task.beforeCommands, ['pip install x']);
  assert.equal(task.failFast, false);
  assert.deepEqual(task.env, { N: '1', B: 'true', S: 'text' });
  assert.equal(task.inputFiles, '{{ outputs.prev.files | json }}');
  assert.deepEqual(task.outputFiles, ['*.csv', 'out/**']);
  assert.deepEqual(task.namespaceFiles, { enabled: true, include: ['scripts/**'], exclude: [], folderPerNamespace: false });
  assert.equal(task.containerImage, 'python:3.12');
  assert.equal(task.warningOnStdErr, false);
  assert.equal(task.timeoutMs, 90_000);
  assert.equal(task.disabled, true);
  assert.equal(task.description, 'does things');
  assert.equal(node.language, 'node');
  assert.deepEqual(node.inputFiles, { 'a.txt': 'hello', 'empty.txt': '', 'n.txt': '3' });
});

test('every task type is accepted under its Kestra name and its short alias', () => {
  const types: Array<[string, string, string?, string?]> = [
    ['io.kestra.plugin.scripts.shell.Commands', 'shell.Commands', 'shell', 'commands'],
    ['io.kestra.plugin.scripts.shell.Script', 'shell.Script', 'shell', 'script'],
    ['io.kestra.plugin.scripts.python.Commands', 'python.Commands', 'python', 'commands'],
    ['io.kestra.plugin.scripts.python.Script', 'python.Script', 'python', 'script'],
    ['io.kestra.plugin.scripts.node.Commands', 'node.Commands', 'node', 'commands'],
    ['io.kestra.plugin.scripts.node.Script', 'node.Script', 'node', 'script'],
    ['io.kestra.plugin.dbt.cli.DbtCLI', 'dbt.DbtCLI', 'dbt', 'commands'],
  ];
  for (const [full, alias, language, mode] of types) {
    for (const type of [full, alias]) {
      const body = mode === 'script' ? '    script: x' : '    commands: [x]';
      const task = parse(['id: f', 'namespace: a', 'tasks:', '  - id: t', `    type: ${type}`, body]).tasks[0] as ScriptTask;
      assert.deepEqual([task.type, task.kind, task.language, task.mode], [type, 'script', language, mode]);
    }
  }
  const simple: Array<[string[], string]> = [
    [['io.kestra.plugin.core.log.Log', 'Log'], 'message: hi'],
    [['io.kestra.plugin.core.output.OutputValues', 'OutputValues'], 'values: {a: 1}'],
    [['io.kestra.plugin.core.flow.Parallel', 'Parallel', 'io.kestra.plugin.core.flow.Sequential', 'Sequential'], 'tasks: [{id: c, type: Log, message: x}]'],
    [['io.kestra.plugin.kubernetes.PodCreate', 'io.kestra.plugin.kubernetes.core.PodCreate', 'PodCreate'], 'spec: {containers: []}'],
  ];
  for (const [names, body] of simple) {
    for (const type of names) {
      const task = parse(['id: f', 'namespace: a', 'tasks:', '  - id: t', `    type: ${type}`, `    ${body}`]).tasks[0];
      assert.equal(task.type, type);
    }
  }
});

test('Log, OutputValues, Parallel and Sequential build their own models', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: log', '    type: Log', '    message: [a, b]', '    level: warn',
    '  - id: out', '    type: OutputValues', '    values: {n: 1, m: {x: [1]}}',
    '  - id: par', '    type: Parallel', '    concurrent: 2', '    tasks:',
    '      - id: seq', '        type: Sequential', '        tasks:',
    '          - id: inner', '            type: Log', '            message: deep',
  ]);
  const [log, out, par] = flow.tasks as [LogTask, OutputValuesTask, ParallelTask];
  assert.deepEqual([log.message, log.level], [['a', 'b'], 'WARN']);
  assert.deepEqual(out.values, { n: 1, m: { x: [1] } });
  assert.equal(par.concurrent, 2);
  assert.ok(isFlowable(par));
  const seq = par.tasks[0] as SequentialTask;
  assert.equal(seq.kind, 'sequential');
  assert.deepEqual([seq.tasks[0].id, seq.tasks[0].path], ['inner', 'tasks[2].tasks[0].tasks[0]']);
  assert.equal((parse(['id: f', 'namespace: a', 'tasks:', '  - id: l', '    type: Log', '    message: m']).tasks[0] as LogTask).level, 'INFO');
});

test('PodCreate: durations in ms, defaults, connection kept unrendered, DbtCLI profiles', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: pod', '    type: PodCreate',
    '    metadata: {labels: {app: x}}',
    '    spec: {containers: [{name: c, image: busybox}]}',
    '    connection: {masterUrl: "https://{{ vars.host }}", trustCerts: "{{ vars.trust }}"}',
    '    waitUntilRunning: PT1M', '    waitRunning: PT2H', '    waitForLogInterval: PT0S',
    '    delete: false', '    resume: false',
    '    fileSidecar: {image: harrier-test/busybox:latest}',
    '    containerDefaultSpec: {securityContext: {runAsUser: 1000}}',
    '    outputFiles: ["*.json"]',
    '  - id: dbt', '    type: dbt.DbtCLI', '    commands: [dbt build]', '    profiles: "jaffle: {}"', '    projectDir: project',
  ]);
  const pod = flow.tasks[0] as PodCreateTask;
  assert.equal(pod.namespace, undefined, 'no namespace: kubectl\'s rule picks one when the task runs');
  assert.deepEqual(pod.metadata, { labels: { app: 'x' } });
  assert.deepEqual(pod.connection, { masterUrl: 'https://{{ vars.host }}', trustCerts: '{{ vars.trust }}' });
  assert.deepEqual([pod.waitUntilRunningMs, pod.waitRunningMs], [60_000, 7_200_000]);
  assert.ok(!('waitForLogIntervalMs' in pod), 'waitForLogInterval is accepted for Kestra flows, and not used');
  assert.deepEqual([pod.delete, pod.resume], [false, false]);
  assert.deepEqual(pod.fileSidecar, { image: 'harrier-test/busybox:latest' });
  assert.deepEqual(pod.containerDefaultSpec, { securityContext: { runAsUser: 1000 } });
  assert.deepEqual(pod.outputFiles, ['*.json']);
  const dbt = flow.tasks[1] as ScriptTask;
  assert.deepEqual([dbt.profiles, dbt.projectDir], ['jaffle: {}', 'project']);
});

test('retry policies: durations in ms, defaults, flow-level retry', () => {
  const flow = parse([
    'id: f', 'namespace: a',
    'retry: {type: constant, interval: PT10S, maxAttempt: 3}',
    'tasks:',
    '  - id: t', '    type: Log', '    message: m',
    '    retry: {type: exponential, interval: PT1S, maxInterval: PT1M, delayFactor: 3, maxDuration: PT1H, warningOnRetry: true, behavior: CREATE_NEW_EXECUTION}',
    '  - id: r', '    type: Log', '    message: m',
    '    retry: {type: random, minInterval: PT0.5S, maxInterval: PT2S}',
  ]);
  assert.deepEqual(flow.retry, { type: 'constant', intervalMs: 10_000, maxAttempt: 3, warningOnRetry: false, behavior: 'RETRY_FAILED_TASK' });
  assert.deepEqual(flow.tasks[0].retry, {
    type: 'exponential', intervalMs: 1000, maxIntervalMs: 60_000, delayFactor: 3, maxDurationMs: 3_600_000,
    warningOnRetry: true, behavior: 'CREATE_NEW_EXECUTION',
  });
  assert.deepEqual(flow.tasks[1].retry, { type: 'random', minIntervalMs: 500, maxIntervalMs: 2000, warningOnRetry: false, behavior: 'RETRY_FAILED_TASK' });
});

test('inputs: required by default, Kestra\'s deprecated name, values, itemType, defaults; labels as a map or a list', () => {
  const flow = parse([
    'id: f', 'namespace: a',
    'labels: [{key: team, value: data}, {key: tier, value: 1}]',
    'variables: {greeting: hello}',
    'inputs:',
    '  - name: legacy', '    type: STRING', '    required: false',
    '  - id: color', '    type: ENUM', '    values: [red, blue]', '    defaults: red', '    description: pick one',
    '  - id: nums', '    type: ARRAY', '    itemType: INT', '    defaults: [1, 2]',
    '  - id: when', '    type: DATETIME', '    defaults: "2024-01-31T12:00:00Z"',
    '  - id: later', '    type: STRING', '    defaults: "{{ now() }}"',
    'tasks:', '  - id: t', '    type: Log', '    message: m',
  ]);
  assert.deepEqual(flow.labels, { team: 'data', tier: '1' });
  assert.deepEqual(flow.variables, { greeting: 'hello' });
  assert.deepEqual(flow.inputs, [
    { id: 'legacy', type: 'STRING', required: false },
    { id: 'color', type: 'ENUM', required: true, values: ['red', 'blue'], defaults: 'red', description: 'pick one' },
    { id: 'nums', type: 'ARRAY', required: true, itemType: 'INT', defaults: [1, 2] },
    { id: 'when', type: 'DATETIME', required: true, defaults: '2024-01-31T12:00:00Z' },
    { id: 'later', type: 'STRING', required: true, defaults: '{{ now() }}' },
  ]);
});

test('Python tasks take dependencies and a package manager (Kestra\'s default UV); other languages refuse them', () => {
  const flow = parse([
    'id: f', 'namespace: a', 'tasks:',
    '  - id: a',
    '    type: io.kestra.plugin.scripts.python.Script',
    '    dependencies: [requests, kestra]',
    '    script: print(1)',
    '  - id: b',
    '    type: python.Commands',
    '    packageManager: pip',
    '    commands: [python main.py]',
  ]);
  assert.deepEqual((flow.tasks[0] as ScriptTask).python, { dependencies: ['requests', 'kestra'], packageManager: 'UV', dependencyCacheEnabled: true });
  assert.deepEqual((flow.tasks[1] as ScriptTask).python, { dependencies: [], packageManager: 'PIP', dependencyCacheEnabled: true });
  assert.throws(
    () => parse(['id: f', 'namespace: a', 'tasks:', '  - id: a', '    type: shell.Commands', '    dependencies: [x]', '    commands: [ls]']),
    /tasks\[0\]\.dependencies: unknown key 'dependencies'/,
  );
});
