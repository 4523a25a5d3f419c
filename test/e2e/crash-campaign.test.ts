/**
 * The crash campaign: per runner (process, Docker, Kubernetes on the simulator), trials that stop
 * harrier roughly (SIGKILL of the run, SIGKILL of the resume, two signals 20 ms apart, a closed
 * stdout) at random moments, then check on every trial that finished tasks never ran again, every
 * line is stored exactly once and intact, outputs are complete, nothing is left behind, and no
 * execution stays RUNNING without an owner.
 *
 * Deterministic from its seed (printed): HARRIER_CRASH_SEED=<n> replays a campaign, and
 * HARRIER_CRASH_TRIALS=<n> sets the trials per runner (default 8).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { isOwnerAlive } from '../../src/engine/ownership.ts';
import { isSuccessful, isTerminal, SqliteStore, type LogRecord, type State, type Store } from '../../src/store/index.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';
import { dockerOrSkip, dockerStatus } from '../support/docker.ts';
import { ensureBusyboxAlias, ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { kubeconfigFile } from '../support/kube-backends.ts';

const SEED = Number(process.env.HARRIER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRIALS = Number(process.env.HARRIER_CRASH_TRIALS ?? 8);
const FIRST_LINES = 10;
const SECOND_LINES = 30;

type RunnerName = 'process' | 'docker' | 'kubernetes';
type Trial = 'kill-run' | 'kill-resume' | 'two-signals' | 'closed-stdout';
const TRIAL_KINDS: Trial[] = ['kill-run', 'kill-resume', 'two-signals', 'closed-stdout'];

const docker = new Docker();
let sim: KubeSim | undefined;
let kubeconfigPath = '';

before(async () => {
  console.log(`# crash campaign: seed ${SEED}, ${TRIALS} trials per runner (HARRIER_CRASH_SEED=${SEED} replays it)`);
  if (!dockerStatus().ok) return;
  ensureBusyboxAlias();
  sim = await startKubeSim({});
  kubeconfigPath = kubeconfigFile(sim);
});

after(async () => {
  await sim?.stop();
});

function taskRunnerYaml(runner: RunnerName): string {
  if (runner === 'process') return 'type: io.kestra.plugin.core.runner.Process';
  if (runner === 'docker') return 'type: io.kestra.plugin.scripts.runner.docker.Docker\n      pullPolicy: NEVER';
  return 'type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes\n      pullPolicy: IfNotPresent';
}

/** Two tasks: a short one, then one that prints for a while; each writes an output file. */
function campaignFlow(runner: RunnerName): string {
  const image = runner === 'process' ? '' : `\n    containerImage: ${ensureBusyboxImage()}`;
  const task = (id: string, lines: number, pause: string): string => `
  - id: ${id}
    type: io.kestra.plugin.scripts.shell.Commands${image}
    taskRunner:
      ${taskRunnerYaml(runner)}
    outputFiles: ["${id}.txt"]
    commands:
      - for i in $(seq 1 ${lines}); do echo "line $i"; if [ $((i % 10)) = 0 ]; then echo "err $i" >&2; fi; sleep ${pause}; done
      - echo "${id} complete" > ${id}.txt`;
  return flowFile(`id: crash_${runner}
namespace: company.crash
tasks:${task('first', FIRST_LINES, '0.01')}${task('second', SECOND_LINES, '0.05')}
`);
}

interface Snapshot {
  /** Task id → attempts stored for it when it had already succeeded. */
  finished: Map<string, number>;
}

async function withStore<T>(stateDir: string, read: (store: Store) => Promise<T>): Promise<T> {
  const store = await SqliteStore.open(stateDir);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

function snapshot(stateDir: string, id: string): Promise<Snapshot> {
  return withStore(stateDir, async (store) => {
    const finished = new Map<string, number>();
    for (const taskRun of await store.taskRuns(id)) {
      if (isSuccessful(taskRun.state)) finished.set(taskRun.taskId, (await store.attempts(taskRun.id)).length);
    }
    return { finished };
  });
}

async function leftovers(id: string): Promise<string[]> {
  const label = `harrier.io/execution-id=${id}`;
  const found: string[] = [];
  if (dockerStatus().ok) {
    for (const c of await docker.listContainers({ all: true, filters: { label: [label] } })) found.push(`container ${c.Names[0]}`);
    for (const v of (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []) found.push(`volume ${v.Name}`);
  }
  if (sim) {
    await sim.settled();
    for (const pod of sim.store.list('default')) {
      if (pod.metadata.labels?.['harrier.io/execution-id'] === id) found.push(`pod ${pod.metadata.name}`);
    }
  }
  return found;
}

/** Resumes until the execution ended (a resume can itself be killed by the trial). */
async function resumeToEnd(id: string, stateDir: string, env: Record<string, string>): Promise<void> {
  for (let tries = 0; tries < 5; tries++) {
    const state = await withStore(stateDir, async (store) => (await store.getExecution(id))!.state);
    if (isTerminal(state)) return;
    const resumed = await harrier(['resume', id, '--state-dir', stateDir], { env });
    assert.ok(resumed.code === 0 || resumed.code === 1, `resume exit ${resumed.code}: ${resumed.stderr}`);
    assert.doesNotMatch(resumed.stderr, /internal error|Unhandled|ENOENT/, resumed.stderr);
  }
  assert.fail(`execution ${id} did not end after 5 resumes`);
}

/** One trial; returns a one-line description for the report. */
async function runTrial(flow: string, trial: Trial, delayMs: number, env: Record<string, string>): Promise<string> {
  const stateDir = tempStateDir('harrier-crash-');
  const child = startHarrier(['run', flow, '--state-dir', stateDir], { env });
  if (trial === 'closed-stdout') child.stdout!.destroy();
  const id = /Execution (\S+) started/.exec(await waitForOutput(child, /Execution \S+ started/, 60_000))![1];
  const snapshots: Snapshot[] = [];
  let expectKilled = false;
  if (trial === 'kill-run' || trial === 'kill-resume') {
    await sleep(delayMs);
    child.kill('SIGKILL');
    await child.result;
    snapshots.push(await snapshot(stateDir, id));
    if (trial === 'kill-resume' && !isTerminal(await withStore(stateDir, async (store) => (await store.getExecution(id))!.state))) {
      const resume = startHarrier(['resume', id, '--state-dir', stateDir], { env });
      await sleep(delayMs / 2);
      resume.kill('SIGKILL');
      await resume.result;
      snapshots.push(await snapshot(stateDir, id));
    }
    await resumeToEnd(id, stateDir, env);
  } else if (trial === 'two-signals') {
    await sleep(delayMs);
    child.kill('SIGTERM');
    await sleep(20);
    child.kill('SIGTERM');
    const result = await child.result;
    // A second signal that lands as the process exits, its clean-up done, meets the default
    // action (Node restores it at teardown): a death by SIGTERM, then, is no failure.
    assert.ok(result.code === 0 || result.code === 1 || result.signal === 'SIGTERM', `exit ${result.code} (signal ${result.signal}) after two signals: ${result.stderr}`);
    expectKilled = true;
  } else {
    const result = await child.result;
    assert.equal(result.code, 0, result.stderr);
  }

  const finalState = await withStore(stateDir, (store) => checkStored(store, id, snapshots));
  // Kestra's warningOnStdErr: the stderr lines make a successful task WARNING.
  if (expectKilled) assert.ok(finalState === 'KILLED' || isSuccessful(finalState), `state ${finalState} after two signals`);
  else assert.ok(isSuccessful(finalState), `state ${finalState}`);
  assert.deepEqual(await leftovers(id), [], 'nothing is left behind');
  return `${trial} at ${Math.round(delayMs)} ms: ${finalState}`;
}

/** The store's side of every trial's checks; returns the execution's final state. */
async function checkStored(store: Store, id: string, snapshots: Snapshot[]): Promise<State> {
  const execution = (await store.getExecution(id))!;
  for (const other of await store.listExecutions()) {
    const owner = await store.ownerOf(other.id);
    assert.ok(isTerminal(other.state) || (owner && isOwnerAlive(owner)), `execution ${other.id} stays ${other.state} without an owner`);
  }
  const records = await store.logs(id);
  for (const taskRun of await store.taskRuns(id)) {
    const attempts = await store.attempts(taskRun.id);
    for (const shot of snapshots) {
      const before = shot.finished.get(taskRun.taskId);
      if (before !== undefined) assert.equal(attempts.length, before, `${taskRun.taskId} finished, then ran again`);
    }
    const lines = taskRun.taskId === 'first' ? FIRST_LINES : SECOND_LINES;
    for (const attempt of attempts) {
      const printed = records.filter((r) => r.taskRunId === taskRun.id && r.attempt === attempt.number && r.stream !== undefined);
      checkLines(printed, taskRun.taskId, attempt.number, isSuccessful(attempt.state) ? lines : undefined);
    }
    if (isSuccessful(taskRun.state)) {
      const file = taskRun.outputFiles?.[`${taskRun.taskId}.txt`];
      if (!file) assert.fail(`${taskRun.taskId} has its output file; its attempts and log:\n${await describeTaskRun(store, taskRun.id, records)}`);
      assert.equal(readFileSync(file.path, 'utf8'), `${taskRun.taskId} complete\n`);
    }
  }
  return execution.state;
}

/** What a failed check shows of a task run: its attempts, then its stored log. */
async function describeTaskRun(store: Store, taskRunId: string, records: LogRecord[]): Promise<string> {
  const attempts = (await store.attempts(taskRunId)).map((a) => `attempt ${a.number} ${a.state} ${a.error ?? ''} ${JSON.stringify(a.resumeHandle ?? {})}`);
  const lines = records.filter((r) => r.taskRunId === taskRunId).map((r) => `  [${r.attempt ?? '-'}] ${r.level} ${r.line}`);
  return [...attempts, ...lines].join('\n');
}

/** Lines of one attempt: intact, each at most once, in order; all of them when `complete` is given. */
function checkLines(printed: LogRecord[], taskId: string, attempt: number, complete: number | undefined): void {
  const where = `${taskId} attempt ${attempt}`;
  // Kubernetes has one log per container: stderr lines arrive as stdout there.
  const lines = printed.map((r) => r.line);
  for (const line of lines) assert.match(line, /^(line|err) \d+$/, `${where}: a corrupted line`);
  const numbers = lines.filter((line) => line.startsWith('line ')).map((line) => Number(line.slice(5)));
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `${where}: every line once, in order`);
  const errNumbers = lines.filter((line) => line.startsWith('err ')).map((line) => Number(line.slice(4)));
  assert.deepEqual(errNumbers, errNumbers.map((_, i) => (i + 1) * 10), `${where}: every stderr line once, in order`);
  if (complete !== undefined) {
    assert.equal(numbers.length, complete, `${where}: all ${complete} lines`);
    assert.equal(errNumbers.length, Math.floor(complete / 10), `${where}: all stderr lines`);
  }
}

const RUNNERS: { name: RunnerName; maxDelayMs: number }[] = [
  { name: 'process', maxDelayMs: 2_500 },
  { name: 'docker', maxDelayMs: 4_000 },
  { name: 'kubernetes', maxDelayMs: 6_000 },
];

for (const [index, { name, maxDelayMs }] of RUNNERS.entries()) {
  test(`crash campaign, ${name} runner`, async (t) => {
    if (name !== 'process' && !dockerOrSkip(t)) return;
    const next = seededRandom(SEED + index);
    const flow = campaignFlow(name);
    const env: Record<string, string> = name === 'kubernetes' ? { KUBECONFIG: kubeconfigPath } : {};
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const kind = TRIAL_KINDS[Math.floor(next() * TRIAL_KINDS.length)];
      const delayMs = 100 + next() * maxDelayMs;
      try {
        outcomes.push(await runTrial(flow, kind, delayMs, env));
      } catch (error) {
        throw new Error(`${name} trial ${trial + 1} (${kind} at ${Math.round(delayMs)} ms, seed ${SEED}) failed: ${(error as Error).message}`, { cause: error });
      }
    }
    t.diagnostic(`${name}: ${outcomes.join('; ')}`);
  });
}
