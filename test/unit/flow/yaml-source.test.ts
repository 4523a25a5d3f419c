import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JavaDouble } from '../../../src/expr/numbers.ts';
import { formatPath, readYaml } from '../../../src/flow/yaml-source.ts';

test('paths read as a user writes them', () => {
  assert.equal(formatPath([]), '');
  assert.equal(formatPath(['tasks', 2, 'retry', 'interval']), 'tasks[2].retry.interval');
  assert.equal(formatPath(['tasks', 0, 'inputFiles', 'data.txt']), 'tasks[0].inputFiles["data.txt"]');
  assert.equal(formatPath(['labels', 'kestra.io/x']), 'labels["kestra.io/x"]');
});

test('locate: values, keys, block collections on their key, absent paths on the nearest ancestor', () => {
  const source = readYaml([
    'id: f',
    'tasks:',
    '  - id: a',
    '    env:',
    '      A: "1"',
    '    list: [x, y]',
    '    empty:',
    '',
  ].join('\n'));
  assert.deepEqual(source.problems, []);
  assert.deepEqual(source.locate(['id']), { line: 1, column: 5 });
  assert.deepEqual(source.locate(['id'], 'key'), { line: 1, column: 1 });
  assert.deepEqual(source.locate(['tasks']), { line: 2, column: 1 });
  assert.deepEqual(source.locate(['tasks', 0]), { line: 3, column: 5 });
  assert.deepEqual(source.locate(['tasks', 0, 'env']), { line: 4, column: 5 });
  assert.deepEqual(source.locate(['tasks', 0, 'env', 'A']), { line: 5, column: 10 });
  assert.deepEqual(source.locate(['tasks', 0, 'list']), { line: 6, column: 11 });
  assert.deepEqual(source.locate(['tasks', 0, 'list', 1]), { line: 6, column: 15 });
  assert.deepEqual(source.locate(['tasks', 0, 'empty']), { line: 7, column: 5 });
  assert.deepEqual(source.locate(['tasks', 0, 'missing', 'deeper']), { line: 3, column: 5 });
  assert.deepEqual(source.locate(['tasks', 5]), { line: 2, column: 1 });
});

test('locateInString: verbatim scalars map character by character, others fall back to their start', () => {
  const source = readYaml([
    'plain: ab {{ x',
    'single: \'ab {{ x\'',
    'double: "ab {{ x"',
    'escaped: "a\\tb {{ x"',
    'block: |',
    '  line one',
    '  ab {{ x',
    'folded: >',
    '  ab {{ x',
    '',
  ].join('\n'));
  assert.deepEqual(source.locateInString(['plain'], 3), { line: 1, column: 11 });
  assert.deepEqual(source.locateInString(['single'], 3), { line: 2, column: 13 });
  assert.deepEqual(source.locateInString(['double'], 3), { line: 3, column: 13 });
  assert.deepEqual(source.locateInString(['escaped'], 4), { line: 4, column: 10 });
  assert.deepEqual(source.locateInString(['block'], 'line one\n'.length + 3), { line: 7, column: 6 });
  assert.deepEqual(source.locateInString(['folded'], 3), { line: 8, column: 9 });
});

test('YAML errors come with yaml\'s positions and leave no value', () => {
  const source = readYaml('a: [1, 2\nb: 3\n');
  assert.equal(source.value, undefined);
  assert.ok(source.problems.length > 0);
  assert.ok(source.problems.every((problem) => problem.line >= 1 && problem.column >= 1 && !problem.message.includes('\n')));
});

test('whole-valued doubles under variables stay doubles, as Kestra reads them; nothing else changes', () => {
  const { value } = readYaml('variables:\n  a: 1.0\n  b: [2.0, 3, 4.5, 1e3]\n  c: {d: 10.0, e: "1.0"}\n  f: 7\nother: 1.0\n');
  const doc = value as { variables: Record<string, any>; other: unknown };
  assert.ok(doc.variables.a instanceof JavaDouble);
  assert.deepEqual(doc.variables.b.map((x: unknown) => x instanceof JavaDouble), [true, false, false, true]);
  assert.ok(doc.variables.c.d instanceof JavaDouble);
  assert.equal(doc.variables.c.e, '1.0');
  assert.equal(doc.variables.f, 7);
  assert.equal(doc.other, 1, 'outside variables a schema reads plain numbers');
  assert.equal(JSON.stringify(doc.variables), '{"a":1,"b":[2,3,4.5,1000],"c":{"d":10,"e":"1.0"},"f":7}');
});
