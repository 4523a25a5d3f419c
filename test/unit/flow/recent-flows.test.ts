/** parseFlow keeps the flows of its last texts: shared, so frozen; each caller still gets its own file name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/parse.ts';

const flowText = (id: string): string => `id: ${id}
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
`;

test('the same text parses once: the same frozen flow, named by each caller\'s file', () => {
  const text = flowText('recent_same');
  const first = parseFlow(text, 'a.yaml');
  assert.equal(parseFlow(text, 'a.yaml'), first);
  const other = parseFlow(text, 'b.yaml');
  assert.equal(other.source.file, 'b.yaml');
  assert.equal(first.source.file, 'a.yaml');
  assert.equal(other.tasks, first.tasks);
  assert.ok(Object.isFrozen(first.tasks[0]));
  assert.throws(() => {
    (first.tasks[0] as { id: string }).id = 'changed';
  }, TypeError);
});

test('warnings name the file of the caller that asked', () => {
  const text = `id: recent_warned
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - echo hello
`;
  const first = parseFlow(text, 'a.yaml');
  assert.ok(first.warnings.length > 0, "the deprecated 'runner' is warned about");
  assert.deepEqual(parseFlow(text, 'b.yaml').warnings.map((warning) => warning.file), first.warnings.map(() => 'b.yaml'));
  assert.deepEqual(parseFlow(text, 'a.yaml').warnings.map((warning) => warning.file), first.warnings.map(() => 'a.yaml'));
});

test('only the last 64 texts are kept; a text that fails is parsed again each time', () => {
  const text = flowText('recent_oldest');
  const first = parseFlow(text, 'f.yaml');
  for (let index = 0; index < 63; index++) parseFlow(flowText(`recent_filler_${index}`), 'f.yaml');
  assert.equal(parseFlow(text, 'f.yaml'), first, 'still among the last 64');
  for (let index = 0; index < 64; index++) parseFlow(flowText(`recent_other_${index}`), 'f.yaml');
  assert.notEqual(parseFlow(text, 'f.yaml'), first, 'dropped after 64 others');
  const broken = 'id: broken\nnamespace: company.team\ntasks: []\n';
  assert.throws(() => parseFlow(broken, 'x.yaml'), /x\.yaml/);
  assert.throws(() => parseFlow(broken, 'y.yaml'), /y\.yaml/);
});

test('large texts count against a bound of 8 Mi characters kept', () => {
  // 3 Mi characters each, in strings under the limit of one string.
  const big = (id: string): string => `${flowText(id)}variables:\n${['a', 'b', 'c'].map((name) => `  ${name}: ${'x'.repeat(1024 * 1024 - 16)}\n`).join('')}`;
  const first = parseFlow(big('recent_big_0'), 'f.yaml');
  parseFlow(big('recent_big_1'), 'f.yaml');
  assert.equal(parseFlow(big('recent_big_0'), 'f.yaml'), first, 'two of them fit');
  parseFlow(big('recent_big_2'), 'f.yaml');
  parseFlow(big('recent_big_3'), 'f.yaml');
  assert.notEqual(parseFlow(big('recent_big_0'), 'f.yaml'), first, 'dropped once four were asked for');
});
