import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunnerChoice, RUNNER_CHOICES } from '../../../src/cli/runner-choice.ts';
import { canonicalTypeName, lookupRunnerType, RUNNER_TYPE_NAMES } from '../../../src/flow/task-types.ts';
import { RunnerRegistry } from '../../../src/runners/registry.ts';
import { DEFAULT_RUNNER, RUNNERS, runnerOfKind, runnerOfType } from '../../../src/runners/table.ts';
import { UsageError } from '../../../src/shared/errors.ts';

test('every runner type name belongs to exactly one runner, and its Kestra full name is the first', () => {
  assert.equal(new Set(RUNNER_TYPE_NAMES).size, RUNNER_TYPE_NAMES.length);
  for (const runner of RUNNERS) {
    assert.match(runner.types[0], /^io\.kestra\.plugin\./, runner.kind);
    for (const type of runner.types) {
      assert.equal(runnerOfType(type), runner);
      assert.equal(lookupRunnerType(type), runner.kind);
      assert.equal(canonicalTypeName(type), runner.types[0]);
    }
  }
  assert.equal(runnerOfType('docker'), undefined, 'a kind is not a type name');
  assert.equal(DEFAULT_RUNNER.kind, 'process');
});

test('--task-runner takes exactly the runner kinds, in any case', () => {
  assert.deepEqual([...RUNNER_CHOICES], RUNNERS.map((runner) => runner.kind));
  for (const kind of RUNNER_CHOICES) assert.equal(parseRunnerChoice(kind.toUpperCase()), kind);
  assert.equal(parseRunnerChoice(undefined), undefined);
  assert.throws(() => parseRunnerChoice('Docker.Docker'), (error: unknown) => error instanceof UsageError
    && error.message === `--task-runner must be one of process, docker, kubernetes, not 'Docker.Docker'`);
});

test('the registry loads each runner once, through its descriptor, and the runner reports that kind', async () => {
  const registry = new RunnerRegistry();
  for (const runner of RUNNERS) {
    const loaded = await registry.get(runner.kind);
    assert.equal(loaded.kind, runner.kind);
    assert.equal(await registry.get(runner.kind), loaded);
  }
});

test('each runner schema checks its properties: defaults applied, unknown keys refused', () => {
  for (const runner of RUNNERS) {
    assert.equal(runner.schema().safeParse({}).success, true, runner.kind);
    assert.equal(runner.schema().safeParse({ notAProperty: 1 }).success, false, runner.kind);
    assert.equal(runnerOfKind(runner.kind), runner);
  }
  assert.deepEqual(RUNNERS.map((runner) => [runner.kind, runner.reattaches]), [['process', false], ['docker', true], ['kubernetes', true]]);
});
