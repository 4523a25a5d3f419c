import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasExpression, renderTemplate } from '../../../src/expr/index.ts';
import { makeRuntime, render } from './support.ts';

test('text without expressions is returned as is', () => {
  const text = 'echo "no expressions here" } }} %}';
  assert.equal(render(text), text);
  assert.equal(hasExpression(text), false);
  assert.equal(hasExpression('a {{ b }}'), true);
  assert.equal(hasExpression('{% if x %}'), true);
  assert.equal(hasExpression('{# c #}'), true);
});

test('string literals in both quotes, with escaped quotes and backslashes', () => {
  assert.equal(render(`{{ 'single' }}`), 'single');
  assert.equal(render(`{{ "double" }}`), 'double');
  assert.equal(render(`{{ 'it\\'s' }}`), "it's");
  assert.equal(render(`{{ "say \\"hi\\"" }}`), 'say "hi"');
  assert.equal(render(`{{ 'a\\\\b' }}`), 'a\\b');
  // Pebble keeps other backslash sequences as written (useful in shell commands).
  assert.equal(render(`{{ 'a\\nb' }}`), 'a\\nb');
  assert.equal(render(`{{ '}}' }}`), '}}');
});

test('numbers, booleans and null print in plain form', () => {
  assert.equal(render('{{ 42 }}'), '42');
  assert.equal(render('{{ 2.5 }}'), '2.5');
  assert.equal(render('{{ -7 }}'), '-7');
  assert.equal(render('{{ true }}|{{ false }}|{{ TRUE }}'), 'true|false|true');
  assert.equal(render('[{{ null }}]'), '[]');
  assert.equal(render('[{{ none }}]'), '[]');
});

test('lists and maps print as JSON', () => {
  assert.equal(render('{{ [1, "two", [3]] }}'), '[1,"two",[3]]');
  assert.equal(render(`{{ {'a': 1, "b": [true, null]} }}`), '{"a":1,"b":[true,null]}');
  assert.equal(render('{{ {} }}'), '{}');
  assert.equal(render('{{ inputs.list }}'), '[3,1,2]');
  assert.equal(render('{{ vars.map }}'), '{"b":2,"a":1}');
});

test('dates print as ISO 8601 with milliseconds', () => {
  assert.equal(render('{{ when }}', { when: new Date('2024-01-02T03:04:05.006Z') }), '2024-01-02T03:04:05.006Z');
});

test('dot, bracket and index access', () => {
  assert.equal(render('{{ inputs.name }}'), 'World');
  assert.equal(render(`{{ inputs['name'] }}`), 'World');
  assert.equal(render(`{{ inputs["name"] }}`), 'World');
  assert.equal(render(`{{ vars["x-y"] }}`), 'dash');
  assert.equal(render(`{{ outputs['my-task'].vars.x }}`), '1');
  assert.equal(render('{{ inputs.list[0] }}{{ inputs.list[2] }}'), '32');
  assert.equal(render('{{ inputs.list.1 }}'), '1');
  assert.equal(render('{{ inputs.nested.deep.value }}'), '42');
  assert.equal(render(`{{ inputs['nested']['deep'].value }}`), '42');
  assert.equal(render('{{ inputs[key] }}', { key: 'name' }), 'World');
  assert.equal(render('{{ [10, 20][1] }}'), '20');
  assert.equal(render(`{{ {'a': {'b': 'c'}}.a.b }}`), 'c');
});

test('text around blocks is copied exactly, including newlines', () => {
  assert.equal(render('echo "{{ inputs.name }}"\nls {{ workingDir }}/x\n'), 'echo "World"\nls /tmp/wd/x\n');
});

test('comments are dropped', () => {
  assert.equal(render('a{# a comment with {{ braces }} #}b'), 'ab');
});

test('whitespace control trims around a block', () => {
  assert.equal(render('a   {{- inputs.name -}}   b'), 'aWorldb');
  assert.equal(render('x\n  {%- if true -%}\n  y\n  {%- endif %}'), 'xy');
});

test('a key whose value is undefined counts as missing; a null value prints empty', () => {
  const runtime = makeRuntime();
  assert.equal(renderTemplate('[{{ a }}]', { a: null }, runtime), '[]');
  assert.throws(() => renderTemplate('{{ a }}', { a: undefined }, runtime), /undefined variable 'a'/);
});

test('keys of the prototype are never visible', () => {
  assert.throws(() => render('{{ inputs.constructor }}'), /undefined variable 'inputs.constructor'/);
  assert.throws(() => render('{{ toString }}'), /undefined variable 'toString'/);
});

test('double-quoted strings interpolate #{...}; single-quoted ones do not', () => {
  assert.equal(render('{{ "Hello #{inputs.name}!" }}'), 'Hello World!');
  assert.equal(render('{{ "#{inputs.count + 1}#{inputs.tags | join}" | upper }}'), '6AB');
  assert.equal(render(`{{ '#{inputs.name}' }}`), '#{inputs.name}');
  assert.equal(render(`{{ "x #{ {'k': inputs.name}.k } y" }}`), 'x World y');
});

test('map keys are expressions; a bare undefined word gets a quoting hint', () => {
  assert.equal(render(`{{ {inputs.name: 1} }}`), '{"World":1}');
  assert.throws(() => render('{{ {a: 1} }}'), /undefined variable 'a' in \{\{ \{a: 1\} \}\} \(map keys are expressions; quote a literal key: \{'a': \.\.\.\}\)/);
});
