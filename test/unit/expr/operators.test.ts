import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from './support.ts';

test('arithmetic, with Pebble whole-number division', () => {
  assert.equal(render('{{ 1 + 2 }}'), '3');
  assert.equal(render('{{ 10 - 4 - 3 }}'), '3');
  assert.equal(render('{{ 3 * 4 }}'), '12');
  assert.equal(render('{{ 10 / 4 }}'), '2');
  assert.equal(render('{{ -7 / 2 }}'), '-3');
  assert.equal(render('{{ 10 / 4.0 }}'), '2.5');
  assert.equal(render('{{ 2.5 * 2 }}'), '5.0');
  assert.equal(render('{{ 10 % 3 }}'), '1');
  assert.equal(render('{{ -10 % 3 }}'), '-1');
  assert.equal(render('{{ inputs.count * inputs.ratio }}'), '12.5');
});

test('precedence: * before +, parentheses, left associativity', () => {
  assert.equal(render('{{ 1 + 2 * 3 }}'), '7');
  assert.equal(render('{{ (1 + 2) * 3 }}'), '9');
  assert.equal(render('{{ 20 / 2 / 5 }}'), '2');
  assert.equal(render('{{ 2 - 3 + 4 }}'), '3');
});

test('unary minus and plus', () => {
  assert.equal(render('{{ -inputs.count }}'), '-5');
  assert.equal(render('{{ +inputs.count }}'), '5');
  assert.equal(render('{{ 3 - -2 }}'), '5');
  assert.throws(() => render(`{{ -'a' }}`), /'-' needs numbers, but its operand side is a string/);
});

test('+ concatenates when a side is a string; ~ always concatenates', () => {
  assert.equal(render(`{{ 'a' + 1 }}`), 'a1');
  assert.equal(render(`{{ inputs.name ~ '-' ~ inputs.count }}`), 'World-5');
  assert.equal(render(`{{ 1 ~ 2 }}`), '12');
  assert.equal(render(`{{ 'x' ~ null ~ 'y' }}`), 'xy');
  assert.equal(render(`{{ [1] ~ 'z' }}`), '[1]z');
});

test('comparison operators', () => {
  assert.equal(render('{{ 1 < 2 }} {{ 2 < 1 }} {{ 2 <= 2 }} {{ 3 > 2 }} {{ 3 >= 4 }}'), 'true false true true false');
  assert.equal(render(`{{ 'abc' < 'abd' }}`), 'true');
  assert.equal(render('{{ inputs.count == 5 }} {{ inputs.count != 5 }}'), 'true false');
  assert.equal(render(`{{ inputs.name == 'World' }} {{ inputs.name equals 'World' }}`), 'true true');
  assert.equal(render(`{{ 1 == '1' }}`), 'false');
  assert.equal(render('{{ [1, [2]] == [1, [2]] }}'), 'true');
  assert.equal(render(`{{ {'a': 1} == {'a': 1} }} {{ {'a': 1} == {'a': 2} }}`), 'true false');
  assert.equal(render('{{ null == null }} {{ inputs.nothing == null }}'), 'true true');
  assert.equal(render('{{ null < 1 }}'), 'false');
  assert.throws(() => render(`{{ 1 < 'a' }}`), /'<' cannot compare a number with a string/);
});

test('boolean operators, not, and their precedence', () => {
  assert.equal(render('{{ true and false }} {{ true or false }} {{ not true }}'), 'false true false');
  assert.equal(render('{{ true or false and false }}'), 'true');
  assert.equal(render('{{ (true or false) and false }}'), 'false');
  assert.equal(render('{{ not false and false }}'), 'false');
  assert.equal(render('{{ not (1 == 2) }}'), 'true');
  assert.equal(render('{{ 1 < 2 and 2 < 3 }}'), 'true');
  // Only the needed side is evaluated.
  assert.equal(render('{{ true or missing.thing }}'), 'true');
  assert.equal(render('{{ false and missing.thing }}'), 'false');
});

test('in and not in', () => {
  assert.equal(render(`{{ 'a' in inputs.tags }} {{ 'z' in inputs.tags }}`), 'true false');
  assert.equal(render(`{{ 'z' not in inputs.tags }}`), 'true');
  assert.equal(render(`{{ 'a' in {'a': 1} }} {{ 'orl' in inputs.name }}`), 'true true');
  assert.equal(render(`{{ 1 in ['1', '2'] }}`), 'true');
  assert.equal(render(`{{ 'a' in null }}`), 'false');
  assert.throws(() => render('{{ 1 in 2 }}'), /'in' needs a list, a map or a string on its right side, got a number/);
});

test('contains', () => {
  assert.equal(render(`{{ inputs.tags contains 'b' }} {{ inputs.name contains 'x' }}`), 'true false');
  assert.equal(render(`{{ vars.map contains 'a' }} {{ inputs.list contains [1, 2] }}`), 'true true');
});

test('is tests: defined, null, empty, even, odd, iterable, map, json; and is not', () => {
  assert.equal(render('{{ inputs.name is defined }} {{ inputs.nope is defined }} {{ nope.deeper is defined }}'), 'true false false');
  assert.equal(render('{{ inputs.nothing is defined }}'), 'false');
  assert.equal(render('{{ inputs.nothing is null }} {{ inputs.nope is null }} {{ inputs.name is null }}'), 'true true false');
  assert.equal(render('{{ inputs.name is not null }} {{ inputs.nope is not defined }}'), 'true true');
  assert.equal(render(`{{ inputs.empty is empty }} {{ '  ' is empty }} {{ [] is empty }} {{ {} is empty }} {{ inputs.name is empty }}`), 'true true true true false');
  assert.equal(render('{{ 4 is even }} {{ 3 is odd }} {{ -3 is odd }} {{ 3 is even }}'), 'true true true false');
  assert.equal(render('{{ inputs.list is iterable }} {{ inputs.name is iterable }}'), 'true false');
  assert.equal(render('{{ vars.map is map }} {{ inputs.list is map }}'), 'true false');
  assert.equal(render('{{ vars.json is json }} {{ inputs.name is json }}'), 'true false');
  assert.throws(() => render(`{{ 'a' is even }}`), /test 'even': the 'even' test needs a whole number, got a string/);
});

test('?? replaces missing or null values; ??? only missing ones', () => {
  assert.equal(render(`{{ inputs.nope ?? 'fallback' }}`), 'fallback');
  assert.equal(render(`{{ nope.deeper.still ?? 'fallback' }}`), 'fallback');
  assert.equal(render(`{{ inputs.nothing ?? 'fallback' }}`), 'fallback');
  assert.equal(render(`{{ inputs.name ?? 'fallback' }}`), 'World');
  assert.equal(render(`[{{ inputs.nothing ??? 'fallback' }}]`), '[]');
  assert.equal(render(`{{ inputs.nope ??? 'fallback' }}`), 'fallback');
  assert.equal(render(`{{ a ?? b ?? 'c' }}`), 'c');
});

test('ternary, nested and with lower-precedence operators inside', () => {
  assert.equal(render(`{{ inputs.count > 3 ? 'big' : 'small' }}`), 'big');
  assert.equal(render(`{{ inputs.flag ? 'yes' : 'no' }}`), 'yes');
  assert.equal(render(`{{ false ? 'a' : true ? 'b' : 'c' }}`), 'b');
  assert.equal(render(`{{ inputs.empty ? 'set' : 'unset' }}`), 'unset');
  // The branch not taken is not evaluated.
  assert.equal(render(`{{ true ? 'ok' : missing.value }}`), 'ok');
});

test('filters bind tighter than arithmetic and comparison, looser than ~ and ??', () => {
  assert.equal(render('{{ 1 + inputs.list | length }}'), '4');
  assert.equal(render('{{ inputs.list | length == 3 }}'), 'true');
  assert.equal(render(`{{ 'a' ~ 'b' | upper }}`), 'AB');
  assert.equal(render(`{{ inputs.nope ?? 'x' | upper }}`), 'X');
  assert.equal(render('{{ -5 | abs }}'), '5');
  assert.equal(render('{{ inputs.tags | join(",") | upper }}'), 'A,B');
});

test('.. builds an inclusive range', () => {
  assert.equal(render('{{ 1..4 }}'), '[1,2,3,4]');
  assert.equal(render('{% for i in 0..2 %}{{ i }}{% endfor %}'), '012');
});

test('list + value appends; arithmetic on non-numbers fails clearly', () => {
  assert.equal(render('{{ [1] + 2 }} {{ [1] + [2, 3] }}'), '[1,2] [1,2,3]');
  assert.throws(() => render(`{{ {'a': 1} * 2 }}`), /'\*' needs numbers, but its left side is a map/);
  assert.throws(() => render('{{ 1 / 0 }}'), /division by zero/);
  assert.throws(() => render('{{ 1 % 0 }}'), /modulo by zero/);
});

test('doubles print as Java prints them, longs stay exact past 2^53', () => {
  assert.equal(render('{{ 4.0 }} {{ -4.0 }} {{ 100.0 + 30.0 * 100.0 / 30.0 }} {{ 100.0 % 30.0 }}'), '4.0 -4.0 200.0 10.0');
  assert.equal(render('{{ 1.0 / 3 }}'), '0.3333333333333333');
  assert.equal(render('{{ 10000000.0 }} {{ 0.0001 * 1 }} {{ 1.0 / 0 }}'), '1.0E7 1.0E-4 Infinity');
  assert.equal(render('{{ 1 == 1.0 }} {{ [1.0, 2] contains 1 }} {{ 2 > 1.5 }}'), 'true true true');
  assert.equal(render('{{ 9007199254740993 * 1 }} {{ 9223372036854775807 - 1 }}'), '9007199254740993 9223372036854775806');
  assert.equal(render(`{{ {'a': 1.0, 'b': 2} | json }} {{ [1.0] | yaml }}`), '{"a":1.0,"b":2}  - 1.0\n');
  assert.throws(() => render('{{ 1 / 0 }}'), /division by zero/);
});

test('JSON and YAML text keep doubles and big integers as Jackson reads them', () => {
  assert.equal(render(`{{ fromJson('{"a": 1.0, "b": 12345678901234567890, "c": 2}') }}`), '{"a":1.0,"b":12345678901234567890,"c":2}');
  assert.equal(render(`{{ fromJson('[1.5e3]')[0] }} {{ yaml('x: 2.0').x }} {{ yaml('x: 2').x + 1 }}`), '1500.0 2.0 3');
});
