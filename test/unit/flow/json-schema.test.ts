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

/** Every property of every map in the schema, with its path. */
function properties(node: unknown, path = ''): Array<[string, Node]> {
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((child, i) => properties(child, `${path}[${i}]`));
  const own = Object.entries((node as Node).properties ?? {}).map(([key, child]) => [`${path}.${key}`, child as Node] as [string, Node]);
  const nested = Object.entries(node as Node).flatMap(([key, child]) => (key === 'properties'
    ? Object.entries(child as Node).flatMap(([name, grandChild]) => properties(grandChild, `${path}.${name}`))
    : properties(child, `${path}/${key}`)));
  return [...own, ...nested];
}

test('every property of every task, runner, trigger, input and flow map has a description (a $ref carries its definition\'s)', () => {
  const all = properties(schema());
  assert.ok(all.length > 300, `${all.length} properties`);
  const missing = all.filter(([, node]) => typeof node.description !== 'string' && node.$ref === undefined).map(([path]) => path);
  assert.deepEqual(missing, [], 'add .describe(\'…\') to these zod properties');
  for (const [path, node] of all) {
    if (node.description !== undefined) assert.ok(node.description.length >= 10, `${path}: '${node.description}' says too little`);
  }
});

test('defaults reach the editor, preprocessed values (booleans, fixed words) included', () => {
  const root = schema();
  const commands = (root.definitions.task.oneOf as Node[]).find((variant) => variant.properties.type.enum.includes('shell.Commands')) as Node;
  assert.equal(commands.properties.failFast.default, true);
  assert.equal(commands.properties.targetOS.default, 'AUTO');
  const kubernetes = (root.definitions.taskRunner.oneOf as Node[]).find((variant) => variant.properties.type.enum.includes('Kubernetes')) as Node;
  assert.equal(kubernetes.properties.delete.default, true);
  assert.equal(kubernetes.properties.pullPolicy.default, 'Always');
  assert.match(kubernetes.properties.pullPolicy.description, /IfNotPresent/);
  assert.match(kubernetes.properties.namespace.description, /kubeconfig context's namespace/);
});

test('fixed words accept every spelling the validator accepts, and list both Kestra\'s and Kubernetes\' for completion', () => {
  const root = schema();
  const kubernetes = (root.definitions.taskRunner.oneOf as Node[]).find((variant) => variant.properties.type.enum.includes('Kubernetes')) as Node;
  const text = JSON.stringify(kubernetes.properties.pullPolicy);
  const listed = JSON.parse(text.match(/"enum":(\[[^\]]*\])/)![1]) as string[];
  assert.deepEqual(listed, ['Always', 'IfNotPresent', 'Never', 'ALWAYS', 'IF_NOT_PRESENT', 'NEVER']);
  const pattern = new RegExp(JSON.parse(text.match(/"pattern":("\^[^"]*")/)![1]) as string);
  for (const spelling of ['ALWAYS', 'always', 'Always', 'if_not_present', 'IfNotPresent', 'IF_NOT_PRESENT', 'never']) assert.match(spelling, pattern);
  for (const wrong of ['Sometimes', 'Alway', 'IfPresent']) assert.doesNotMatch(wrong, pattern);
  const log = (root.definitions.task.oneOf as Node[]).find((variant) => variant.properties.type.enum.includes('Log')) as Node;
  const level = new RegExp(log.properties.level.anyOf[1].pattern);
  assert.match('warn', level);
  assert.match('Warn', level);
  assert.doesNotMatch('WARNING', level);
});
