import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../../src/expr/index.ts';
import { ExpressionError } from '../../../src/shared/errors.ts';
import { makeRuntime, render, scope } from './support.ts';

test('secret() asks the runtime and returns its value', () => {
  const runtime = makeRuntime({ API_KEY: 's3cr3t', OTHER: 'x' });
  assert.equal(renderTemplate(`token={{ secret('API_KEY') }}`, scope, runtime), 'token=s3cr3t');
  assert.deepEqual(runtime.asked, ['API_KEY']);
});

test('secret() failures from the runtime name the expression and where', () => {
  const runtime = makeRuntime({});
  assert.throws(
    () => renderTemplate(`{{ secret('MISSING') }}`, scope, runtime, "task 'k8s', property 'config.oauthToken'"),
    (error: unknown) => {
      assert.ok(error instanceof ExpressionError);
      assert.match(error.message, /^task 'k8s', property 'config.oauthToken': secret\(\): secret 'MISSING' is not defined in \{\{ secret\('MISSING'\) \}\}$/);
      return true;
    },
  );
});

test('secret() needs a name', () => {
  assert.throws(() => render('{{ secret() }}'), /function 'secret' needs the argument 'key'/);
  assert.throws(() => render(`{{ secret('') }}`), /expected the secret name to be a non-empty string/);
});

test('now() prints as Kestra does (iso, microseconds) and takes the date arguments', () => {
  assert.equal(render('{{ now() }}'), '2024-03-05T10:11:12.345000Z');
  assert.equal(render(`{{ now(format='iso_local_date') }}`), '2024-03-05');
  assert.equal(render(`{{ now(format='HH:mm', timeZone='Europe/Paris') }}`), '11:11');
  assert.equal(render(`{{ now() | date('yyyy') }}`), '2024');
  assert.equal(render(`{{ now() | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}`), '2024-03-06');
});

test('now() defaults to the real clock when the runtime has none', () => {
  const before = Date.now();
  const printed = renderTemplate('{{ now() }}', {}, { secret: () => '' });
  const value = Date.parse(printed);
  assert.ok(value >= before - 1 && value <= Date.now() + 1, printed);
});

test('render() renders a string that holds expressions, against the same scope', () => {
  assert.equal(render('{{ render(vars.greeting) }}'), 'Hi World');
  assert.equal(render(`{{ render('plain') }}`), 'plain');
  assert.equal(render('{{ render(inputs.count) }}'), '5');
  assert.equal(render('{% for x in inputs.tags %}{{ render(t) }}{% endfor %}', { t: '<{{ x }}>' }), '<a><b>');
});

test('render() renders again until the text stops changing, unless recursive=false', () => {
  const extra = { a: '{{ b }}', b: '{{ c }}', c: 'end' };
  assert.equal(render('{{ render(a) }}', extra), 'end');
  assert.equal(render('{{ render(a, recursive=false) }}', extra), '{{ c }}');
});

test('render() failures name the inner and the outer expression', () => {
  assert.throws(
    () => renderTemplate('{{ render(t) }}', { t: 'x {{ nope }}' }, makeRuntime(), "task 'a', property 'b'"),
    /^ExpressionError: task 'a', property 'b': render\(\): undefined variable 'nope' in \{\{ nope \}\} \(defined: t\) in \{\{ render\(t\) \}\}$/,
  );
  assert.throws(() => render('{{ render(t) }}', { t: '{{ 1 + }}' }), /render\(\): syntax error: expected a value/);
});

test('render() that renders itself forever stops with an error', () => {
  assert.throws(() => render('{{ render(t) }}', { t: '{{ render(t) }}' }), /nested more than 8 levels deep/);
});

test('fromJson() parses JSON text', () => {
  assert.equal(render('{{ fromJson(vars.json).k[1] }}'), '2');
  assert.equal(render(`{{ fromJson('[1, 2]') | length }}`), '2');
  assert.equal(render(`{{ json('{"a": true}').a }}`), 'true');
  assert.throws(() => render(`{{ fromJson('{bad') }}`), /fromJson\(\): the string is not valid JSON/);
});

test('range() is inclusive, with an optional step', () => {
  assert.equal(render('{{ range(1, 3) }}'), '[1,2,3]');
  assert.equal(render('{{ range(0, 10, 5) }}'), '[0,5,10]');
  assert.equal(render('{{ range(3, 1, -1) }}'), '[3,2,1]');
  assert.equal(render('{{ range(3, 1) }}'), '[]');
  assert.throws(() => render('{{ range(1, 3, 0) }}'), /the step must be a non-zero number/);
});

test('min(), max() and yaml()', () => {
  assert.equal(render('{{ max(1, 7, 3) }} {{ min(inputs.list) }}'), '7 1');
  assert.equal(render(`{{ yaml('a: [1, 2]').a[1] }}`), '2');
});

test('unknown functions are syntax errors with a suggestion', () => {
  assert.throws(() => render(`{{ secrte('A') }}`), /unknown function 'secrte' \(did you mean 'secret'\?\)/);
});

test('Java methods flows use on strings, lists and maps', () => {
  assert.equal(render(`{{ inputs.name.startsWith('W') }} {{ inputs.name.endsWith('x') }}`), 'true false');
  assert.equal(render(`{{ inputs.name.toUpperCase() }} {{ inputs.name.length() }} {{ inputs.name.substring(1, 3) }}`), 'WORLD 5 or');
  assert.equal(render(`{{ outputs.first.uri.replace('kestra://', '') }}`), 'ns/file.txt');
  assert.equal(render(`{{ inputs.list.size() }} {{ inputs.list.contains(2) }} {{ inputs.list.get(0) }}`), '3 true 3');
  assert.equal(render(`{{ vars.map.containsKey('a') }} {{ vars.map.get('b') }} {{ vars.map.keySet() }}`), 'true 2 ["b","a"]');
  assert.equal(render(`{{ 'a1'.matches('[a-z][0-9]') }}`), 'true');
  assert.throws(() => render('{{ inputs.list.startsWith(1) }}'), /method 'startsWith\(\)': can only be called on a string, not on a list/);
  assert.throws(() => render('{{ inputs.name.substring(9) }}'), /beginIndex 9 is out of range for length 5/);
  assert.throws(() => render('{{ inputs.name.shout() }}'), /unknown method 'shout'/);
  assert.throws(() => render('{{ inputs.nothing.trim() }}'), /cannot call 'trim\(\)' on 'inputs.nothing' because 'inputs.nothing' is null/);
});

test('error messages never contain a secret value', () => {
  const templates = [
    `{{ secret('API_KEY') | number }}`,
    `{{ secret('API_KEY') * 2 }}`,
    `{{ secret('API_KEY') | date('yyyy') }}`,
    `{{ secret('API_KEY').field }}`,
    `{{ inputs.nothing[secret('API_KEY')] }}`,
    `{{ inputs.list[secret('API_KEY')] }}`,
    `{{ secret('API_KEY') is even }}`,
    `{{ secret('API_KEY') < 3 }}`,
    `{{ fromJson(secret('API_KEY')) }}`,
  ];
  for (const template of templates) {
    assert.throws(
      () => render(template),
      (error: Error) => !error.message.includes('s3cr3t') && error.message.includes(template),
      template,
    );
  }
});

test('JSON and YAML parse errors give a position, not the text', () => {
  assert.throws(() => render(`{{ fromJson('{bad') }}`), /fromJson\(\): the string is not valid JSON \(at character 1\) in/);
  assert.throws(() => render(`{{ yaml('a: [1') }}`), /yaml\(\): the string is not valid YAML \(line \d+\)/);
});

test('render() and renderOnce() render the strings inside maps and lists', () => {
  const vars = { first: '1', second: '{{ v.first }}', third: '{{ v.second }}', map: { k: '{{ v.third }}' }, list: ['{{ v.third }}'] };
  assert.equal(render('{{ render(v.map) }} {{ render(v.list) }}', { v: vars }), '{"k":"1"} ["1"]');
  assert.equal(render('{{ render(v.map, recursive=false) }}', { v: vars }), '{"k":"{{ v.second }}"}');
  assert.equal(render('{{ renderOnce(v.third) }} {{ renderOnce(v.list) }}', { v: vars }), '{{ v.first }} ["{{ v.second }}"]');
  assert.equal(render('{{ render(42) }} {{ render(true) }}'), '42 true');
});

test('uuid(), id() and randomInt()', () => {
  assert.match(render('{{ uuid() }}'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(render('{{ id() }}'), /^[0-9A-Za-z]{22}$/);
  assert.notEqual(render('{{ id() }}'), render('{{ id() }}'));
  for (let i = 0; i < 50; i++) {
    const value = Number(render('{{ randomInt(1, 4) }}'));
    assert.ok(value >= 1 && value < 4, String(value));
  }
  assert.equal(render('{{ randomInt(7, 7) }}'), '7');
  assert.throws(() => render('{{ randomInt(5, 1) }}'), /randomInt\(\): upper \(1\) is less than lower \(5\)/);
  assert.throws(() => render(`{{ randomInt('1', 10) }}`), /randomInt\(\): expected lower to be a whole number, got a string/);
  assert.throws(() => render('{{ randomInt(1) }}'), /function 'randomInt' needs the argument 'upper'/);
});

test('range() over single characters, and the .. operator', () => {
  assert.equal(render(`{% for c in range('a', 'e') %}{{ c }}{% endfor %}`), 'abcde');
  assert.equal(render(`{% for c in range('f', 'a', -2) %}{{ c }}{% endfor %}`), 'fdb');
  assert.equal(render(`{{ 'a'..'c' }}`), '["a","b","c"]');
  assert.equal(render(`{% for i in range(0, 5.5) %}{{ i }}{% endfor %}`), '012345');
  assert.throws(() => render(`{{ 'a'..5 }}`), /the start and end must both be numbers or both be single characters/);
  assert.throws(() => render(`{{ range('ab', 'c') }}`), /both be single characters/);
});
