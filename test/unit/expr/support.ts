/** Shared fixtures for the expression tests: a scope like the engine builds and a recording runtime. */
import { renderTemplate, type ExprRuntime, type Scope } from '../../../src/expr/index.ts';

export const FIXED_NOW = new Date('2024-03-05T10:11:12.345Z');

export function makeRuntime(secrets: Record<string, string> = { API_KEY: 's3cr3t' }): ExprRuntime & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    secret(name: string) {
      asked.push(name);
      if (!Object.hasOwn(secrets, name)) throw new Error(`secret '${name}' is not defined`);
      return secrets[name];
    },
    now: () => FIXED_NOW,
  };
}

export const scope: Scope = {
  inputs: { name: 'World', count: 5, ratio: 2.5, flag: true, empty: '', nothing: null, list: [3, 1, 2], tags: ['a', 'b'], nested: { deep: { value: 42 } } },
  outputs: { 'my-task': { vars: { x: 1 } }, first: { value: 'one', uri: 'kestra://ns/file.txt' } },
  vars: { greeting: 'Hi {{ inputs.name }}', map: { b: 2, a: 1 }, 'x-y': 'dash', json: '{"k":[1,2]}' },
  flow: { id: 'hello', namespace: 'company.team' },
  workingDir: '/tmp/wd',
};

/** Renders with the shared scope and a fresh runtime. */
export function render(template: string, extra: Scope = {}): string {
  return renderTemplate(template, { ...scope, ...extra }, makeRuntime());
}
