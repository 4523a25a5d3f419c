/** The Docker runner against the real engine: logs, files, exit codes, memory, strategies. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';
import { TaskFailedError } from '../../../src/shared/errors.ts';
import { dockerOrSkip } from '../../support/docker.ts';
import { type RecordedJob, releaseLast, resourcesOf, trackedJobs } from './job.ts';

const runner = createDockerRunner();

/** run() leaves the ended container to the engine's release, which removes it and its volume. */
async function releasedLeavesNothing(recorded: RecordedJob): Promise<void> {
  assert.equal((await resourcesOf(recorded.executionId)).containers.length, 1, 'the container stays until released');
  await releaseLast(recorded);
  assert.deepEqual(await resourcesOf(recorded.executionId), { containers: [], volumes: [] });
}

describe('Docker runner on a real engine', () => {
  const { job } = trackedJobs();

  test('hello world: exit 0, the line logged with the engine timestamp, nothing left behind once released', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'echo hello world' });
    const result = await runner.run(recorded.job);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(recorded.stdout(), ['hello world']);
    assert.match(recorded.logs[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(recorded.handles.length, 2, 'one handle before creating, one naming the container');
    assert.equal(recorded.handles[0].containerId, undefined);
    assert.match(String(recorded.handles[1].containerId), /^[0-9a-f]{64}$/);
    await releasedLeavesNothing(recorded);
    assert.equal(runner.workingDirFor('/some/dir'), '/some/dir');
  });

  test('a failed pull under ALWAYS falls back to the local image with a warning', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'true', properties: { pullPolicy: 'ALWAYS' } });
    await runner.run(recorded.job);
    const warning = recorded.notices.find((notice) => notice.level === 'WARN');
    assert.ok(warning, JSON.stringify(recorded.notices));
    assert.match(warning.message, /could not pull image harrier-test\/busybox:1 .*using the copy already on the engine/);
  });

  test('IF_NOT_PRESENT and NEVER use the local image without pulling', async (t) => {
    if (!dockerOrSkip(t)) return;
    for (const pullPolicy of ['IF_NOT_PRESENT', 'NEVER']) {
      const recorded = job({ script: 'echo ok', properties: { pullPolicy } });
      assert.equal((await runner.run(recorded.job)).exitCode, 0);
      assert.deepEqual(recorded.notices.filter((notice) => /pull/.test(notice.message)), []);
    }
  });

  test('stdout and stderr stay apart and each keeps its order; a last line without newline is kept', async (t) => {
    if (!dockerOrSkip(t)) return;
    const script = [
      'for i in $(seq 1 200); do echo "out $i"; echo "err $i" >&2; done',
      'sleep 0.2; echo marker-out; sleep 0.2; echo marker-err >&2; sleep 0.2',
      'printf "no newline at the end"',
    ].join('\n');
    const recorded = job({ script, properties: { pullPolicy: 'NEVER' } });
    await runner.run(recorded.job);
    const expectedOut = [...Array.from({ length: 200 }, (_, i) => `out ${i + 1}`), 'marker-out', 'no newline at the end'];
    const expectedErr = [...Array.from({ length: 200 }, (_, i) => `err ${i + 1}`), 'marker-err'];
    assert.deepEqual(recorded.stdout(), expectedOut);
    assert.deepEqual(recorded.stderr(), expectedErr);
    const order = recorded.logs.map((entry) => entry.line);
    assert.ok(order.indexOf('marker-out') < order.indexOf('marker-err'));
    assert.ok(order.indexOf('marker-err') < order.indexOf('no newline at the end'));
  });

  test('a long line and multi-byte text arrive whole', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'head -c 40000 /dev/zero | tr "\\0" x; echo; echo "héllo ✓"', properties: { pullPolicy: 'NEVER' } });
    await runner.run(recorded.job);
    assert.deepEqual(recorded.stdout(), ['x'.repeat(40000), 'héllo ✓']);
  });

  test('input files go in; the output folder and matching files come back, nested ones included', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({
      script: [
        'cat input.txt data/nested/in.csv',
        'mkdir -p out/a/b reports/2024',
        'cp input.txt out/a/b/copy.txt',
        'echo report > reports/2024/r.csv',
        'echo top > top.csv',
        'echo scratch > scratch.tmp',
        'echo "$WORKING_DIR" "$(pwd)"',
      ].join('\n'),
      outputGlobs: ['**/*.csv'],
      properties: { pullPolicy: 'NEVER' },
    });
    writeFileSync(join(recorded.workDir, 'input.txt'), 'the input\n');
    mkdirSync(join(recorded.workDir, 'data', 'nested'), { recursive: true });
    writeFileSync(join(recorded.workDir, 'data', 'nested', 'in.csv'), 'a,b\n');
    const result = await runner.run(recorded.job);
    assert.equal(result.exitCode, 0, JSON.stringify(recorded.logs));
    assert.deepEqual(recorded.stdout(), ['the input', 'a,b', `${recorded.workDir} ${recorded.workDir}`]);
    assert.equal(readFileSync(join(recorded.workDir, 'out', 'a', 'b', 'copy.txt'), 'utf8'), 'the input\n');
    assert.equal(readFileSync(join(recorded.workDir, 'reports', '2024', 'r.csv'), 'utf8'), 'report\n');
    assert.equal(readFileSync(join(recorded.workDir, 'top.csv'), 'utf8'), 'top\n');
    assert.equal(existsSync(join(recorded.workDir, 'scratch.tmp')), false, 'a file that is no output stays in the container');
  });

  test('a file written in the output folder a moment after the upload is collected; an untouched folder stays empty', async (t) => {
    if (!dockerOrSkip(t)) return;
    const writes = job({ script: 'echo quick > out/quick.txt', properties: { pullPolicy: 'NEVER' } });
    assert.equal((await runner.run(writes.job)).exitCode, 0);
    assert.equal(readFileSync(join(writes.workDir, 'out', 'quick.txt'), 'utf8'), 'quick\n');
    const removes = job({ script: 'echo gone > out/gone.txt; rm out/gone.txt; echo kept > out/kept.txt', properties: { pullPolicy: 'NEVER' } });
    assert.equal((await runner.run(removes.job)).exitCode, 0);
    assert.deepEqual(readdirSync(join(removes.workDir, 'out')), ['kept.txt']);
    const untouched = job({ script: 'true', properties: { pullPolicy: 'NEVER' } });
    assert.equal((await runner.run(untouched.job)).exitCode, 0);
    assert.deepEqual(readdirSync(join(untouched.workDir, 'out')), []);
  });

  test('literal output names are fetched one by one, at any depth; a missing one is no error', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({
      script: 'mkdir -p deep/er; echo r > result.json; echo d > deep/er/data.txt; echo n > not-wanted.txt',
      outputGlobs: ['result.json', 'deep/er/data.txt', 'never-written.txt'],
      properties: { pullPolicy: 'NEVER' },
    });
    assert.equal((await runner.run(recorded.job)).exitCode, 0);
    assert.equal(readFileSync(join(recorded.workDir, 'result.json'), 'utf8'), 'r\n');
    assert.equal(readFileSync(join(recorded.workDir, 'deep', 'er', 'data.txt'), 'utf8'), 'd\n');
    assert.equal(existsSync(join(recorded.workDir, 'not-wanted.txt')), false);
    assert.equal(existsSync(join(recorded.workDir, 'never-written.txt')), false);
  });

  test('links the task leaves among its outputs are not outputs and do not fail the collection', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({
      script: 'echo real > out/real.txt; ln -s /etc/passwd out/escape; ln -s real.txt out/inside; ln out/real.txt out/hard.txt',
      properties: { pullPolicy: 'NEVER' },
    });
    assert.equal((await runner.run(recorded.job)).exitCode, 0);
    assert.equal(readFileSync(join(recorded.workDir, 'out', 'real.txt'), 'utf8'), 'real\n');
    assert.equal(existsSync(join(recorded.workDir, 'out', 'escape')), false);
    assert.equal(existsSync(join(recorded.workDir, 'out', 'inside')), false);
    assert.equal(readFileSync(join(recorded.workDir, 'out', 'hard.txt'), 'utf8'), 'real\n', 'a hard link is a regular file');
  });

  test('a non-zero exit is returned as the exit code, and outputs are collected on failure too', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'mkdir -p out; echo partial > out/partial.txt; echo failing >&2; exit 3', properties: { pullPolicy: 'NEVER' } });
    const result = await runner.run(recorded.job);
    assert.equal(result.exitCode, 3);
    assert.deepEqual(recorded.stderr(), ['failing']);
    assert.equal(readFileSync(join(recorded.workDir, 'out', 'partial.txt'), 'utf8'), 'partial\n');
    await releasedLeavesNothing(recorded);
  });

  test('an OOM kill fails with "out of memory" and the limit', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'set -o pipefail; head -c 100m /dev/zero | tail', properties: { pullPolicy: 'NEVER', memory: { memory: '16m' } } });
    await assert.rejects(runner.run(recorded.job), (error: unknown) => {
      assert.ok(error instanceof TaskFailedError, String(error));
      assert.match(error.message, /out of memory \(limit 16 MiB\)/);
      assert.equal(error.exitCode, 137);
      assert.equal(error.code, 'OOM_KILLED');
      return true;
    });
    await releasedLeavesNothing(recorded);
  });

  test('MOUNT binds the host working directory: files written appear on the host directly', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({
      script: 'cat in.txt; echo made > made-here.txt; mkdir -p out; echo o > out/o.txt',
      properties: { pullPolicy: 'NEVER', fileHandlingStrategy: 'MOUNT' },
    });
    writeFileSync(join(recorded.workDir, 'in.txt'), 'mounted\n');
    assert.equal((await runner.run(recorded.job)).exitCode, 0);
    assert.deepEqual(recorded.stdout(), ['mounted']);
    assert.equal(readFileSync(join(recorded.workDir, 'made-here.txt'), 'utf8'), 'made\n');
    assert.equal(readFileSync(join(recorded.workDir, 'out', 'o.txt'), 'utf8'), 'o\n');
    assert.equal(recorded.handles[0].volume, undefined);
    await releasedLeavesNothing(recorded);
  });

  test('user, entry point and environment reach the container', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({
      command: ['-c', 'echo "$GREETING from $(id -u)"'],
      env: { GREETING: 'hi' },
      properties: { pullPolicy: 'NEVER', entryPoint: ['/bin/sh'], user: '1234', fileHandlingStrategy: 'MOUNT' },
    });
    assert.equal((await runner.run(recorded.job)).exitCode, 0);
    assert.deepEqual(recorded.stdout(), ['hi from 1234']);
  });

  test('wait: false starts the container and returns 0 at once; release leaves it running', async (t) => {
    if (!dockerOrSkip(t)) return;
    const recorded = job({ script: 'sleep 30', properties: { pullPolicy: 'NEVER', wait: false } });
    const started = Date.now();
    const result = await runner.run(recorded.job);
    assert.equal(result.exitCode, 0);
    assert.ok(Date.now() - started < 10_000);
    const { containers } = await resourcesOf(recorded.executionId);
    assert.equal(containers.length, 1);
    assert.equal(containers[0].State, 'running');
    assert.ok(recorded.notices.some((notice) => /not waiting for it \(wait: false\)/.test(notice.message)));
    await releaseLast(recorded);
    assert.equal((await resourcesOf(recorded.executionId)).containers[0]?.State, 'running', 'release leaves it running');
  });
});
