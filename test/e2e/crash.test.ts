/**
 * How harrier behaves when it is stopped roughly: two resumes at once, two signals in a row, a
 * closed stdout, and a task that escapes its process group.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, HARRIER_BIN, REPO_ROOT, startHarrier, taskRun, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const docker = new Docker();

function startedId(output: string): string {
  return /Execution (\S+) started/.exec(output)![1];
}

async function executionState(id: string, stateDir: string): Promise<string> {
  const listed = JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout) as { id: string; state: string }[];
  return listed.find((execution) => execution.id === id)!.state;
}

test('two resumes of one execution at once: exactly one runs it, the other says who does', async () => {
  const flow = flowFile(`id: two_resumes
namespace: company.team
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["out.txt"]
    commands:
      - echo begin
      - sleep 1
      - echo done > out.txt
`);
  for (let trial = 0; trial < 3; trial++) {
    const stateDir = tempStateDir();
    const child = startHarrier(['run', flow, '--state-dir', stateDir]);
    const id = startedId(await waitForOutput(child, /Execution \S+ started/));
    await waitForOutput(child, /\[work\] begin/);
    child.kill('SIGKILL');
    await child.result;
    const results = await Promise.all([1, 2].map(() => harrier(['resume', id, '--json', '--state-dir', stateDir])));
    const winners = results.filter((result) => result.code === 0);
    const losers = results.filter((result) => result.code !== 0);
    assert.equal(winners.length, 1, results.map((result) => result.stderr).join('\n---\n'));
    assert.equal(losers[0].code, 1);
    assert.match(losers[0].stderr, /^error: execution \S+ is being run by harrier process \d+ \(since .*\); only one process may run it/m);
    assert.doesNotMatch(losers[0].stderr, /ENOENT|at .*\.ts:\d+/);
    assert.deepEqual(taskRun(JSON.parse(winners[0].stdout), 'work').attempts.map((attempt) => attempt.state), ['FAILED', 'SUCCESS']);
  }
});

/** A copy of sleep under a name of its own (at most 15 characters, the kernel's process name). */
function namedSleep(): { name: string; path: string } {
  const name = `hs${process.pid % 100_000}${Math.floor(Math.random() * 1e6)}`.slice(0, 15);
  const path = join(mkdtempSync(join(tmpdir(), 'harrier-crash-')), name);
  copyFileSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), path);
  chmodSync(path, 0o755);
  return { name, path };
}

test('a setsid child of a Process task dies with its KILLED execution', async (t) => {
  if (!cgroupsOrSkip(t)) return;
  const marker = namedSleep();
  const flow = flowFile(`id: setsid_child
namespace: company.team
tasks:
  - id: spawn
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - setsid ${marker.path} 300 > /dev/null 2>&1 < /dev/null &
      - echo started
      - sleep 60
`);
  const child = startHarrier(['run', flow, '--state-dir', tempStateDir()]);
  await waitForOutput(child, /\[spawn\] started/);
  await sleep(200);
  assert.equal(pgrep(marker.name).length, 1, 'the setsid child runs');
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, 1);
  assert.match(result.stdout, /KILLED/);
  assert.deepEqual(pgrep(marker.name), [], 'nothing the task started is left');
});

/** Live processes of that name (a killed one may stay a zombie until the machine's init reaps it). */
function pgrep(name: string): string[] {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

test('stdout closed by its reader (| head -1): no stack trace, the execution runs to its end and stores every line', async () => {
  const flow = flowFile(`id: closed_stdout
namespace: company.team
tasks:
  - id: talk
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - for i in $(seq 1 200); do echo "line $i"; done
      - sleep 0.5
      - for i in $(seq 201 400); do echo "line $i"; done
`);
  const stateDir = tempStateDir();
  const child = spawn('sh', ['-c', `"${HARRIER_BIN}" run "${flow}" --state-dir "${stateDir}" | head -1; echo "exit=\${PIPESTATUS:-}"`], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, NO_COLOR: '1' },
  });
  const out = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
  assert.doesNotMatch(out.stderr, /Unhandled|EPIPE|internal error|at .*:\d+:\d+/, out.stderr);
  assert.equal(out.stdout.split('\n')[0], '[talk] line 1');
  const id = startedId(out.stderr);
  assert.equal(await executionState(id, stateDir), 'SUCCESS');
  const logs = await harrier(['logs', id, '--task', 'talk', '--state-dir', stateDir]);
  assert.equal([...logs.stdout.matchAll(/^\[talk\] line \d+$/gm)].length, 400);
});

test('stdout closed, harrier run exits with the execution\'s code', async () => {
  const flow = flowFile(`id: closed_stdout_code
namespace: company.team
tasks:
  - id: talk
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - for i in $(seq 1 300); do echo "line $i"; done
      - exit 3
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  child.stdout!.destroy();
  const result = await child.result;
  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /Unhandled|EPIPE|internal error/);
  assert.equal(await executionState(startedId(result.stderr), stateDir), 'FAILED');
});

test('two signals 20 ms apart: the clean-up still runs, the execution ends KILLED and the task\'s processes are gone', async () => {
  const marker = namedSleep();
  const flow = flowFile(`id: two_signals
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - trap '' TERM
      - echo up
      - ${marker.path} 300
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = startedId(await waitForOutput(child, /Execution \S+ started/));
  await waitForOutput(child, /\[long\] up/);
  child.kill('SIGTERM');
  await sleep(20);
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /received again: the clean-up is still running/);
  assert.equal(await executionState(id, stateDir), 'KILLED');
  assert.deepEqual(pgrep(marker.name), []);
});

test('Docker: two signals 20 ms apart leave no container nor volume, and the execution KILLED', async (t) => {
  if (!dockerOrSkip(t)) return;
  const flow = flowFile(`id: two_signals_docker
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
      pullPolicy: NEVER
    commands: ["echo up", "sleep 300"]
`);
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = startedId(await waitForOutput(child, /Execution \S+ started/));
  await waitForOutput(child, /\[long\] up/, 60_000);
  child.kill('SIGINT');
  await sleep(20);
  child.kill('SIGINT');
  const result = await child.result;
  assert.equal(result.code, 130, `Ctrl-C is exit 130: ${result.stderr}`);
  assert.equal(await executionState(id, stateDir), 'KILLED');
  const label = `harrier.io/execution-id=${id}`;
  assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [label] } }), []);
  assert.deepEqual((await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? [], []);
});

test('SIGKILL of harrier ends its Process task too (the cgroup watcher); what outlives the watcher dies when the next attempt starts', async (t) => {
  if (!cgroupsOrSkip(t)) return;
  const flow = (marker: string): string => flowFile(`id: leftover
namespace: company.team
tasks:
  - id: quiet
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo "attempt {{ taskrun.attemptsCount }}"
      - if [ {{ taskrun.attemptsCount }} = 0 ]; then ${marker} 300; fi
`);
  const crash = async (marker: { name: string; path: string }, beforeKill: (id: string) => void): Promise<{ id: string; stateDir: string }> => {
    const stateDir = tempStateDir();
    const child = startHarrier(['run', flow(marker.path), '--state-dir', stateDir]);
    const id = startedId(await waitForOutput(child, /Execution \S+ started/));
    await waitForOutput(child, /\[quiet\] attempt 0/);
    await until(() => pgrep(marker.name).length === 1, 'the task to start');
    beforeKill(id);
    child.kill('SIGKILL');
    await child.result;
    return { id, stateDir };
  };

  const watched = namedSleep();
  await crash(watched, () => undefined);
  await until(() => pgrep(watched.name).length === 0, 'the watcher to end the task', 5_000);

  const unwatched = namedSleep();
  const { id, stateDir } = await crash(unwatched, (executionId) => killWatcher(executionId));
  await sleep(500);
  assert.equal(pgrep(unwatched.name).length, 1, 'without its watcher, the task outlived harrier');
  const resumed = await harrier(['resume', id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(taskRun(JSON.parse(resumed.stdout), 'quiet').attempts.map((attempt) => attempt.state), ['FAILED', 'SUCCESS']);
  assert.deepEqual(pgrep(unwatched.name), [], 'the interrupted attempt does not run on beside the new one');
});

const FREEZER = '/sys/fs/cgroup/freezer';

function cgroupsOrSkip(t: { skip(message?: string): void }): boolean {
  if (existsSync(join(FREEZER, 'tasks'))) return true;
  const reason = `no cgroup v1 freezer hierarchy at ${FREEZER}: Process tasks are ended by process group only`;
  console.log(`# SKIPPED (cgroups): ${reason}`);
  t.skip(reason);
  return false;
}

/** SIGKILLs the cgroup watcher of the execution's running Process task. */
function killWatcher(executionId: string): void {
  const group = readdirSync(join(FREEZER, 'harrier')).find((name) => name.startsWith(`${executionId}-`))!;
  for (const pid of readFileSync(join(FREEZER, 'harrier', group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('read -r _')) process.kill(Number(pid), 'SIGKILL');
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
