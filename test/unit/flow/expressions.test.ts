import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findExpressionSyntaxErrors } from '../../../src/expr/index.ts';
import { issuesOf } from './helpers.ts';

/** Column of the first syntax error of `value`, when the string starts at `valueColumn`. */
function errorColumn(value: string, valueColumn: number): number {
  const [first] = findExpressionSyntaxErrors(value);
  assert.ok(first, `expected ${JSON.stringify(value)} to have a syntax error`);
  return valueColumn + first.offset;
}

function onlyMessageStart(issues: string[]): string[] {
  return issues.map((issue) => issue.replace(/(invalid expression): .*/, '$1'));
}

test('expression syntax errors point inside plain, quoted and literal block strings', () => {
  const text = [
    'id: f',
    'namespace: a',
    'tasks:',
    '  - id: a',
    '    type: Log',
    '    message: "hello {{ inputs.x"',
    '  - id: b',
    '    type: shell.Script',
    '    script: |',
    '      echo ok',
    '      echo {{ 1 + }}',
    '  - id: c',
    '    type: Log',
    '    message: hi {{ outputs. }} there',
    '',
  ].join('\n');
  const issues = issuesOf(text);
  assert.deepEqual(onlyMessageStart(issues), [
    `6:${errorColumn('hello {{ inputs.x', 15)} tasks[0].message: invalid expression`,
    `11:${errorColumn('echo {{ 1 + }}', 7)} tasks[1].script: invalid expression`,
    `14:${errorColumn('hi {{ outputs. }} there', 14)} tasks[2].message: invalid expression`,
  ]);
  assert.equal(issues[0].split(': invalid expression: ')[1], findExpressionSyntaxErrors('hello {{ inputs.x')[0].message);
});

test('a string whose text is not copied verbatim (folded) is located at its start', () => {
  const text = 'id: f\nnamespace: a\ntasks:\n  - id: a\n    type: Log\n    message: >\n      folded {{ x | }}\n      text\n';
  assert.deepEqual(onlyMessageStart(issuesOf(text)), ['6:14 tasks[0].message: invalid expression']);
});

test('expressions are checked everywhere: runner properties, PodCreate specs, variables, values from pluginDefaults', () => {
  const text = [
    'id: f',
    'namespace: a',
    'variables:',
    '  greeting: "{{ 1 + }}"',
    'tasks:',
    '  - id: a',
    '    type: shell.Commands',
    '    commands: [x]',
    '    taskRunner:',
    '      type: Kubernetes',
    '      namespace: "{{ vars. }}"',
    '  - id: pod',
    '    type: PodCreate',
    '    spec:',
    '      containers:',
    '        - name: x',
    '          image: "{{ inputs.image "',
    'pluginDefaults:',
    '  - type: Log',
    '    values:',
    '      message: "{{ oops("',
    '  - type: PodCreate',
    '    values:',
    '      namespace: ok',
    '',
  ].join('\n');
  const paths = issuesOf(text).map((issue) => issue.split(' ')[1]);
  assert.deepEqual(paths, ['variables.greeting:', 'tasks[0].taskRunner.namespace:', 'tasks[1].spec.containers[0].image:']);
  const withLog = text.replace('tasks:\n', 'tasks:\n  - id: log\n    type: Log\n');
  const located = issuesOf(withLog).find((issue) => issue.includes('tasks[0].message'));
  // The message came from pluginDefaults: it is reported on the task that received it.
  assert.match(located ?? '', /^6:5 tasks\[0\]\.message: invalid expression: /);
});
