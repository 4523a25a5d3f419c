import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage, ensureDbtImage } from '../support/images.ts';
import { flowFile, harrier, numberedLogLines, REPO_ROOT, runJson, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';

function containersOf(executionId: string): string[] {
  const out = execFileSync('docker', ['ps', '-a', '--filter', `label=harrier.io/execution-id=${executionId}`, '--format', '{{.ID}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

test('harrier killed with SIGKILL mid-task: resume re-attaches to the same container, no line lost or repeated', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const flow = flowFile(`id: docker_resume
namespace: test
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    outputFiles: ["result.txt"]
    commands:
      - echo '::{"outputs":{"early":"before the crash"}}::'
      - for i in $(seq 1 40); do echo "line $i"; echo "err $i" >&2; sleep 0.1; done
      - echo finished > result.txt
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[count\] line 8\n/);
  child.kill('SIGKILL');
  await child.result;
  assert.equal(containersOf(id).length, 1, 'the container outlived harrier');
  await sleep(1000);
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  const count = taskRun(doc, 'count');
  assert.deepEqual(count.attempts.map((a: { state: string }) => a.state), ['WARNING'], 'one attempt, re-attached; WARNING since it wrote to stderr');
  assert.ok(count.outputFiles['result.txt']);
  assert.deepEqual(await numberedLogLines(id, 'count', stateDir), Array.from({ length: 40 }, (_, i) => i + 1));
  assert.deepEqual(await numberedLogLines(id, 'count', stateDir, undefined, 'err'), Array.from({ length: 40 }, (_, i) => i + 1), 'stderr lines too');
  assert.equal(count.outputs.early, 'before the crash', 'an output announced before the crash survives the resume');
  assert.match((await harrier(['logs', id, '--state-dir', stateDir])).stdout, /re-attaching to attempt 1/);
  assert.deepEqual(containersOf(id), [], 'the container was removed after collection');
});

test('a container that finished while harrier was dead is still collected on resume', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const flow = flowFile(`id: docker_finished
namespace: test
tasks:
  - id: quick
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    outputFiles: ["*.txt"]
    commands:
      - echo started
      - sleep 2
      - echo done > out.txt
      - echo ended
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[quick\] started/);
  child.kill('SIGKILL');
  await child.result;
  await sleep(3500);
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const quick = taskRun(JSON.parse(resumed.stdout), 'quick');
  assert.equal(quick.state, 'SUCCESS');
  assert.ok(quick.outputFiles['out.txt']);
  const logs = await harrier(['logs', id, '--task', 'quick', '--state-dir', stateDir]);
  assert.equal(logs.stdout.match(/\[quick\] started/g)?.length, 1);
  assert.equal(logs.stdout.match(/\[quick\] ended/g)?.length, 1);
  assert.deepEqual(containersOf(id), []);
});

/** Runs a Docker task, SIGKILLs harrier mid-task, removes its container with `docker rm -f`, and resumes. */
async function resumeAfterDockerRm(retry: string) {
  const flow = flowFile(`id: docker_removed
namespace: test
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
${retry}    commands:
      - for i in $(seq 1 10); do echo "line $i"; sleep 0.1; done
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[count\] line 3\n/);
  child.kill('SIGKILL');
  await child.result;
  const containers = containersOf(id);
  assert.equal(containers.length, 1, 'the container outlived harrier');
  execFileSync('docker', ['rm', '-f', containers[0]]);
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  return { id, resumed, stateDir, count: taskRun(JSON.parse(resumed.stdout), 'count') };
}

const REMOVED_OUTSIDE = /container \S+ of this attempt is gone from .*: it was removed outside harrier/;

test('the container removed by docker rm while harrier was dead, no retry policy: the attempt and the execution fail, saying why', async (t) => {
  if (!dockerOrSkip(t)) return;
  const { id, resumed, count } = await resumeAfterDockerRm('');
  assert.equal(resumed.code, 1, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).state, 'FAILED');
  assert.deepEqual(count.attempts.map((a: { state: string }) => a.state), ['FAILED']);
  assert.match(count.attempts[0].error ?? '', REMOVED_OUTSIDE);
  assert.match(resumed.stderr, new RegExp(`attempt 1 failed: ${REMOVED_OUTSIDE.source}`));
  assert.deepEqual(containersOf(id), []);
});

test('the container removed by docker rm while harrier was dead, with a retry policy: a second attempt runs and the execution succeeds', async (t) => {
  if (!dockerOrSkip(t)) return;
  const { id, resumed, stateDir, count } = await resumeAfterDockerRm('    retry: {type: constant, interval: PT0S, maxAttempt: 2}\n');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).state, 'SUCCESS');
  assert.deepEqual(count.attempts.map((a: { state: string }) => a.state), ['FAILED', 'SUCCESS']);
  assert.match(count.attempts[0].error ?? '', REMOVED_OUTSIDE);
  assert.match(resumed.stderr, /retrying in \S+ \(attempt 2 of 2\)/);
  const logs = (await harrier(['logs', id, '--task', 'count', '--state-dir', stateDir])).stdout;
  const attemptTwo = logs.slice(logs.indexOf('retrying in'));
  assert.deepEqual([...attemptTwo.matchAll(/^\[count\] line (\d+)$/gm)].map((m) => Number(m[1])), Array.from({ length: 10 }, (_, i) => i + 1), 'attempt 2 ran the whole task');
  assert.deepEqual(containersOf(id), []);
});

test('Ctrl-C (SIGINT) on a Docker task stops and removes its container', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const flow = flowFile(`id: docker_kill
namespace: test
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    commands: ["echo up", "sleep 120"]
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir, '--json']);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[long\] up/);
  child.kill('SIGINT');
  const result = await child.result;
  assert.equal(result.code, 130, 'Ctrl-C is exit 130');
  assert.equal(JSON.parse(result.stdout).state, 'KILLED');
  assert.deepEqual(containersOf(id), []);
});

test('seed dbt-task-runner on Docker (its local-test variant) with stand-ins for git and dbt', async (t) => {
  if (!dockerOrSkip(t)) return;
  const seed = readFileSync(join(REPO_ROOT, 'examples', 'kubernetes', 'dbt-task-runner-docker.yaml'), 'utf8');
  assert.match(seed, /ghcr\.io\/kestra-io\/dbt-duckdb:latest/);
  const flow = flowFile(seed.replace('ghcr.io/kestra-io/dbt-duckdb:latest', ensureDbtImage()));
  const { code, stderr, doc } = await runJson(flow, tempStateDir());
  assert.equal(code, 0, stderr);
  assert.match(stderr, /\[dbt_build\] Done\. PASS=3 WARN=0 ERROR=0/);
  assert.equal(taskRun(doc, 'dbt_build').attempts[0].runner, 'docker');
});
