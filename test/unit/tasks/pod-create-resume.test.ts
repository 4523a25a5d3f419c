import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recoverStoredOutput } from '../../../src/tasks/pod-create-task.ts';

const at = (second: number, ms: number) => `2024-01-01T00:00:${String(second).padStart(2, '0')}.${String(ms).padStart(3, '0')}Z`;

test('PodCreate resume: outputs recovered from every container, one log cursor per container', () => {
  const stored = [
    { stream: 'stdout' as const, line: '::{"outputs":{"a":1}}::', timestamp: at(1, 0) },
    { stream: 'stdout' as const, line: '[side] ::{"outputs":{"b":2}}::', timestamp: at(1, 100) },
    { stream: 'stdout' as const, line: 'main 1', timestamp: at(3, 0) },
    { stream: 'stdout' as const, line: '[side] side 1', timestamp: at(5, 0) },
    { stream: 'stdout' as const, line: '[side] side 2', timestamp: at(5, 500) },
    { stream: 'stdout' as const, line: '[sidecar-ish] looks prefixed but is main', timestamp: at(3, 500) },
  ];
  const vars: Record<string, unknown> = {};
  const cursors = recoverStoredOutput({ handle: {}, storedOutput: () => stored }, ['main', 'side'], vars);
  assert.deepEqual(vars, { a: 1, b: 2 });
  assert.deepEqual(cursors, {
    main: { since: '2024-01-01T00:00:02Z', linesSince: 2 },
    side: { since: '2024-01-01T00:00:04Z', linesSince: 2 },
  });
});

test('PodCreate resume with one container: outputs recovered, the attempt-wide cursor is used', () => {
  const vars: Record<string, unknown> = {};
  const stored = [{ stream: 'stdout' as const, line: '::{"outputs":{"a":"x"}}::', timestamp: at(1, 0) }];
  assert.equal(recoverStoredOutput({ handle: {}, storedOutput: () => stored }, ['only'], vars), undefined);
  assert.deepEqual(vars, { a: 'x' });
});
