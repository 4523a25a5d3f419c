/**
 * A harrier process SIGKILLed after an attempt's end is stored and before its container is removed
 * (test/support/pause-before-removal.ts holds it there): the next process that resumes or takes
 * the execution over removes the container first, and never runs the finished task again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerOrSkip, watchContainerCreates } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, REPO_ROOT, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { PAUSED_MARK } from '../support/pause-before-removal.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { api, deployFlow, startServerProcess, untilState, type ServerProcess } from '../support/server.ts';

const PAUSE = { NODE_OPTIONS: `--import=${join(REPO_ROOT, 'test/support/pause-before-removal.ts')}` };
const NAMESPACE = 'release.crash';
const LINES = 5;

function flowYaml(id: string): string {
  return `id: ${id}
namespace: ${NAMESPACE}
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${ensureBusyboxImage()}
    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker, pullPolicy: NEVER}
    commands:
      - for i in $(seq 1 ${LINES}); do echo line $i; done
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after work
`;
}

function containersOf(executionId: string): string[] {
  const filter = `label=harrier.io/execution-id=${executionId}`;
  const containers = execFileSync('docker', ['ps', '-a', '--filter', filter, '--format', 'container {{.ID}} {{.State}}'], { encoding: 'utf8' });
  const volumes = execFileSync('docker', ['volume', 'ls', '--filter', filter, '--format', 'volume {{.Name}}'], { encoding: 'utf8' });
  return `${containers}${volumes}`.split('\n').filter(Boolean);
}

/** What a failed test left of its execution: removed, so that it does not pile up. */
function removeAfterFailure(executionId: string | undefined): void {
  if (!executionId) return;
  const filter = `label=harrier.io/execution-id=${executionId}`;
  const containers = execFileSync('docker', ['ps', '-aq', '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (containers.length) execFileSync('docker', ['rm', '-f', '-v', ...containers]);
  const volumes = execFileSync('docker', ['volume', 'ls', '-q', '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (volumes.length) execFileSync('docker', ['volume', 'rm', ...volumes]);
}

interface Shown {
  state: string;
  taskRuns: { taskId: string; state: string; attempts: { state: string }[] }[];
}

async function shown(id: string, stateDir: string): Promise<Shown> {
  const result = await harrier(['executions', 'show', id, '-o', 'json', '--state-dir', stateDir]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Shown;
}

function attemptsOf(doc: Shown): string[] {
  return doc.taskRuns.map((taskRun) => `${taskRun.taskId}: ${taskRun.attempts.map((attempt) => attempt.state).join(',')}`);
}

test('harrier run SIGKILLed between the stored end and the container\'s removal: resume removes it, the task does not run again', async (t) => {
  if (!dockerOrSkip(t)) return;
  const stateDir = tempStateDir();
  const creates = watchContainerCreates(`harrier.io/namespace=${NAMESPACE}`);
  let id: string | undefined;
  try {
    const child = startHarrier(['run', flowFile(flowYaml('release_run')), '--state-dir', stateDir], { env: PAUSE });
    id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
    await waitForOutput(child, new RegExp(PAUSED_MARK));
    const atPause = await shown(id, stateDir);
    assert.deepEqual(attemptsOf(atPause), ['work: SUCCESS'], 'the end is stored before the removal starts');
    assert.equal(containersOf(id).filter((line) => line.startsWith('container ')).length, 1, 'the container is still there');
    child.kill('SIGKILL');
    await child.result;

    const resumed = await harrier(['resume', id, '--state-dir', stateDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = await shown(id, stateDir);
    assert.equal(doc.state, 'SUCCESS');
    assert.deepEqual(attemptsOf(doc), ['work: SUCCESS', 'after: SUCCESS'], 'one attempt of work: not run again');
    assert.deepEqual(containersOf(id), [], 'the resume removed the container');
    const logs = await harrier(['logs', id, '--task', 'work', '--state-dir', stateDir]);
    assert.deepEqual(logs.stdout.split('\n').filter((line) => / line \d+$/.test(line)).map((line) => /line (\d+)$/.exec(line)![1]),
      Array.from({ length: LINES }, (_, i) => String(i + 1)), 'every line once');
    await sleep(500);
    assert.deepEqual([...creates.creates.entries()].filter(([key]) => key.startsWith(`${id}/`)), [[`${id}/1`, 1]], 'one container for the one attempt');
  } finally {
    creates.stop();
    removeAfterFailure(id);
  }
});

/** Where the workers keep the execution: a shared state dir's SQLite file, or a PostgreSQL database. */
interface StoreChoice {
  name: string;
  /** Why it cannot be used here, or undefined. */
  unavailable(): string | undefined;
  /** The `harrier server` arguments that select it. */
  args(): Promise<string[]>;
  close(): Promise<void>;
}

let postgres: TestPostgres | undefined;
const STORES: StoreChoice[] = [
  { name: 'SQLite', unavailable: () => undefined, args: async () => ['--state-dir', tempStateDir()], close: async () => undefined },
  {
    name: 'PostgreSQL',
    unavailable: postgresUnavailable,
    args: async () => {
      postgres ??= await startPostgres();
      return ['--state-dir', tempStateDir(), '--store', await postgres.createDatabase()];
    },
    close: async () => {
      await postgres?.stop();
      postgres = undefined;
    },
  },
];

for (const store of STORES) {
  test(`a worker SIGKILLed between the stored end and the container's removal (${store.name} store): the server that takes over removes it, the task does not run again`, async (t) => {
    if (!dockerOrSkip(t)) return;
    const unavailable = store.unavailable();
    if (unavailable) return void t.skip(unavailable);
    const storeArgs = await store.args();
    const creates = watchContainerCreates(`harrier.io/namespace=${NAMESPACE}`);
    const servers: ServerProcess[] = [];
    let paused: ServerProcess | undefined;
    let started: string | undefined;
    const leases = ['--lease-ms', '3000', '--renew-ms', '500', '--poll-ms', '200'];
    try {
      const worker = await startServerProcess({ args: ['--workers', '1', ...leases, ...storeArgs], env: PAUSE });
      paused = worker;
      assert.equal((await deployFlow(worker.url, flowYaml('release_worker'))).status, 200);
      const { status, body } = await api(worker.url, `/api/v1/executions/${NAMESPACE}/release_worker`, { method: 'POST' });
      assert.equal(status, 200, JSON.stringify(body));
      const id: string = body.id;
      started = id;
      for (const deadline = Date.now() + 60_000; !worker.output().includes(PAUSED_MARK);) {
        if (Date.now() > deadline) throw new Error(`the worker never reached the removal:\n${worker.output()}`);
        await sleep(100);
      }
      const atPause = (await api(worker.url, `/api/v1/executions/${id}`)).body;
      assert.deepEqual(atPause.taskRunList.map((taskRun: any) => `${taskRun.taskId}: ${taskRun.attempts.map((attempt: any) => attempt.state.current).join(',')}`),
        ['work: SUCCESS'], 'the end is stored before the removal starts');
      assert.equal(containersOf(id).filter((line) => line.startsWith('container ')).length, 1, 'the container is still there');
      worker.child.kill('SIGKILL');
      await worker.child.result;

      const next = await startServerProcess({ args: ['--workers', '1', ...leases, ...storeArgs] });
      servers.push(next);
      const ended = await untilState(next.url, id, ['SUCCESS', 'FAILED', 'KILLED'], 60_000);
      assert.equal(ended.state.current, 'SUCCESS', next.output());
      assert.match(next.output(), new RegExp(`took execution ${id} over`));
      assert.deepEqual(ended.taskRunList.map((taskRun: any) => `${taskRun.taskId}: ${taskRun.attempts.length}`), ['work: 1', 'after: 1'], 'work is not run again');
      assert.deepEqual(containersOf(id), [], 'the new owner removed the container');
      await sleep(500);
      assert.deepEqual([...creates.creates.entries()].filter(([key]) => key.startsWith(`${id}/`)), [[`${id}/1`, 1]], 'one container for the one attempt');
    } finally {
      creates.stop();
      // Held at the removal, it would wait for it on SIGTERM.
      paused?.child.kill('SIGKILL');
      for (const server of servers) await server.stop();
      await store.close();
      removeAfterFailure(started);
    }
  });
}
