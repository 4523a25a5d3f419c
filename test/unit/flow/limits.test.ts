import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTemplate } from '../../../src/expr/index.ts';
import { MAX_EXPRESSION_DEPTH } from '../../../src/expr/expression-parser.ts';
import { parseFlow } from '../../../src/flow/index.ts';
import { documentLimitProblem, FLOW_LIMITS } from '../../../src/flow/limits.ts';
import { ExpressionError } from '../../../src/shared/errors.ts';
import { flowWithTasks, issuesOf } from './helpers.ts';

const logTask = (message: string) => flowWithTasks(`  - id: t\n    type: Log\n    message: ${JSON.stringify(message)}\n`);

test('a YAML alias bomb is one issue at the alias that crosses the limit', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) {
    const previous = String.fromCharCode(96 + i);
    levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  const text = `id: f\nnamespace: a\nvariables:\n${levels.map((line) => `  ${line}`).join('\n')}\ntasks:\n  - id: t\n    type: Log\n    message: hi\n`;
  const issues = issuesOf(text);
  assert.equal(issues.length, 1);
  assert.match(issues[0], /^\d+:\d+ : the YAML aliases expand to more than 100,000 nodes, the limit \(an alias bomb\?/);
  // 9^5 nodes are reached by the aliases of the sixth level (line 9).
  assert.match(issues[0], /^9:\d+ /);
});

test('an alias without its anchor, or inside its own anchor, is a located issue', () => {
  assert.deepEqual(issuesOf('id: f\nnamespace: a\nvariables:\n  a: *nope\ntasks:\n  - id: t\n    type: Log\n    message: hi\n'),
    ["4:6 : the alias '*nope' names no anchor: define '&nope' before it, or remove the alias"]);
  assert.deepEqual(issuesOf('id: f\nnamespace: a\nvariables:\n  a: &a [1, *a]\ntasks:\n  - id: t\n    type: Log\n    message: hi\n'),
    ["4:13 : the alias '*a' is inside the node its anchor names, so it would never end (remove it)"]);
});

test('ordinary anchors and aliases still work, many of them too', () => {
  const many = Array.from({ length: 2_000 }, (_, i) => `  v${i}: *shared`).join('\n');
  const flow = parseFlow(`id: f\nnamespace: a\nvariables:\n  base: &shared {x: 1}\n${many}\ntasks:\n  - id: t\n    type: Log\n    message: hi\n`, 'f.yaml');
  assert.deepEqual(flow.variables.v1999, { x: 1 });
});

test('a flow file over the size limit is refused before it is parsed, with the limit in the message', () => {
  const text = logTask('x'.repeat(100)) + `# ${'y'.repeat(FLOW_LIMITS.maxFlowBytes)}\n`;
  assert.deepEqual(issuesOf(text), [
    `1:1 : the flow file has ${Buffer.byteLength(text).toLocaleString('en-US')} bytes, more than the limit of 4,194,304 bytes (4 MiB) for one flow `
      + '(split it into several flows, or keep large scripts and data in namespace files)',
  ]);
});

test('too many tasks, counting the children of flowable tasks, is one issue at the first task over the limit', () => {
  const children = Array.from({ length: FLOW_LIMITS.maxTasks }, (_, i) => `      - id: c${i}\n        type: Log\n        message: hi`).join('\n');
  const text = flowWithTasks(`  - id: group\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n${children}\n`);
  assert.deepEqual(issuesOf(text), [
    `${3 + 3 * FLOW_LIMITS.maxTasks + 1}:9 tasks[0].tasks[4999]: the flow has more than 5,000 tasks, the limit for one flow (split it into several flows)`,
  ]);
  const atLimit = flowWithTasks(Array.from({ length: FLOW_LIMITS.maxTasks }, (_, i) => `  - id: t${i}\n    type: Log\n    message: hi`).join('\n'));
  assert.equal(parseFlow(atLimit, 'f.yaml').tasks.length, FLOW_LIMITS.maxTasks);
});

test('a string over the length limit is located at its property', () => {
  assert.deepEqual(issuesOf(logTask('a'.repeat(FLOW_LIMITS.maxStringLength + 1))), [
    '6:14 tasks[0].message: this string has 1,048,577 characters, more than the limit of 1,048,576 (keep large scripts and data in namespace files)',
  ]);
  assert.equal(parseFlow(logTask('a'.repeat(FLOW_LIMITS.maxStringLength)), 'f.yaml').tasks.length, 1);
});

test('documentLimitProblem walks any depth without recursion and names where nesting goes too deep', () => {
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const problem = documentLimitProblem({ variables: { x: deep } });
  assert.equal(problem?.path.length, FLOW_LIMITS.maxNesting);
  assert.deepEqual(problem?.path.slice(0, 3), ['variables', 'x', 0]);
  assert.match(problem?.message ?? '', /nest more than 100 levels deep here/);
});

test('YAML nested beyond what its parser can read is one issue, not a crash', () => {
  const blocks = Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n');
  // Where yaml's parser gives up depends on the stack left, so only the first issue is pinned down.
  assert.match(issuesOf(`id: f\nnamespace: a\nvariables:\n${blocks}\n${' '.repeat(2_001)}v\ntasks: []\n`)[0],
    /^\d+:\d+ : the YAML nests too deeply to be read \(keep maps and lists under 100 levels\)$/);
  const flowStyle = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
  assert.match(issuesOf(`id: f\nnamespace: a\nvariables:\n  x: ${flowStyle}\ntasks: []\n`)[0], /^4:\d+ : the YAML nests too deeply to be read/);
});

test('a 100,000-term sum and a chain of 50,000 filters fail validation at their block, as rendering would', () => {
  const sum = `{{ ${Array(100_000).fill('1').join(' + ')} }}`;
  const filters = `{{ 'a'${' | upper'.repeat(50_000)} }}`;
  for (const template of [sum, filters]) {
    const issues = issuesOf(logTask(template));
    assert.equal(issues.length, 1);
    assert.match(issues[0], /^6:\d+ tasks\[0\]\.message: invalid expression: the expression chains or nests more than 500 operations; split it, for example with \{% set %\} in \{\{/);
    assert.throws(() => renderTemplate(template, {}, { secret: () => '' }), (error: unknown) => {
      assert.ok(error instanceof ExpressionError);
      assert.match(error.message, /chains or nests more than 500 operations/);
      return true;
    });
  }
});

test('chains the parser recurses on (not, unary minus, ? :) and nested tags are refused too, and the limit itself renders', () => {
  const cases = [
    `{{ ${'not '.repeat(50_000)}true }}`,
    `{{ ${'- '.repeat(50_000)}1 }}`,
    `{{ ${'true ? 1 : '.repeat(20_000)}1 }}`,
    `{{ x${'.a'.repeat(50_000)} }}`,
    `${'{% if true %}'.repeat(20_000)}x${'{% endif %}'.repeat(20_000)}`,
  ];
  for (const template of cases) {
    const issues = issuesOf(logTask(template));
    assert.equal(issues.length, 1, template.slice(0, 40));
    assert.match(issues[0], /invalid expression: (the expression (is nested|chains or nests) more than \d+ (levels deep|operations)|tags are nested more than \d+ levels deep)/);
  }
  const atLimit = `{{ ${Array(MAX_EXPRESSION_DEPTH).fill('1').join(' + ')} }}`;
  assert.equal(renderTemplate(atLimit, {}, { secret: () => '' }), String(MAX_EXPRESSION_DEPTH));
});
