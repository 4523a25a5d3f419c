/**
 * In-process engine tests: a real Engine on a real SQLite store in a temp folder, whose script
 * tasks run through a scripted fake runner instead of processes, containers or pods.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine, type ExecutionListener } from '../../../src/engine/index.ts';
import type { Flow, RunnerKind } from '../../../src/flow/model.ts';
import { parseFlow } from '../../../src/flow/parse.ts';
import type { ResumeHandle, RunnerJob, RunnerResult, TaskRunner } from '../../../src/runners/contract.ts';
import { RunnerRegistry } from '../../../src/runners/registry.ts';
import type { ExecutionRecord, TaskRunRecord } from '../../../src/store/index.ts';

/** What a fake task does on one attempt: resolves to the exit code; the fake adds abort handling. */
export type Behaviour = (job: RunnerJob) => number | Promise<number>;

export interface FakeCall {
  taskId: string;
  attempt: number;
  job: RunnerJob;
  startedAt: number;
  endedAt?: number;
  /** The abort reason, when the signal fired during the call. */
  aborted?: unknown;
}

/** A runner that does what each task id's behaviour says and records every call and release. */
export class FakeRunner implements TaskRunner {
  readonly kind: RunnerKind;
  readonly calls: FakeCall[] = [];
  /** Every release, in order, with the settings it was given. */
  readonly releases: { handle: ResumeHandle; settings?: Record<string, string> }[] = [];
  /** What release does besides recording (check the store, fail); replaced by tests. */
  onRelease: (handle: ResumeHandle) => void | Promise<void> = () => undefined;
  /** Most calls in progress at once. */
  peak = 0;
  private running = 0;
  private readonly behaviours = new Map<string, Behaviour>();

  /** Re-attaching or not comes from the descriptor of `kind`, as for the real runner. */
  constructor(kind: RunnerKind) {
    this.kind = kind;
  }

  on(taskId: string, behaviour: Behaviour): this {
    this.behaviours.set(taskId, behaviour);
    return this;
  }

  callsOf(taskId: string): FakeCall[] {
    return this.calls.filter((call) => call.taskId === taskId);
  }

  workingDirFor(hostWorkingDir: string): string {
    return hostWorkingDir;
  }

  async release(handle: ResumeHandle, settings?: Record<string, string>): Promise<void> {
    this.releases.push({ handle, settings });
    await this.onRelease(handle);
  }

  async run(job: RunnerJob): Promise<RunnerResult> {
    const call: FakeCall = { taskId: job.identity.taskId, attempt: job.identity.attempt, job, startedAt: Date.now() };
    this.calls.push(call);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      job.signal.throwIfAborted();
      const behaviour = this.behaviours.get(call.taskId) ?? (() => 0);
      const exitCode = await Promise.race([behaviour(job), rejectOnAbort(job.signal)]);
      return { exitCode };
    } catch (error) {
      if (job.signal.aborted) call.aborted = job.signal.reason;
      throw error;
    } finally {
      this.running--;
      call.endedAt = Date.now();
    }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** Exit codes for attempts 1, 2, ...; the last one repeats. */
export function exits(...codes: number[]): Behaviour {
  return (job) => codes[Math.min(job.identity.attempt, codes.length) - 1];
}

/** Exits after `ms`, unless aborted first. */
export function takes(ms: number, exitCode = 0): Behaviour {
  return (job) => sleep(ms, exitCode, { signal: job.signal });
}

/** Never ends: the harrier process running it is about to die. */
export const hangs: Behaviour = () => new Promise<number>(() => undefined);

/** The registry the engine gets: every runner kind served by a fake. */
export class FakeRunners extends RunnerRegistry {
  private readonly fakes: Partial<Record<RunnerKind, TaskRunner>>;

  constructor(fakes: Partial<Record<RunnerKind, TaskRunner>>) {
    super();
    this.fakes = fakes;
  }

  override get(kind: RunnerKind): Promise<TaskRunner> {
    const fake = this.fakes[kind];
    return fake ? Promise.resolve(fake) : Promise.reject(new Error(`the test gave no fake runner for '${kind}'`));
  }
}

const stateDirs: string[] = [];
process.on('exit', () => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp state directory, removed when the test process exits. */
export function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'contract-engine-'));
  stateDirs.push(dir);
  return dir;
}

export interface Started {
  engine: Engine;
  flow: Flow;
  execution: ExecutionRecord;
  /** The engine's runChain() of it: the last execution of its CREATE_NEW_EXECUTION chain. */
  done: Promise<ExecutionRecord>;
  /** The executions of the chain that ended RETRIED, as the engine announced each. */
  retried: ExecutionRecord[];
  /** Every task run change the listener saw, in order. */
  changes: TaskRunRecord[];
}

export async function openEngine(dir: string, fakes: Partial<Record<RunnerKind, TaskRunner>>, listener: ExecutionListener = {}): Promise<Engine> {
  return await Engine.open({ stateDir: dir, runners: new FakeRunners(fakes), listener });
}

/** A second harrier process: resumes the execution and runs it to its end. */
export async function resume(dir: string, executionId: string, fakes: Partial<Record<RunnerKind, TaskRunner>>) {
  const engine = await openEngine(dir, fakes);
  const prepared = await engine.prepareResume(executionId);
  const ended = await engine.runChain(prepared.execution, prepared.flow);
  const attempts = async (taskId: string) => {
    const taskRun = (await engine.store.taskRuns(ended.id)).find((run) => run.taskId === taskId);
    assert.ok(taskRun, `task run ${taskId}`);
    return await engine.store.attempts(taskRun.id);
  };
  const lines = async (taskId: string, level?: string) => (await engine.store.logs(ended.id, { taskId })).filter((log) => !level || log.level === level).map((log) => log.line);
  return { engine, prepared, ended, attempts, lines };
}

/** Creates an execution of the flow and starts running it, and the executions its retries make. */
export async function start(dir: string, yaml: string, fakes: Partial<Record<RunnerKind, TaskRunner>>): Promise<Started> {
  const changes: TaskRunRecord[] = [];
  const retried: ExecutionRecord[] = [];
  const engine = await openEngine(dir, fakes, { taskRunChanged: (taskRun) => changes.push(taskRun) });
  const flow = parseFlow(yaml, join(dir, 'flow.yaml'));
  const execution = await engine.createExecution({ flow, flowSource: yaml, flowFile: join(dir, 'flow.yaml'), rawInputs: {}, options: {} });
  const done = engine.runChain(execution, flow, (ended) => {
    retried.push(ended);
  });
  return { engine, flow, execution, done, retried, changes };
}

/** Every execution of the chain, the first one first. */
export async function chainOf(started: Started): Promise<ExecutionRecord[]> {
  const last = await started.done;
  return [...started.retried, last];
}

/**
 * What SIGKILL leaves: from now on nothing this engine does reaches the store. Waits past the log
 * writer's batching first, as the store of a real process would have had that time too; a run
 * that later wakes (a retry wait) fails against the closed store, and that failure is dropped.
 */
export async function crash(started: Started): Promise<void> {
  started.done.catch(() => undefined);
  await sleep(250);
  await started.engine.close();
}

export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Timers run on the monotonic clock, stamps come from the wall clock: a wait scheduled for a
 * stamp can end a millisecond or two before it by the wall clock.
 */
export const CLOCK_SKEW_MS = 5;

/** A flow of shell tasks (the process runner unless a task says otherwise), in YAML. */
export function flowYaml(body: string): string {
  return `id: engine_test\nnamespace: harrier.test\n${body}`;
}
