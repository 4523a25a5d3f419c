import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowJsonSchema, RUNNER_TYPE_NAMES, TASK_TYPE_NAMES } from '../../../src/flow/index.ts';

type Node = Record<string, any>;

function schema(): Node {
  return JSON.parse(JSON.stringify(flowJsonSchema())) as Node;
}

test('the flow JSON Schema is plain JSON (draft-07) describing the top-level keys', () => {
  const root = schema();
  assert.equal(root.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(root.type, 'object');
  assert.equal(root.additionalProperties, false);
  assert.deepEqual(root.required, ['id', 'namespace', 'tasks']);
  assert.deepEqual(Object.keys(root.properties), ['id', 'namespace', 'description', 'labels', 'inputs', 'variables', 'tasks', 'errors', 'finally', 'afterExecution', 'outputs', 'pluginDefaults', 'taskDefaults', 'retry', 'triggers']);
  assert.equal(root.properties.id.pattern, '^[a-zA-Z0-9][a-zA-Z0-9_-]*$');
});

test('tasks are a union discriminated by type that lists every task type', () => {
  const root = schema();
  const variants = root.definitions.task.oneOf as Node[];
  const names = variants.flatMap((variant) => variant.properties.type.enum as string[]);
  assert.deepEqual([...names].sort(), [...TASK_TYPE_NAMES].sort());
  assert.equal(new Set(names).size, names.length, 'each type name is in exactly one variant');
  for (const variant of variants) {
    assert.equal(variant.additionalProperties, false);
    assert.ok(variant.required.includes('id') && variant.required.includes('type'));
  }
  const commands = variants.find((variant) => variant.properties.type.enum.includes('shell.Commands')) as Node;
  assert.ok(commands.required.includes('commands'));
  assert.deepEqual(commands.properties.interpreter.default, ['/bin/sh', '-c']);
  const parallel = variants.find((variant) => variant.properties.type.enum.includes('Parallel')) as Node;
  assert.match(JSON.stringify(parallel.properties.tasks), /#\/definitions\//, 'nested tasks refer back to the task union');
});

test('task runners are a union discriminated by type; non-string runner properties also take an expression', () => {
  const root = schema();
  const variants = root.definitions.taskRunner.oneOf as Node[];
  const names = variants.flatMap((variant) => variant.properties.type.enum as string[]);
  assert.deepEqual([...names].sort(), [...RUNNER_TYPE_NAMES].sort());
  const kubernetes = variants.find((variant) => variant.properties.type.enum.includes('Kubernetes')) as Node;
  assert.deepEqual(kubernetes.properties.type.enum, ['io.kestra.plugin.ee.kubernetes.runner.Kubernetes', 'io.kestra.plugin.kubernetes.runner.Kubernetes', 'Kubernetes']);
  assert.deepEqual(kubernetes.properties.delete.anyOf[1].pattern, '\\{\\{');
  assert.equal(kubernetes.properties.delete.anyOf[0].type, 'boolean');
  assert.equal(kubernetes.properties.namespace.type, 'string');
  assert.ok(kubernetes.properties.config.properties.masterUrl);
});
