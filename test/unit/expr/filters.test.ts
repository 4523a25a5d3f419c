import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { render } from './support.ts';

test('default: used for missing, null and empty values, not for others', () => {
  assert.equal(render(`{{ inputs.nope | default('d') }}`), 'd');
  assert.equal(render(`{{ nope.a.b | default('d') }}`), 'd');
  assert.equal(render(`{{ inputs.nothing | default('d') }}`), 'd');
  assert.equal(render(`{{ inputs.empty | default('d') }}`), 'd');
  assert.equal(render(`{{ inputs.list[9] | default('d') }}`), 'd');
  assert.equal(render(`{{ inputs.name | default('d') }}`), 'World');
  assert.equal(render(`{{ 0 | default('d') }}`), '0');
  assert.equal(render(`{{ inputs.nope | default(inputs.count) }}`), '5');
  assert.equal(render(`{{ inputs.nope | default(default='named') }}`), 'named');
});

test('default does not hide failures that are not about a missing value', () => {
  assert.throws(() => render(`{{ (1 / 0) | default('d') }}`), /division by zero/);
});

test('upper, lower, capitalize, title, trim', () => {
  assert.equal(render(`{{ 'hello World' | upper }}`), 'HELLO WORLD');
  assert.equal(render(`{{ 'Hello World' | lower }}`), 'hello world');
  assert.equal(render(`{{ 'hello world' | capitalize }}`), 'Hello world');
  assert.equal(render(`{{ 'hello big world' | title }}`), 'Hello Big World');
  assert.equal(render(`[{{ '  padded \n' | trim }}]`), '[padded]');
  assert.equal(render(`[{{ inputs.nothing | upper }}]`), '[]');
  assert.throws(() => render(`{{ [1] | upper }}`), /filter 'upper': expected the input to be a string, got a list/);
});

test('length of strings, lists, maps and null', () => {
  assert.equal(render(`{{ 'abc' | length }} {{ inputs.list | length }} {{ vars.map | length }} {{ inputs.nothing | length }}`), '3 3 2 0');
  assert.throws(() => render('{{ 5 | length }}'), /cannot take the length of a number/);
});

test('join and split', () => {
  assert.equal(render(`{{ inputs.tags | join(', ') }}`), 'a, b');
  assert.equal(render(`{{ inputs.list | join }}`), '312');
  assert.equal(render(`{{ 'a,b,,c' | split(',') }}`), '["a","b","","c"]');
  assert.equal(render(`{{ 'a,b,c' | split(',', 2) }}`), '["a","b,c"]');
});

test('split takes a regular expression and drops trailing empty parts, as Java does', () => {
  assert.equal(render(`{{ 'a.b.c' | split('\\\\.') | last }}`), 'c');
  assert.equal(render(`{{ 'a.b.c' | split('.') }}`), '[]');
  assert.equal(render(`{{ 'a1b22c' | split('[0-9]+') }}`), '["a","b","c"]');
  assert.equal(render(`{{ 'a,b,,' | split(',') }}`), '["a","b"]');
  assert.equal(render(`{{ 'a,b,,' | split(',', -1) }}`), '["a","b","",""]');
});

test('replace with a map of pairs, with two arguments, and with a regexp', () => {
  assert.equal(render(`{{ 'hello world' | replace({'hello': 'bye', 'world': 'moon'}) }}`), 'bye moon');
  assert.equal(render(`{{ 'a-b-c' | replace('-', '_') }}`), 'a_b_c');
  assert.equal(render(`{{ 'a1b22' | replace('[0-9]+', '#', regexp=true) }}`), 'a#b#');
});

test('abs, number', () => {
  assert.equal(render('{{ -3.5 | abs }}'), '3.5');
  assert.equal(render(`{{ '42' | number + 1 }}`), '43');
  // A fraction makes a double, and a double prints as Java does.
  assert.equal(render(`{{ ' 2.5 ' | number * 2 }}`), '5.0');
  assert.equal(render(`{{ '12.0' | number }} {{ '12' | number('DOUBLE') }} {{ '12' | number }}`), '12.0 12.0 12');
  assert.equal(render(`{{ '9223372036854775807' | number }} {{ ['9223372036854775807' | number] }}`), '9223372036854775807 [9223372036854775807]');
  assert.equal(render(`{{ '7' | number('INT') }}`), '7');
  assert.throws(() => render(`{{ '2.5' | number('INT') }}`), /filter 'number': cannot convert the string to a whole number/);
  assert.throws(() => render(`{{ 'abc' | number }}`), /filter 'number': cannot convert the string to a number/);
});

test('first, last, keys, values', () => {
  assert.equal(render('{{ inputs.list | first }} {{ inputs.list | last }}'), '3 2');
  assert.equal(render(`{{ 'xyz' | first }}{{ 'xyz' | last }}`), 'xz');
  assert.equal(render('[{{ [] | first }}]'), '[]');
  assert.equal(render('{{ vars.map | keys }} {{ vars.map | values }}'), '["b","a"] [2,1]');
  assert.equal(render('{{ inputs.list | keys }}'), '[0,1,2]');
  assert.throws(() => render('{{ inputs.name | keys }}'), /filter 'keys': expected the input to be a map, got a string/);
});

test('sort, rsort, reverse', () => {
  assert.equal(render('{{ inputs.list | sort }}'), '[1,2,3]');
  assert.equal(render('{{ inputs.list | rsort }}'), '[3,2,1]');
  assert.equal(render(`{{ ['b', 'c', 'a'] | sort }}`), '["a","b","c"]');
  assert.equal(render('{{ inputs.list | reverse }}'), '[2,1,3]');
  assert.equal(render(`{{ 'abc' | reverse }}`), 'cba');
  assert.equal(render('{{ inputs.list }}'), '[3,1,2]', 'sorting does not change the input');
});

test('slice on strings and lists', () => {
  assert.equal(render(`{{ 'abcdef' | slice(1, 3) }}`), 'bc');
  assert.equal(render(`{{ 'abcdef' | slice(2) }}`), 'cdef');
  assert.equal(render('{{ inputs.list | slice(0, 2) }}'), '[3,1]');
  assert.throws(() => render(`{{ 'abc' | slice(0, 9) }}`), /cannot slice from 0 to 9: the input has 3 characters/);
});

test('json and toJson write JSON text', () => {
  assert.equal(render('{{ vars.map | toJson }}'), '{"b":2,"a":1}');
  assert.equal(render(`{{ 'quote"d' | json }}`), '"quote\\"d"');
  assert.equal(render('{{ inputs.nothing | toJson }}'), 'null');
  assert.equal(render('{{ 3 | toJson }}'), '3');
});

test('urlencode, base64encode, base64decode, hashes', () => {
  assert.equal(render(`{{ 'a b&c=d/é!*' | urlencode }}`), 'a+b%26c%3Dd%2F%C3%A9%21*');
  assert.equal(render(`{{ 'hello' | base64encode }}`), 'aGVsbG8=');
  assert.equal(render(`{{ 'aGVsbG8=' | base64decode }}`), 'hello');
  assert.throws(() => render(`{{ 'not base64!' | base64decode }}`), /not valid base64/);
  assert.equal(render(`{{ 'abc' | sha256 }}`), createHash('sha256').update('abc').digest('hex'));
  assert.equal(render(`{{ 'abc' | md5 }}`), createHash('md5').update('abc').digest('hex'));
});

test('abbreviate', () => {
  assert.equal(render(`{{ 'this is long' | abbreviate(7) }}`), 'this...');
  assert.equal(render(`{{ 'short' | abbreviate(10) }}`), 'short');
});

test('Kestra string helpers: substringBefore/After, slugify, indent', () => {
  assert.equal(render(`{{ 'a/b/c' | substringBefore('/') }} {{ 'a/b/c' | substringAfterLast('/') }}`), 'a c');
  assert.equal(render(`{{ 'a/b/c' | substringAfter('/') }} {{ 'a/b/c' | substringBeforeLast('/') }}`), 'b/c a/b');
  assert.equal(render(`{{ 'Héllo, World!' | slugify }}`), 'hello-world');
  assert.equal(render(`{{ text | indent(2) }}`, { text: 'a\nb' }), 'a\n  b');
  assert.equal(render(`{{ text | nindent(2) }}`, { text: 'a\nb' }), '\n  a\n  b');
});

test('list helpers: distinct, flatten, chunk, merge', () => {
  assert.equal(render('{{ [1, 2, 1, 3, 2] | distinct }}'), '[1,2,3]');
  assert.equal(render('{{ [1, [2, [3]]] | flatten }}'), '[1,2,3]');
  assert.equal(render('{{ [1, 2, 3] | chunk(2) }}'), '[[1,2],[3]]');
  assert.equal(render(`{{ {'a': 1} | merge({'b': 2}) }}`), '{"a":1,"b":2}');
});

test('yaml writes YAML text', () => {
  // Kestra's mapper indents list items by one space (Jackson's INDENT_ARRAYS).
  assert.equal(render(`{{ {'a': [1, 2]} | yaml }}`), 'a:\n - 1\n - 2\n');
  assert.equal(render(`{{ ['x', 1, 1.5] | yaml }}`), ' - x\n - 1\n - 1.5\n');
  assert.equal(render(`{{ [{'a': 1, 'b': [true]}] | yaml }}`), ' - a: 1\n   b:\n    - true\n');
  assert.equal(render(`{{ {'m': {'k': 'two words', 'e': []}} | yaml }}`), 'm:\n  k: two words\n  e: []\n');
  assert.equal(render(`{{ 'multi\nline' | yaml }}`), '"multi\\nline"\n');
  assert.equal(render(`{{ null | yaml }}`), 'null\n');
  assert.equal(render(`{{ ['yes', 'true', 'plain'] | yaml }}`), ' - "yes"\n - "true"\n - plain\n');
});

test('filter arguments are checked when parsing', () => {
  assert.throws(() => render(`{{ 'a' | upper(1) }}`), /filter 'upper' takes no arguments, got 1/);
  assert.throws(() => render(`{{ 'a' | abbreviate }}`), /filter 'abbreviate' needs the argument 'length'/);
  assert.throws(() => render(`{{ now() | date(fromat='yyyy') }}`), /filter 'date' has no argument 'fromat' \(did you mean 'format'\?\)/);
});

test('unknown filters are syntax errors naming the nearest known one', () => {
  assert.throws(() => render(`{{ inputs.name | uper }}`), /syntax error: unknown filter 'uper' \(did you mean 'upper'\?\) in \{\{ inputs.name \| uper \}\}/);
});

test('the remaining small filters: urldecode, string, sha1, sha512, jsonEncode, uniq', () => {
  assert.equal(render(`{{ 'a+b%26c' | urldecode }}`), 'a b&c');
  assert.equal(render(`{{ inputs.list | string }}`), '[3,1,2]');
  assert.equal(render(`{{ 'abc' | sha1 }}`), createHash('sha1').update('abc').digest('hex'));
  assert.equal(render(`{{ 'abc' | sha512 }}`), createHash('sha512').update('abc').digest('hex'));
  assert.equal(render(`{{ [1, 'a'] | jsonEncode }}`), '[1,"a"]');
  assert.equal(render(`{{ ['a', 'b', 'a'] | uniq }}`), '["a","b"]');
});

test('every filter passes null through or handles it without crashing', async () => {
  const { FILTERS } = await import('../../../src/expr/filters.ts');
  const needsArgument: Record<string, string> = {
    default: `'d'`, abbreviate: '5', substringBefore: `'/'`, substringBeforeLast: `'/'`, substringAfter: `'/'`,
    substringAfterLast: `'/'`, indent: '2', nindent: '2', split: `','`, replace: `'a', 'b'`, chunk: '2', merge: `{}`, dateAdd: `1, 'DAYS'`,
    startsWith: `'a'`, endsWith: `'a'`, escapeChar: `'shell'`, numberFormat: `'#'`, jq: `'.'`,
  };
  for (const name of Object.keys(FILTERS)) {
    const args = needsArgument[name] ? `(${needsArgument[name]})` : '';
    try {
      render(`{{ inputs.nothing | ${name}${args} }}`);
    } catch (error) {
      assert.match((error as Error).message, new RegExp(`filter '${name}': expected`), `${name} failed badly`);
    }
  }
});

test('escapeChar escapes quotes for single, double and shell quoting, inside lists and maps too', () => {
  assert.equal(render(`{{ "L'eau c'est la vie" | escapeChar('single') }}`), "L\\'eau c\\'est la vie");
  assert.equal(render(`{{ '"Hello"' | escapeChar('double') }}`), '\\"Hello\\"');
  assert.equal(render(`{{ "it's" | escapeChar('SHELL') }}`), "it'\\''s");
  assert.equal(render(`{{ ["a'b", {'k': "c'd"}] | escapeChar('single') }}`), `["a\\\\'b",{"k":"c\\\\'d"}]`);
  assert.equal(render(`{{ '' | escapeChar('shell') }}`), '');
  assert.throws(() => render(`{{ 'x' | escapeChar('foo') }}`), /filter 'escapeChar': the type must be 'single', 'double' or 'shell', got 'foo'/);
});

test('toIon writes Ion text as Kestra does', () => {
  assert.equal(render(`{{ 'string' | toIon }} {{ 1 | toIon }} {{ true | toIon }} {{ null | toIon }}`), '"string" 1 true null');
  assert.equal(render(`{{ {'empty_object': {}, 'two words': [1, 1.5, 2.0]} | toIon }}`), `{empty_object:{},'two words':[1,1.5e0,2e0]}`);
});

test('startsWith, endsWith and numberFormat', () => {
  assert.equal(render(`{{ 'Hello World' | startsWith('Hello') }} {{ 'Hello World' | endsWith('Hello') }}`), 'true false');
  assert.equal(render(`{{ 1.232654 | numberFormat('#.##') }} {{ 1234567.891 | numberFormat('#,##0.00') }} {{ 0.5 | numberFormat('#.##') }}`), '1.23 1,234,567.89 .5');
  assert.equal(render(`{{ 2.5 | numberFormat('0') }} {{ 3.5 | numberFormat('0') }} {{ 0.256 | numberFormat('0.0%') }} {{ 7 | numberFormat('000') }}`), '2 4 25.6% 007');
  assert.throws(() => render(`{{ 'x' | numberFormat('#') }}`), /filter 'numberFormat': expected a number, got a string/);
});

test('jq runs real jq and returns the list of its outputs', () => {
  assert.equal(render(`{{ [1, 2, 3] | jq('.[0]') | first }}`), '1');
  assert.equal(render(`{{ {'a': {'b': [1, 2, 3]}} | jq('.a.b[]') }}`), '[1,2,3]');
  assert.equal(render(`{{ '{"x": [{"n": "a"}, {"n": "b"}]}' | jq('[.x[].n] | join("-")') | first }}`), 'a-b');
  assert.equal(render(`{{ {'f': 1.5, 'd': 2.0, 'big': 12345678901234567890} | jq('.') | first }}`), '{"f":1.5,"d":2.0,"big":12345678901234567890}');
  assert.equal(render(`{{ {'a': 1} | jq('.missing') }}`), '[null]');
  assert.equal(render(`{% set picked = {'object': {'key': 'value'}} | jq('.object') %}{{ picked[0].key }}`), 'value');
  assert.throws(() => render(`{{ {'a': 1} | jq('.a |||') }}`), /filter 'jq': .*syntax error/);
  assert.throws(() => render(`{{ {'a': 1} | jq('.a.b') }}`), /filter 'jq': Cannot index number with string \("b"\)/);
  assert.throws(() => render(`{{ 'not json' | jq('.') }}`), /filter 'jq': /);
});

test('capitalize, abbreviate, title follow Pebble', () => {
  assert.equal(render(`{{ ' \nthis should be capitalized.' | capitalize }}`), ' \nThis should be capitalized.');
  assert.equal(render(`{{ '1234567' | abbreviate(2) }} {{ 'abc' | abbreviate(2) }} {{ 'abcdef' | abbreviate(7) }} {{ 'abcdef' | abbreviate(6) }}`), '12 abc abcdef abc...');
});

test('indent and nindent pad after every line break, blank lines and CR/CRLF included', () => {
  assert.equal(render(`{{ '' | indent(2) }}|{{ '' | nindent(2) }}|{{ null | nindent(2) }}`), '||');
  assert.equal(render(`{{ "\n\n" | indent(2) }}`), '\n  \n  ');
  assert.equal(render(`{{ "\n\n" | nindent(2) }}`), '\n  \n  \n  ');
  assert.equal(render(`{{ "a\r\nb" | indent(2) }}`), 'a\r\n  b');
  assert.equal(render(`{{ "a\rb" | nindent(2) }}`), '\r  a\r  b');
  assert.equal(render(`{{ "a\nb" | nindent(1, "\t") }}`), '\n\ta\n\tb');
  assert.throws(() => render(`{{ 'a' | indent(-1) }}`), /filter 'indent': the amount must be 0 or more/);
});

test('base64decode refuses what Java refuses; merge follows Pebble', () => {
  assert.equal(render(`{{ 'dGVzdA==' | base64decode }} {{ 'dGVzdA' | base64decode }}`), 'test test');
  assert.throws(() => render(`{{ 'this is not base64' | base64decode }}`), /filter 'base64decode': the input is not valid base64/);
  assert.throws(() => render(`{{ 'dGVzd' | base64decode }}`), /not valid base64/);
  assert.equal(render(`{% set m = {'one': 1} | merge(['two']) %}{{ m['two'] }}`), 'two');
  assert.equal(render(`{% set l = [1] | merge({'two': 2}) %}{{ l[1].key }}={{ l[1].value }}`), 'two=2');
  assert.throws(() => render(`{{ [1] | merge('No way!') }}`), /filter 'merge': only a list or a map can be merged, got a string/);
});

test('tests may be written with empty parentheses, as Pebble allows', () => {
  assert.equal(render(`{% if null is empty() %}y{% endif %}{% if [] is not iterable() %}n{% else %}y{% endif %}`), 'yy');
  assert.throws(() => render(`{{ 1 is even(2) }}`), /test 'even' takes no arguments, got 1/);
});
