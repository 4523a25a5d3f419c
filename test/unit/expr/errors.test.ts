import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findExpressionSyntaxErrors, renderTemplate } from '../../../src/expr/index.ts';
import { MAX_EXPRESSION_DEPTH } from '../../../src/expr/expression-parser.ts';
import { MAX_TAG_NESTING } from '../../../src/expr/template-parser.ts';
import { ExpressionError } from '../../../src/shared/errors.ts';
import { makeRuntime, scope } from './support.ts';

const WHERE = "task 'hello', property 'commands[0]'";

function failure(template: string, extra: Record<string, unknown> = {}, where: string | undefined = WHERE): string {
  try {
    renderTemplate(template, { ...scope, ...extra }, makeRuntime(), where);
  } catch (error) {
    assert.ok(error instanceof ExpressionError, `expected an ExpressionError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${template} to fail`);
}

test('an undefined key names the path, the expression, the where and a near name', () => {
  assert.equal(
    failure('{{ inputs.nme }}', { inputs: { name: 'x' } }),
    "task 'hello', property 'commands[0]': undefined variable 'inputs.nme' in {{ inputs.nme }} (did you mean 'inputs.name'? defined: inputs.name)",
  );
});

test('an undefined root variable lists what is defined', () => {
  assert.equal(
    failure('echo {{ inptus.name }}'),
    `${WHERE}: undefined variable 'inptus' in {{ inptus.name }} (did you mean 'inputs'? defined: inputs, outputs, vars, flow, workingDir)`,
  );
});

test('without where the message starts with the problem', () => {
  assert.throws(() => renderTemplate('{{ nope }}', scope, makeRuntime()), /^ExpressionError: undefined variable 'nope' in \{\{ nope \}\}/);
});

test('no suggestion when nothing is close; long lists are cut', () => {
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, i]));
  const message = failure('{{ m.zzzzzz }}', { m: many });
  assert.doesNotMatch(message, /did you mean/);
  assert.match(message, /defined: m.key0, m.key1, .*m.key11, … \(20 in all\)\)$/);
});

test('an empty map says nothing is defined there', () => {
  assert.match(failure('{{ m.a }}', { m: {} }), /undefined variable 'm.a' in \{\{ m.a \}\} \(nothing is defined there\)/);
});

test('a hyphenated task id written with dots gets the bracket advice', () => {
  assert.match(failure('{{ outputs.my-task.vars.x }}'), /undefined variable 'outputs.my' .*names with '-' need brackets: outputs\['my-task'\]/);
});

test('bracket access with odd keys shows them with brackets', () => {
  assert.match(failure(`{{ vars['x-z'] }}`), /undefined variable 'vars\['x-z'\]'.*did you mean 'vars\['x-y'\]'\?/);
});

test('reading through null says which part was null', () => {
  assert.equal(
    failure('{{ inputs.nothing.field }}'),
    `${WHERE}: cannot read 'field' of 'inputs.nothing' because 'inputs.nothing' is null in {{ inputs.nothing.field }}`,
  );
});

test('list index out of range and attribute on a list', () => {
  assert.match(failure('{{ inputs.list[3] }}'), /index 3 is out of range for 'inputs.list' \(a list of 3 items\)/);
  assert.match(failure('{{ inputs.list.size }}'), /'inputs.list' is a list and has no attribute 'size'.*\(use the 'length' filter: \| length\)/);
  assert.match(failure('{{ inputs.name.length }}'), /cannot read 'length' of 'inputs.name' because it is a string .*\(use the 'length' filter/);
});

test('the first failing block is named, even after successful ones', () => {
  assert.match(failure('ok {{ inputs.name }} then {{ inputs.bad | upper }}'), /undefined variable 'inputs.bad' in \{\{ inputs.bad \| upper \}\}/);
});

test('long blocks are shortened in messages', () => {
  const long = `{{ nope ~ '${'x'.repeat(300)}' }}`;
  const message = failure(long);
  assert.ok(message.length < 400, message);
  assert.match(message, /…/);
});

test('syntax errors: offsets point into the template', () => {
  const template = 'a {{ x + }} b';
  const errors = findExpressionSyntaxErrors(template);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].offset, template.indexOf('}}'));
  assert.equal(errors[0].message, 'expected a value but the expression ends here in {{ x + }}');
});

test('syntax errors: every problem is listed, in order', () => {
  const template = '{{ a b }} {% sett x = 1 %} {{ y | uper }} {% if %}';
  const errors = findExpressionSyntaxErrors(template);
  assert.deepEqual(errors.map((e) => e.offset), [
    template.indexOf('b }}'),
    template.indexOf('sett'),
    template.indexOf('uper'),
    template.indexOf('{% if'),
    template.indexOf(' %}', template.indexOf('{% if')),
  ]);
  assert.match(errors[0].message, /unexpected 'b' after a complete expression/);
  assert.match(errors[1].message, /unknown tag 'sett' \(did you mean 'set'\?\)/);
  assert.match(errors[2].message, /unknown filter 'uper' \(did you mean 'upper'\?\)/);
  assert.match(errors[3].message, /\{% if %\} is never closed with \{% endif %\}/);
  assert.match(errors[4].message, /'if' needs a condition/);
});

test('syntax errors: unclosed blocks, strings and brackets', () => {
  assert.deepEqual(findExpressionSyntaxErrors('x {{ a'), [{ offset: 2, message: "'{{' is never closed with '}}'", code: 'EXPR_SYNTAX' }]);
  assert.equal(findExpressionSyntaxErrors(`{{ 'abc }}`)[0].offset, 3);
  assert.match(findExpressionSyntaxErrors(`{{ 'abc }}`)[0].message, /string starting with ' is never closed/);
  assert.deepEqual(findExpressionSyntaxErrors('{{ f(a }}'), [{ offset: 7, message: "'(' is closed by '}' instead of ')' in {{ f(a }}", code: 'EXPR_SYNTAX' }]);
  assert.match(findExpressionSyntaxErrors('{{ a) }}')[0].message, /unexpected '\)' with no matching opening bracket/);
  assert.match(findExpressionSyntaxErrors('{{ a ^ b }}')[0].message, /unexpected character '\^'/);
  assert.match(findExpressionSyntaxErrors('{# never closed')[0].message, /never closed/);
  assert.match(findExpressionSyntaxErrors('{% raw %} no end')[0].message, /\{% raw %\} is never closed with \{% endraw %\}/);
});

test('syntax errors: tag nesting', () => {
  assert.match(findExpressionSyntaxErrors('{% endif %}')[0].message, /'endif' without an open 'if'/);
  assert.match(findExpressionSyntaxErrors('{% for x in y %}{% endif %}{% endfor %}')[0].message, /'endif' without an open 'if', but the open block is \{% for x in y %\}/);
  assert.match(findExpressionSyntaxErrors('{% if a %}{% else %}{% else %}{% endif %}')[0].message, /a second 'else'/);
  assert.match(findExpressionSyntaxErrors('{% if a %}{% else %}{% elseif b %}{% endif %}')[0].message, /'elseif' without an open 'if' \(it comes after 'else'\)/);
  assert.match(findExpressionSyntaxErrors('{% for x of y %}{% endfor %}')[0].message, /expected 'in' after 'for x' but found 'of'/);
  assert.ok(findExpressionSyntaxErrors('{% if a %}{% endif extra %}').some((e) => /'endif' takes nothing after it, found 'extra'/.test(e.message)));
  assert.match(findExpressionSyntaxErrors('{% include "x" %}')[0].message, /unknown tag 'include'/);
  assert.match(findExpressionSyntaxErrors('{% block a %}{% endfilter %}{% endblock %}')[0].message, /'endfilter' without an open 'filter', but the open block is \{% block a %\}/);
  assert.match(findExpressionSyntaxErrors('{% filter upper %}x')[0].message, /\{% filter upper %\} is never closed with \{% endfilter %\}/);
  assert.match(findExpressionSyntaxErrors('{% set %}')[0].message, /expected a variable name after 'set'/);
  assert.match(findExpressionSyntaxErrors('{% set x 1 %}')[0].message, /expected '=' after 'set x' but found '1'/);
  assert.match(findExpressionSyntaxErrors('{% set x = %}')[0].message, /expected a value after 'set x ='/);
  assert.match(findExpressionSyntaxErrors('{% filter nope %}{% endfilter %}')[0].message, /unknown filter 'nope'/);
  assert.match(findExpressionSyntaxErrors('{% block a %}{% endblock %}{% block a %}{% endblock %}')[0].message, /a block named 'a' is already defined/);
});

test('syntax errors: bad expressions inside tags and calls', () => {
  assert.match(findExpressionSyntaxErrors('{{ x | }}')[0].message, /expected a filter name after '\|' but found the end of the expression/);
  assert.match(findExpressionSyntaxErrors('{{ x is }}')[0].message, /expected a test name after 'is'/);
  assert.match(findExpressionSyntaxErrors('{{ x is truthy }}')[0].message, /unknown test 'truthy'/);
  assert.match(findExpressionSyntaxErrors('{{ a ? b }}')[0].message, /expected ':' in a 'condition \? then : else' expression/);
  assert.match(findExpressionSyntaxErrors('{{ f(a=1, 2) }}')[0].message, /unknown function 'f'|positional argument cannot follow a named one/);
  assert.match(findExpressionSyntaxErrors('{{ range(a=1, 2) }}')[0].message, /a positional argument cannot follow a named one/);
  assert.match(findExpressionSyntaxErrors('{{ }}')[0].message, /empty expression/);
  assert.match(findExpressionSyntaxErrors('{{ and }}')[0].message, /expected a value but found the operator 'and'/);
  assert.match(findExpressionSyntaxErrors('{{ (a)(b) }}')[0].message, /only functions and methods can be called/);
  assert.deepEqual(findExpressionSyntaxErrors('fine {{ a.b[0] | default("x") }} {% if a %}{% endif %}'), []);
});

test('renderTemplate reports syntax errors with where and a count of the others', () => {
  assert.equal(failure('{{ a + }} {{ b | nope }}'), `${WHERE}: syntax error: expected a value but the expression ends here in {{ a + }} (and 1 more syntax error)`);
});

test('absurdly deep nesting is a syntax error, not a crash', () => {
  const deep = `{{ ${'('.repeat(500)}1${')'.repeat(500)} }}`;
  assert.match(findExpressionSyntaxErrors(deep)[0].message, /nested more than 100 levels deep/);
  assert.equal(findExpressionSyntaxErrors(deep)[0].code, 'EXPR_TOO_DEEP');
  assert.equal(findExpressionSyntaxErrors(`{{ ${'('.repeat(50)}1${')'.repeat(50)} }}`).length, 0);
});

test('huge chains of operators or filters are a located, coded syntax error, not a stack overflow', () => {
  const sum = `x {{ ${Array(100_000).fill('1').join(' + ')} }}`;
  const [sumProblem] = findExpressionSyntaxErrors(sum);
  assert.equal(sumProblem.code, 'EXPR_TOO_DEEP');
  // The offset is the operator that goes past the limit.
  assert.equal(sumProblem.offset, 5 + MAX_EXPRESSION_DEPTH * 4 - 2);
  assert.match(sumProblem.message, /chains or nests more than 500 operations/);
  const upper = `{{ 'a'${' | upper'.repeat(50_000)} }}`;
  assert.equal(findExpressionSyntaxErrors(upper)[0].code, 'EXPR_TOO_DEEP');
  assert.throws(() => renderTemplate(upper, {}, makeRuntime()), /syntax error: the expression chains or nests more than 500 operations/);
  assert.equal(findExpressionSyntaxErrors(`{{ ${'-'.repeat(100_000)}1 }}`)[0].code, 'EXPR_TOO_DEEP');
  assert.equal(findExpressionSyntaxErrors(`${'{% if true %}'.repeat(20_000)}x${'{% endif %}'.repeat(20_000)}`)[0].code, 'EXPR_TOO_DEEP');
  // Just under the limits still renders.
  assert.equal(renderTemplate(`{{ ${Array(MAX_EXPRESSION_DEPTH).fill('1').join(' + ')} }}`, {}, makeRuntime()), String(MAX_EXPRESSION_DEPTH));
  assert.equal(renderTemplate(`${'{% if true %}'.repeat(MAX_TAG_NESTING)}x${'{% endif %}'.repeat(MAX_TAG_NESTING)}`, {}, makeRuntime()), 'x');
  assert.equal(findExpressionSyntaxErrors('{{ a b }}')[0].code, 'EXPR_SYNTAX');
});

test('suggestions allow a swapped pair of letters', () => {
  assert.match(failure('{{ outputs.frist.value }}'), /did you mean 'outputs.first'\?/);
});

test('numbers held as text get a hint to use the number filter', () => {
  assert.match(failure('{{ n * 2 }}', { n: '5' }), /'\*' needs numbers, but its left side is a string .*\(text that holds a number needs the number filter first: value \| number\)/);
  assert.match(failure('{% if n > 2 %}{% endif %}', { n: '5' }), /'>' cannot compare a string with a number in \{% if n > 2 %\} \(text that holds a number/);
});
