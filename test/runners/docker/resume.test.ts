/**
 * Resume: a harrier process dies mid-task (SIGKILL, no cleanup); a new one re-attaches to the same
 * container, continues the log without loss or repetition, and collects the outputs.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cursorsFromStored } from '../../../src/runners/log-replay.ts';
import type { LogCursor, LogEntry, ResumeHandle } from '../../../src/runners/contract.ts';
import { createDockerRunner } from '../../../src/runners/docker/index.ts';
import type { HarrierError } from '../../../src/shared/errors.ts';
import { dockerOrSkip } from '../../support/docker.ts';
import { type RecordedJob, docker, makeJob, removeDir, resourcesOf, trackedJobs } from './job.ts';

const runner = createDockerRunner();
const jobs = trackedJobs();
/** What the crashed child stored: its log lines and its resume handle. */
const childFiles = mkdtempSync(join(tmpdir(), 'harrier-docker-crash-'));

interface Crashed {
  /** The first run: what the dead process logged and the handle it saved. */
  logged: LogEntry[];
  handle: ResumeHandle;
  /** The job to resume with, same identity and working directory. */
  resumed: RecordedJob;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function readLogged(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEntry);
}

/** The engine's cursor rule, over what the crashed process logged. */
function cursorOf(logged: LogEntry[]): LogCursor | undefined {
  return cursorsFromStored(logged.toReversed()).logCursor;
}

/** Runs the job in a child process, SIGKILLs it once `killWhen` holds for what it logged. */
async function runAndCrash(
  script: string,
  killWhen: (logged: LogEntry[]) => boolean,
  outputGlobs: string[] = [],
  mode?: 'die-after-save' | 'die-before-create',
): Promise<Crashed> {
  const first = jobs.track(makeJob({ script, outputGlobs, properties: { pullPolicy: 'NEVER' } }));
  const logFile = join(childFiles, `${first.executionId}.log.jsonl`);
  const handleFile = join(childFiles, `${first.executionId}.handle.json`);
  const { signal, log, notice, saveResumeHandle, ...fields } = first.job;
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'crash-child.ts'), JSON.stringify(fields), logFile, handleFile, ...(mode ? [mode] : [])], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await Promise.race([until(() => killWhen(readLogged(logFile)), 'the child to log enough'), exited]);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const resumed = jobs.track(makeJob(fields));
  const logged = readLogged(logFile);
  const handle = JSON.parse(readFileSync(handleFile, 'utf8')) as ResumeHandle;
  resumed.job.resume = { handle, logCursor: cursorOf(logged) };
  return { logged, handle, resumed };
}

describe('Docker runner resume', () => {
  after(() => removeDir(childFiles));

  test('re-attaches to the running container: the log continues without loss or repetition, outputs are collected', async (t) => {
    if (!dockerOrSkip(t)) return;
    const script = [
      'for i in $(seq 1 30); do echo "line-$i"; if [ $((i % 5)) = 0 ]; then echo "err-$i" >&2; fi; sleep 0.05; done',
      'mkdir -p out; echo finished > out/result.txt',
      'printf "tail without newline"',
    ].join('\n');
    const crashed = await runAndCrash(script, (logged) => logged.length >= 8);
    const state = await docker.getContainer(String(crashed.handle.containerId)).inspect();
    assert.equal(state.State.Running, true, 'the container outlived the dead harrier process');

    const result = await runner.run(crashed.resumed.job);
    assert.equal(result.exitCode, 0);
    assert.ok(crashed.resumed.notices.some((notice) => /re-attached to container/.test(notice.message)));
    const all = [...crashed.logged, ...crashed.resumed.logs];
    const stdout = all.filter((entry) => entry.stream === 'stdout').map((entry) => entry.line);
    const stderr = all.filter((entry) => entry.stream === 'stderr').map((entry) => entry.line);
    assert.deepEqual(stdout, [...Array.from({ length: 30 }, (_, i) => `line-${i + 1}`), 'tail without newline']);
    assert.deepEqual(stderr, [5, 10, 15, 20, 25, 30].map((i) => `err-${i}`));
    assert.ok(crashed.resumed.logs.length > 0 && crashed.logged.length >= 8);
    assert.equal(readFileSync(join(crashed.resumed.workDir, 'out', 'result.txt'), 'utf8'), 'finished\n');
    await runner.release(crashed.resumed.handles.at(-1) ?? crashed.handle);
    assert.deepEqual(await resourcesOf(crashed.resumed.executionId), { containers: [], volumes: [] });
  });

  test('a container that finished while nobody watched is still collected, with its exit code', async (t) => {
    if (!dockerOrSkip(t)) return;
    const script = ['echo first', 'sleep 1', 'for i in $(seq 1 20); do echo "later-$i"; done', 'mkdir -p out; echo x > out/x.txt; echo y > y.csv', 'exit 4'].join('\n');
    const crashed = await runAndCrash(script, (logged) => logged.some((entry) => entry.line === 'first'), ['*.csv']);
    const container = docker.getContainer(String(crashed.handle.containerId));
    await until(async () => !(await container.inspect()).State.Running, 'the container to exit');

    const result = await runner.run(crashed.resumed.job);
    assert.equal(result.exitCode, 4);
    const stdout = [...crashed.logged, ...crashed.resumed.logs].map((entry) => entry.line);
    assert.deepEqual(stdout, ['first', ...Array.from({ length: 20 }, (_, i) => `later-${i + 1}`)]);
    assert.equal(readFileSync(join(crashed.resumed.workDir, 'out', 'x.txt'), 'utf8'), 'x\n');
    assert.equal(readFileSync(join(crashed.resumed.workDir, 'y.csv'), 'utf8'), 'y\n');
    await runner.release(crashed.resumed.handles.at(-1) ?? crashed.handle);
    assert.deepEqual(await resourcesOf(crashed.resumed.executionId), { containers: [], volumes: [] });
  });

  test('a container created but never started (crash right after saving the handle) is filled and started on resume', async (t) => {
    if (!dockerOrSkip(t)) return;
    const crashed = await runAndCrash('cat in.txt; mkdir -p out; echo made > out/made.txt', () => false, [], 'die-after-save');
    writeFileSync(join(crashed.resumed.workDir, 'in.txt'), 'from the host\n');
    const state = await docker.getContainer(String(crashed.handle.containerId)).inspect();
    assert.equal(state.State.Status, 'created');

    const result = await runner.run(crashed.resumed.job);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(crashed.resumed.stdout(), ['from the host']);
    assert.equal(readFileSync(join(crashed.resumed.workDir, 'out', 'made.txt'), 'utf8'), 'made\n');
    await runner.release(crashed.resumed.handles.at(-1) ?? crashed.handle);
    assert.deepEqual(await resourcesOf(crashed.resumed.executionId), { containers: [], volumes: [] });
  });

  test('a container created but never started for another working directory (a take-over on another machine): the attempt never started, release removes it', async (t) => {
    if (!dockerOrSkip(t)) return;
    const crashed = await runAndCrash('echo never', () => false, [], 'die-after-save');
    const elsewhere = mkdtempSync(join(tmpdir(), 'harrier-other-machine-'));
    await assert.rejects(runner.run({ ...crashed.resumed.job, hostWorkingDir: elsewhere }), (error: HarrierError) => {
      assert.equal(error.code, 'ATTEMPT_NEVER_STARTED');
      assert.match(error.message, /^interrupted: harrier stopped before container .+ of this attempt was started, and it was made for another working directory/);
      return true;
    });
    assert.equal((await resourcesOf(crashed.resumed.executionId)).containers.length, 1, 'left for release');
    await runner.release(crashed.resumed.handles.at(-1) ?? crashed.handle);
    assert.deepEqual(await resourcesOf(crashed.resumed.executionId), { containers: [], volumes: [] });
  });

  test('killed while creating (the volume made, not the container): the handle saved first names both; resume says the attempt never started, release removes the volume', async (t) => {
    if (!dockerOrSkip(t)) return;
    const crashed = await runAndCrash('echo never', () => false, [], 'die-before-create');
    assert.equal(crashed.handle.containerId, undefined, 'saved before anything was created');
    assert.equal(typeof crashed.handle.containerName, 'string');
    assert.equal(crashed.handle.volume, crashed.handle.containerName);
    // What the dead process would have made had it lived a moment longer.
    await docker.createVolume({ Name: String(crashed.handle.volume), Labels: { 'harrier.io/execution-id': crashed.resumed.executionId } });

    await assert.rejects(runner.run(crashed.resumed.job), (error: HarrierError) => {
      assert.equal(error.code, 'ATTEMPT_NEVER_STARTED');
      assert.match(error.message, /^interrupted: harrier stopped before container \S+ of this attempt was created$/);
      return true;
    });
    assert.equal((await resourcesOf(crashed.resumed.executionId)).volumes.length, 1, 'left for release');
    await runner.release(crashed.resumed.handles.at(-1) ?? crashed.handle);
    assert.deepEqual(await resourcesOf(crashed.resumed.executionId), { containers: [], volumes: [] });
  });
});
