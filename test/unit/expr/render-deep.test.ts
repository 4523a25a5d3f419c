import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDeep, renderTemplate } from '../../../src/expr/index.ts';
import { cachedTemplateCount } from '../../../src/expr/cache.ts';
import { makeRuntime, scope } from './support.ts';

test('renderDeep renders every string in objects and arrays, keys untouched, returning a new value', () => {
  const spec = {
    containers: [{ name: '{{ flow.id }}', image: 'busybox', command: ['sh', '-c', 'echo {{ inputs.name }}'], ports: [8080] }],
    labels: { '{{ key }}': 'team-{{ flow.namespace }}' },
    restart: false,
    nothing: null,
  };
  const rendered = renderDeep(spec, scope, makeRuntime());
  assert.deepEqual(rendered, {
    containers: [{ name: 'hello', image: 'busybox', command: ['sh', '-c', 'echo World'], ports: [8080] }],
    labels: { '{{ key }}': 'team-company.team' },
    restart: false,
    nothing: null,
  });
  assert.notEqual(rendered, spec);
  assert.equal(spec.containers[0].name, '{{ flow.id }}', 'the input is not modified');
});

test('renderDeep on a plain string or scalar', () => {
  assert.equal(renderDeep('{{ flow.id }}', scope, makeRuntime()), 'hello');
  assert.equal(renderDeep(5, scope, makeRuntime()), 5);
});

test('renderDeep names the nested path in the where of an error', () => {
  const spec = { containers: [{ env: [{ name: 'A', value: '{{ inputs.nope }}' }] }] };
  assert.throws(
    () => renderDeep(spec, scope, makeRuntime(), "task 'pod', property 'spec'"),
    /^ExpressionError: task 'pod', property 'spec.containers\[0\].env\[0\].value': undefined variable 'inputs.nope'/,
  );
  assert.throws(() => renderDeep([{ a: '{{ nope }}' }], scope, makeRuntime()), /^ExpressionError: at '\[0\].a': undefined variable 'nope'/);
  assert.throws(() => renderDeep({ 'odd key': '{{ nope }}' }, scope, makeRuntime(), 'x'), /^ExpressionError: x, at '\['odd key'\]': undefined/);
});

test('parsed templates are cached and reused', () => {
  const template = `{{ inputs.name }} #${Math.random()}`;
  const before = cachedTemplateCount();
  for (let i = 0; i < 5; i++) assert.match(renderTemplate(template, scope, makeRuntime()), /^World #/);
  assert.equal(cachedTemplateCount(), Math.min(before + 1, 2000));
});

test('rendering is fast enough for many task properties', () => {
  const templates = Array.from({ length: 200 }, (_, i) => `echo {{ inputs.name | upper }} ${i} {{ outputs.first.value }} {% if inputs.flag %}on{% endif %}`);
  const start = performance.now();
  for (let round = 0; round < 50; round++) {
    for (const template of templates) renderTemplate(template, scope, makeRuntime());
  }
  const perRender = (performance.now() - start) / (templates.length * 50);
  assert.ok(perRender < 1, `${perRender.toFixed(4)} ms per render`);
});
