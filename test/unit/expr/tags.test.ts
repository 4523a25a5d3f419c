import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from './support.ts';

test('if / elseif / else / endif', () => {
  const template = '{% if inputs.count > 10 %}big{% elseif inputs.count > 3 %}medium{% else %}small{% endif %}';
  assert.equal(render(template), 'medium');
  assert.equal(render(template, { inputs: { count: 50 } }), 'big');
  assert.equal(render(template, { inputs: { count: 1 } }), 'small');
  assert.equal(render('{% if false %}x{% endif %}'), '');
});

test('if conditions: truthiness of non-booleans', () => {
  assert.equal(render(`{% if inputs.name %}y{% else %}n{% endif %}`), 'y');
  assert.equal(render(`{% if inputs.empty %}y{% else %}n{% endif %}`), 'n');
  assert.equal(render(`{% if inputs.nothing %}y{% else %}n{% endif %}`), 'n');
  assert.equal(render(`{% if [] %}y{% else %}n{% endif %}`), 'n');
  assert.equal(render(`{% if 0 %}y{% else %}n{% endif %}`), 'n');
});

test('if with is defined tolerates undefined variables; a bare undefined one fails', () => {
  assert.equal(render('{% if inputs.opt is defined %}{{ inputs.opt }}{% else %}none{% endif %}'), 'none');
  assert.equal(render('{% if inputs.opt is defined and inputs.opt > 1 %}x{% else %}y{% endif %}'), 'y');
  assert.throws(() => render('{% if inputs.opt %}x{% endif %}'), /undefined variable 'inputs.opt' in \{% if inputs.opt %\}/);
});

test('branches not taken are not evaluated', () => {
  assert.equal(render('{% if true %}ok{% else %}{{ missing }}{% endif %}'), 'ok');
});

test('for over a list, with loop variables', () => {
  assert.equal(render('{% for t in inputs.tags %}{{ t }};{% endfor %}'), 'a;b;');
  assert.equal(
    render('{% for x in [10, 20, 30] %}{{ loop.index }}{{ loop.first ? "F" : "" }}{{ loop.last ? "L" : "" }}/{{ loop.length }}/{{ loop.revindex }} {% endfor %}'),
    '0F/3/2 1/3/1 2L/3/0 ',
  );
});

test('for over a map gives key and value entries', () => {
  assert.equal(render('{% for e in vars.map %}{{ e.key }}={{ e.value }},{% endfor %}'), 'b=2,a=1,');
});

test('for with else when empty or null', () => {
  assert.equal(render('{% for x in [] %}{{ x }}{% else %}empty{% endfor %}'), 'empty');
  assert.equal(render('{% for x in inputs.nothing %}{{ x }}{% else %}none{% endfor %}'), 'none');
});

test('nested loops and ifs; the loop variable shadows and then disappears', () => {
  const template = '{% for a in [1, 2] %}{% for b in ["x", "y"] %}{% if b == "y" %}{{ a }}{{ b }}{% endif %}{% endfor %}{% endfor %}';
  assert.equal(render(template), '1y2y');
  assert.equal(render('{% for inputs in [1] %}{{ inputs }}{% endfor %}{{ inputs.name }}'), '1World');
  assert.throws(() => render('{% for x in [1] %}{% endfor %}{{ x }}'), /undefined variable 'x'/);
});

test('for over a string is an error naming the expression', () => {
  assert.throws(() => render('{% for c in inputs.name %}{{ c }}{% endfor %}'), /cannot loop over a string \('inputs.name'\); expected a list or a map in \{% for c in inputs.name %\}/);
});

test('raw and verbatim keep their content literal', () => {
  assert.equal(render('{% raw %}{{ not rendered }} {% if %}{% endraw %}!'), '{{ not rendered }} {% if %}!');
  assert.equal(render('a{% verbatim %}{{ x }}{% endverbatim %}b'), 'a{{ x }}b');
});

test('a shell ${#var} needs raw, and the error says so', () => {
  assert.throws(() => render('echo ${#arr[@]}'), /'\{#' starts a comment that is never closed with '#\}'.*raw/);
  assert.equal(render('echo {% raw %}${#arr[@]}{% endraw %}'), 'echo ${#arr[@]}');
});

test('a script mixing expressions and shell braces', () => {
  const script = 'for f in {{ inputs.tags | join(" ") }}; do\n  echo "${f}" > {{ workingDir }}/$f.txt\ndone';
  assert.equal(render(script), 'for f in a b; do\n  echo "${f}" > /tmp/wd/$f.txt\ndone');
});

test('whitespace control: Kestra cuts raw blocks out first, so their dashes trim nothing; verbatim trims', () => {
  assert.equal(render('a {%- raw -%}  {{ x }}  {%- endraw -%} b'), 'a   {{ x }}   b');
  assert.equal(render('See some code {%-  raw%}{{ var }}{%endraw -%}'), 'See some code {{ var }}');
  assert.equal(render('a {%- verbatim -%}  {{ x }}  {%- endverbatim -%} b'), 'a{{ x }}b');
});

test('set assigns a variable; inside loops it updates the outer one, as Pebble does', () => {
  assert.equal(render(`{% set name = 'alex' %}{{ name }}`), 'alex');
  assert.equal(render(`{% set total = 0 %}{% for i in [1, 2, 3] %}{% set total = total + i %}{% endfor %}{{ total }}`), '6');
  assert.equal(render(`{% set m = {'a': inputs.count} %}{{ m.a }}`), '5');
  // A name first set inside a loop lives until the loop ends.
  assert.throws(() => render(`{% for i in [1] %}{% set inner = i %}{% endfor %}{{ inner }}`), /undefined variable 'inner'/);
  assert.throws(() => render(`{% set x = missing %}`), /undefined variable 'missing' in \{% set x = missing %\}/);
});

test('block renders in place and block() renders it again; endblock may repeat the name', () => {
  assert.equal(render(`{% block 'post' %}[{{ inputs.name }}]{% endblock 'post' %}{{ block('post') }}`), '[World][World]');
  assert.equal(render(`{% block head %}h{% endblock %}`), 'h');
  assert.throws(() => render(`{{ block('nope') }}`), /function block\(\)|block\(\): no block named 'nope'/);
});

test('filter applies a chain of filters to its rendered body', () => {
  assert.equal(render(`{% filter upper %}hello {{ inputs.name }}{% endfilter %}`), 'HELLO WORLD');
  assert.equal(render(`{% filter lower | replace('world', 'there') %}Hi {{ inputs.name }}{% endfilter %}`), 'hi there');
  assert.throws(() => render(`{% filter abbreviate(-1) %}abc{% endfilter %}`), /filter 'abbreviate': the length must be 0 or more/);
});
