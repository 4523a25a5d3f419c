import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderDeep, renderTemplate } from '../expr/index.ts';
import type { ExprRuntime } from '../expr/index.ts';
import type { Flow, FlowableTask, RetryPolicy, RunnerKind, TaskDef } from '../flow/model.ts';
import { DETACHED, type NoticeLevel, type ResumeHandle } from '../runners/contract.ts';
import { cursorsFromStoredStream } from '../runners/log-replay.ts';
import type { RunnerRegistry } from '../runners/registry.ts';
import { formatDurationMs } from '../shared/duration.ts';
import { describeError, hasCode, TaskFailedError } from '../shared/errors.ts';
import { namespaceFolder } from '../shared/host-paths.ts';
import type {
  AttemptOutputs, AttemptRecord, ExecutionRecord, ExecutionStore, InternalStorage, LogRecord, ParentExecution, State, StoredFile, TaskRunRecord,
} from '../store/index.ts';
import type { SubflowLauncher } from '../tasks/contract.ts';
import { isSuccessful, isTerminal, lineageOf, LogWriter } from '../store/index.ts';
import {
  isFlowable, runFlowable, runTask, taskHasAttemptDir, taskReattaches, type FlowableContext, type Frame, type RunnableTask, type TaskContext, type TaskLogLine,
  type TaskResume,
} from '../tasks/index.ts';
import { combineStates } from '../tasks/flowable.ts';
import { runLimited } from './concurrency.ts';
import { fileOutputs, parentsScope, runKey, valuePath } from './task-run-tree.ts';
import { newId } from './ids.ts';
import type { ExecutionListener } from './listener.ts';
import { nextRetryAt } from './retry.ts';
import { executionScope, taskScope } from './scope.ts';
import { typedFlowOutput } from './inputs.ts';
import type { ExecutionSecrets } from './execution-secrets.ts';
import { StoreHalt } from './store-halt.ts';
import { readForExpression } from './file-reader.ts';
import { allowedState, logLevelKeeps, runIfHolds, stateAfterHandlers } from './task-rules.ts';
import { AttemptReleases } from './attempt-release.ts';

export interface ExecutionRunDeps {
  /** A FencedStore when a server's worker slot drives the execution under a lease. */
  store: ExecutionStore;
  storage: InternalStorage;
  runners: RunnerRegistry;
  listener: ExecutionListener;
  secrets: ExecutionSecrets;
  stateDir: string;
  namespaceFilesRoot: string;
  /** Kestra's `envs` of this process (envsFromEnvironment). */
  envs: Readonly<Record<string, string>>;
  /** How a Subflow task of this execution starts its child execution. */
  subflows(parent: ParentExecution): SubflowLauncher;
}

const now = (): string => new Date().toISOString();

/** Where the flow's own tasks run: outside any flowable. */
const ROOT_FRAME: Frame = { loopPath: '', values: [] };

/** What a task reports about an attempt besides its logs, stored when the attempt ends. */
interface AttemptReport {
  outputs: Record<string, unknown>;
  outputFiles?: Record<string, StoredFile>;
  runnerKind?: RunnerKind;
  /** The runner's last saved resume handle, in clear: what release gets. */
  handle?: ResumeHandle;
}

/** How an attempt ended, as stored on it. */
interface AttemptEnd {
  state: State;
  exitCode?: number;
  error?: string;
}

/**
 * One execution being driven to its end: walks the task tree, runs attempts with retries and
 * timeouts, persists every state change, and re-uses what a previous process already finished.
 */
export class ExecutionRun {
  private readonly deps: ExecutionRunDeps;
  private readonly flow: Flow;
  private execution: ExecutionRecord;
  /** By run key (task and iteration, see runKey), and by id for the parent chain. */
  private readonly taskRuns = new Map<string, TaskRunRecord>();
  private readonly taskRunsById = new Map<string, TaskRunRecord>();
  /** Task runs this run stored and has not started an attempt of yet: they have none in the store, so none is read. */
  private readonly withoutAttempts = new Set<string>();
  /** What expressions see of earlier tasks' outputs and of the inputs: secrets decrypted. */
  private readonly outputs: Record<string, unknown> = {};
  private readonly inputs: Record<string, unknown>;
  private readonly kill = new AbortController();
  /** Aborted (reason DETACHED) when another worker took the execution over: stop, touch nothing. */
  private readonly handover = new AbortController();
  private readonly halt: StoreHalt;
  private readonly logWriter: LogWriter;
  private readonly runtime: ExprRuntime;
  private ordinal = 0;
  /** Set when a failed task asks for the whole flow to run again (`behavior: CREATE_NEW_EXECUTION`). */
  private rerunAt: Date | undefined;
  /**
   * Writes asked for by synchronous callbacks (a runner's metric, the name of a secret an expression
   * read): stored one after the other, awaited before an attempt's end and the execution's.
   */
  private laterWrites: Promise<void> = Promise.resolve();
  private readonly releases: AttemptReleases;

  constructor(deps: ExecutionRunDeps, flow: Flow, execution: ExecutionRecord) {
    this.deps = deps;
    this.flow = flow;
    this.execution = execution;
    this.halt = new StoreHalt(deps.stateDir, () => this.detach());
    this.logWriter = new LogWriter(deps.store, { onFailure: (error) => this.halt.haltOn(error) });
    this.runtime = {
      ...deps.secrets.runtime,
      read: (path) => readForExpression(path, {
        storage: deps.storage,
        executionPrefixes: deps.storage.readablePrefixes({ namespace: flow.namespace, flowId: flow.id, executionId: execution.id }, execution.options.replayOf),
        namespaceDir: namespaceFolder(deps.namespaceFilesRoot, flow.namespace),
      }),
    };
    this.inputs = deps.secrets.open(execution.inputs);
    this.releases = new AttemptReleases({
      store: deps.store, runners: deps.runners, secrets: deps.secrets,
      settings: (kind) => this.execution.options.runnerSettings?.[kind],
      warn: (taskRun, attempt, message) => this.notice(taskRun, 'WARN', message, attempt),
      detached: () => this.detached,
      haltOnFailure: (error) => this.halt.haltOnFailure(error),
    });
  }

  /** What a previous process already stored of this execution's task runs: they are re-used, not run again. */
  private async loadStoredTaskRuns(): Promise<void> {
    const stored = await this.deps.store.taskRuns(this.execution.id);
    for (const taskRun of stored) {
      this.remember(taskRun);
      this.ordinal = Math.max(this.ordinal, taskRun.ordinal + 1);
    }
    for (const taskRun of stored) if (isSuccessful(taskRun.state)) this.fileOutputs(taskRun);
  }

  private remember(taskRun: TaskRunRecord): void {
    this.taskRuns.set(runKey(taskRun.taskId, taskRun.loopPath), taskRun);
    this.taskRunsById.set(taskRun.id, taskRun);
  }

  /** Makes a run's outputs visible to the expressions of the tasks after it. */
  private fileOutputs(taskRun: TaskRunRecord): void {
    fileOutputs(this.outputs, taskRun.taskId, valuePath(taskRun, this.taskRunsById), this.deps.secrets.open(taskRun.outputs ?? {}));
  }

  /** Stores what a synchronous callback reported, after the writes it asked for before (see laterWrites). */
  storeLater(write: () => Promise<void>, what: string): void {
    this.laterWrites = this.laterWrites.then(write).catch((error: unknown) => {
      if (!this.halt.haltOnFailure(error)) this.notice(undefined, 'ERROR', `cannot store ${what}: ${describeError(error)}`);
    });
  }

  get executionId(): string {
    return this.execution.id;
  }

  /** Ctrl-C / SIGTERM: every running attempt is aborted and the execution ends KILLED. */
  abort(): void {
    this.kill.abort('killed');
  }

  /**
   * The lease is lost: running attempts stop watching their containers and pods without deleting
   * them (the new owner re-attaches), a local process is stopped, and nothing more is written.
   */
  detach(): void {
    this.handover.abort(DETACHED);
  }

  get detached(): boolean {
    return this.handover.signal.aborted;
  }

  /**
   * Ends the execution KILLED in the store at once, without waiting for its attempts' clean-up:
   * the process is about to exit. `reason` says why, and is stored on each attempt cut short.
   */
  async abandon(reason: string): Promise<void> {
    this.notice(undefined, 'ERROR', reason);
    await this.logWriter.flush();
    const endedAt = now();
    await this.deps.store.transaction(async () => {
      for (const taskRun of this.taskRuns.values()) {
        if (isTerminal(taskRun.state)) continue;
        for (const attempt of await this.deps.store.attempts(taskRun.id)) {
          if (attempt.state === 'RUNNING') await this.deps.store.finishAttempt(taskRun.id, attempt.number, { state: 'KILLED', error: reason, endedAt });
        }
        await this.deps.store.updateTaskRun(taskRun.id, { state: 'KILLED', endedAt });
      }
      await this.setExecutionState('KILLED', endedAt);
    });
  }

  async run(): Promise<ExecutionRecord> {
    await this.loadStoredTaskRuns();
    const { notBefore } = this.execution.options;
    if (notBefore && this.execution.state === 'CREATED' && !(await this.sleepUntil(new Date(notBefore)))) {
      await this.setExecutionState('KILLED', now());
      return this.execution;
    }
    await this.setExecutionState('RUNNING');
    for (const name of this.deps.secrets.restore()) {
      this.notice(undefined, 'WARN', `secret '${name}', which this execution read before, is no longer defined: its value cannot be masked`
        + ` (set SECRET_${name} or pass the same --secrets-file when resuming)`);
    }
    await this.releases.releaseEnded(this.taskRuns.values());
    let state: State;
    try {
      state = await this.runFlowTasks();
    } catch (error) {
      if (!this.halt.haltOnFailure(error)) this.notice(undefined, 'ERROR', `execution stopped: ${describeError(error)}`);
      state = 'FAILED';
    }
    if (this.kill.signal.aborted) state = 'KILLED';
    // Before the end is stored: an execution seen ended has nothing of its own left running.
    await this.releases.retryFailed();
    await this.laterWrites;
    await this.logWriter.flush();
    if (this.halt.halted && state !== 'KILLED') {
      const message = await this.halt.message(this.deps.store, this.execution.id);
      if (!this.halt.reported) this.notice(undefined, 'ERROR', message);
      await this.logWriter.flush();
      await this.setExecutionState('FAILED', now(), this.halt.failure(message));
    } else if (state === 'FAILED' && this.rerunAt) {
      const rerunAt = this.rerunAt;
      await this.deps.store.transaction(async () => {
        await this.setExecutionState('RETRIED', now());
        await this.deps.store.insertExecution(this.successor(rerunAt));
      });
    } else {
      await this.setExecutionState(state, now());
      await this.runAfterExecution();
    }
    await this.removeEmptyExecutionDir();
    return this.execution;
  }

  /**
   * Each task run's folder goes at its end; the execution's own goes once it ended, when empty: rmdir
   * refuses otherwise, so a folder kept for `harrier resume` (a full disk's) stays, as does one that
   * cannot be removed, which costs nothing but a name.
   */
  private async removeEmptyExecutionDir(): Promise<void> {
    await rmdir(join(this.deps.stateDir, 'work', this.execution.id)).catch(() => undefined);
  }

  /**
   * The flow's tasks, then Kestra's flow-level handlers: `errors` when the tasks failed, `finally`
   * whatever their end, then the flow's `outputs`, rendered into the execution's.
   */
  private async runFlowTasks(): Promise<State> {
    const main = await this.runSequence(this.flow.tasks, ROOT_FRAME);
    if (main === 'FAILED' && !this.kill.signal.aborted) await this.runSequence(this.flow.errors, ROOT_FRAME);
    const finallyState = this.flow.finally.length > 0 && !this.kill.signal.aborted ? await this.runSequence(this.flow.finally, ROOT_FRAME) : undefined;
    const state = stateAfterHandlers(main, finallyState);
    if (!isSuccessful(state) || this.flow.outputs.length === 0) return state;
    try {
      const scope = executionScope(this.flow, this.execution, this.inputs, this.outputs, this.deps.envs);
      const outputs = Object.fromEntries(this.flow.outputs.map((output) => [output.id, typedFlowOutput(output, renderDeep(output.value, scope, this.runtime, `flow output '${output.id}'`))]));
      const sealed = this.deps.secrets.seal(outputs) as Record<string, unknown>;
      await this.deps.store.setExecutionOutputs(this.execution.id, sealed);
      this.execution = { ...this.execution, outputs: sealed };
      return state;
    } catch (error) {
      if (!this.halt.haltOnFailure(error)) this.notice(undefined, 'ERROR', describeError(error));
      return 'FAILED';
    }
  }

  /** Kestra's `afterExecution`: runs once the execution has its state, and does not change it. */
  private async runAfterExecution(): Promise<void> {
    if (this.flow.afterExecution.length === 0 || this.kill.signal.aborted) return;
    try {
      await this.runSequence(this.flow.afterExecution, ROOT_FRAME);
    } catch (error) {
      if (!this.halt.haltOnFailure(error)) this.notice(undefined, 'ERROR', `afterExecution stopped: ${describeError(error)}`);
    }
    await this.logWriter.flush();
  }

  /** The next execution of a `CREATE_NEW_EXECUTION` retry: same flow source, inputs and options. */
  private successor(rerunAt: Date): ExecutionRecord {
    const lineage = lineageOf(this.execution);
    return {
      ...this.execution,
      id: newId(),
      state: 'CREATED',
      createdAt: now(),
      endedAt: undefined,
      options: {
        ...this.execution.options,
        notBefore: rerunAt.toISOString(),
        retryOf: { ...lineage, attemptNumber: lineage.attemptNumber + 1, previousId: this.execution.id },
      },
    };
  }

  private async setExecutionState(state: State, endedAt?: string, failure?: ExecutionRecord['failure']): Promise<void> {
    await this.deps.store.setExecutionState(this.execution.id, state, endedAt, failure);
    this.execution = { ...this.execution, state, endedAt, failure };
  }

  /** Runs tasks one after the other; stops at the first that does not succeed. */
  private async runSequence(tasks: readonly TaskDef[], frame: Frame): Promise<State> {
    let warned = false;
    for (const [index, task] of tasks.entries()) {
      if (task.disabled) continue;
      if (this.kill.signal.aborted) return this.settleKilled(tasks.slice(index), frame);
      if (this.halt.signal.aborted || frame.deadline?.aborted) return 'FAILED';
      const state = await this.runOne(task, frame);
      if (!isSuccessful(state)) return state;
      warned ||= state === 'WARNING';
    }
    return warned ? 'WARNING' : 'SUCCESS';
  }

  /**
   * After a kill no task starts, but those a previous harrier process left running are visited:
   * their container or pod is re-attached to only to be cleaned up, and their attempt ends KILLED.
   */
  private async settleKilled(tasks: readonly TaskDef[], frame: Frame): Promise<State> {
    for (const task of tasks) {
      const taskRun = this.taskRuns.get(runKey(task.id, frame.loopPath));
      if (!task.disabled && taskRun && !isTerminal(taskRun.state)) await this.runOne(task, frame);
    }
    return 'KILLED';
  }

  /** A task run to its end, counted as `allowFailure` / `allowWarning` say. */
  private async runOne(task: TaskDef, frame: Frame): Promise<State> {
    const state = await this.runTaskRun(task, frame);
    const allowed = allowedState(task, state);
    if (allowed !== state) {
      const taskRun = this.taskRuns.get(runKey(task.id, frame.loopPath))!;
      await this.updateTaskRun(taskRun, { state: allowed, endedAt: taskRun.endedAt ?? now() });
      this.fileOutputs(taskRun);
    }
    return allowed;
  }

  private async runTaskRun(task: TaskDef, frame: Frame): Promise<State> {
    let taskRun = this.taskRuns.get(runKey(task.id, frame.loopPath));
    if (taskRun && isSuccessful(taskRun.state)) return taskRun.state;
    if (!taskRun) {
      taskRun = {
        id: newId(), executionId: this.execution.id, taskId: task.id, parentTaskRunId: frame.parentTaskRunId,
        value: frame.iteration?.value, iteration: frame.iteration?.index, loopPath: frame.loopPath,
        ordinal: this.ordinal++, state: 'CREATED', startedAt: now(),
      };
      await this.deps.store.insertTaskRun(taskRun);
      this.remember(taskRun);
      this.withoutAttempts.add(taskRun.id);
    }
    const skip = this.runIfSkips(task, taskRun);
    if (skip) {
      await this.updateTaskRun(taskRun, { state: skip, endedAt: now() });
      return skip;
    }
    if (!isFlowable(task)) return this.runAttempts(task, taskRun, frame);
    const state = await this.runFlowableRun(task, taskRun, frame);
    // A full disk keeps its folder (a WorkingDirectory's): `harrier resume` goes on in it once there is room.
    if (isTerminal(state) && !this.halt.signal.aborted) await rm(this.taskRunDir(taskRun), { recursive: true, force: true });
    return state;
  }

  /**
   * A flowable: its own code picks the children; then, as for the flow, its `errors` when they
   * failed and its `finally` whatever their end. Its outputs (If's, Switch's) are filed at the end.
   */
  private async runFlowableRun(task: FlowableTask, taskRun: TaskRunRecord, frame: Frame): Promise<State> {
    await this.markRunning(taskRun);
    const handlers: Frame = {
      loopPath: frame.loopPath, values: frame.values, parentTaskRunId: taskRun.id, sharedDir: frame.sharedDir, retry: task.retry ?? frame.retry,
      deadline: frame.deadline,
    };
    // The flowable's own `timeout` bounds its children, not its errors and finally.
    const timeout = task.timeoutMs === undefined ? undefined : new AbortController();
    // Runners read the reason 'timeout' as a timeout: they stop the work and clean up.
    const timer = timeout && setTimeout(() => timeout.abort('timeout'), task.timeoutMs);
    const inside: Frame = timeout ? { ...handlers, deadline: frame.deadline ? AbortSignal.any([frame.deadline, timeout.signal]) : timeout.signal } : handlers;
    let body: State;
    try {
      body = await runFlowable(task, this.flowableContext(task, taskRun, inside));
    } catch (error) {
      if (!this.halt.haltOnFailure(error)) this.notice(taskRun, 'ERROR', describeError(error));
      body = this.kill.signal.aborted ? 'KILLED' : 'FAILED';
    } finally {
      clearTimeout(timer);
    }
    if (timeout?.signal.aborted && !this.kill.signal.aborted) {
      this.notice(taskRun, 'ERROR', `timed out after ${formatDurationMs(task.timeoutMs!)} (task timeout): its running children were stopped`);
      body = 'FAILED';
    }
    if (body === 'FAILED' && task.errors.length > 0 && !this.kill.signal.aborted) await this.runSequence(task.errors, handlers);
    const finallyState = task.finally.length > 0 && !this.kill.signal.aborted ? await this.runSequence(task.finally, handlers) : undefined;
    const state = stateAfterHandlers(body, finallyState);
    await this.updateTaskRun(taskRun, { state, endedAt: now() });
    if (isSuccessful(state)) this.fileOutputs(taskRun);
    return state;
  }

  /** What a flowable's code may do: run children in frames, record its own outputs. */
  private flowableContext(task: FlowableTask, taskRun: TaskRunRecord, inside: Frame): FlowableContext {
    const killed = (): boolean => this.kill.signal.aborted;
    return {
      scope: () => this.scopeOf(task, taskRun, 1),
      runtime: this.runtime,
      stopped: () => killed() || this.halt.signal.aborted || inside.deadline?.aborted === true,
      killed,
      sequence: (tasks, frame = inside) => this.runSequence(tasks, frame),
      one: (child, frame = inside) => this.runOne(child, frame),
      concurrently: async (items, limit, run, settle) => {
        const states = await runLimited(items, limit, run, { stop: () => killed() || this.halt.signal.aborted || inside.deadline?.aborted === true });
        if (killed() && settle) for (const item of states.notStarted) await settle(item);
        if ((this.halt.signal.aborted || inside.deadline?.aborted) && !killed()) return 'FAILED';
        return combineStates(states.ended, killed());
      },
      iteration: (value, index) => ({
        loopPath: inside.loopPath === '' ? String(index) : `${inside.loopPath}/${index}`,
        values: [...inside.values, value],
        iteration: { value, index },
        parentTaskRunId: taskRun.id,
        sharedDir: inside.sharedDir,
        retry: inside.retry,
        deadline: inside.deadline,
      }),
      withSharedDir: (dir) => ({ ...inside, sharedDir: dir }),
      taskRunId: taskRun.id,
      workDir: this.taskRunDir(taskRun),
      recordOutputs: async (outputs) => {
        const sealed = this.deps.secrets.seal({ ...taskRun.outputs, ...outputs }) as Record<string, unknown>;
        taskRun.outputs = sealed;
        await this.deps.store.saveTaskRunOutputs(taskRun.id, sealed, undefined);
      },
      storedOutputs: () => taskRun.outputs && this.deps.secrets.open(taskRun.outputs),
      notice: (level, message) => this.notice(taskRun, level, message),
      files: {
        storage: this.deps.storage,
        namespaceFilesDir: namespaceFolder(this.deps.namespaceFilesRoot, this.flow.namespace),
        namespaceFilesOf: (namespace) => namespaceFolder(this.deps.namespaceFilesRoot, namespace),
        scope: { namespace: this.flow.namespace, flowId: this.flow.id, executionId: this.execution.id },
      },
    };
  }

  /** The expression scope of a task run: the execution's, its own `taskrun`, and its `parent`/`parents`. */
  private scopeOf(task: TaskDef, taskRun: TaskRunRecord, attempt: number) {
    const base = executionScope(this.flow, this.execution, this.inputs, this.outputs, this.deps.envs);
    return taskScope(base, task, taskRun, attempt, parentsScope(taskRun, this.taskRunsById, (outputs) => this.deps.secrets.open(outputs)));
  }

  /** SKIPPED when the task's `runIf` renders false, FAILED when it cannot be rendered; undefined to run it. */
  private runIfSkips(task: TaskDef, taskRun: TaskRunRecord): State | undefined {
    if (task.runIf === 'true') return undefined;
    const scope = this.scopeOf(task, taskRun, 1);
    try {
      return runIfHolds(renderTemplate(task.runIf, scope, this.runtime, `task '${task.id}', property 'runIf'`)) ? undefined : 'SKIPPED';
    } catch (error) {
      this.notice(taskRun, 'ERROR', describeError(error));
      return 'FAILED';
    }
  }

  private async updateTaskRun(taskRun: TaskRunRecord, change: Pick<TaskRunRecord, 'state' | 'endedAt' | 'nextAttemptAt'>): Promise<TaskRunRecord> {
    Object.assign(taskRun, change);
    if (change.state !== 'RETRYING') taskRun.nextAttemptAt = undefined;
    await this.deps.store.updateTaskRun(taskRun.id, { state: taskRun.state, endedAt: taskRun.endedAt, nextAttemptAt: taskRun.nextAttemptAt });
    this.deps.listener.taskRunChanged?.({ ...taskRun });
    return taskRun;
  }

  /** A task run resumed after a crash is RUNNING already. */
  private async markRunning(taskRun: TaskRunRecord): Promise<void> {
    if (taskRun.state !== 'RUNNING') await this.updateTaskRun(taskRun, { state: 'RUNNING' });
  }

  private async runAttempts(task: RunnableTask, taskRun: TaskRunRecord, frame: Frame): Promise<State> {
    const override = this.execution.options.taskRunnerOverride;
    const previous = this.withoutAttempts.delete(taskRun.id) ? [] : await this.deps.store.attempts(taskRun.id);
    let resuming: AttemptRecord | undefined;
    const last = previous.at(-1);
    if (last && last.state === 'RUNNING') {
      if (last.resumeHandle && taskReattaches(task, override)) {
        resuming = last;
      } else {
        await this.deps.store.finishAttempt(taskRun.id, last.number, {
          state: 'FAILED', error: 'interrupted: the harrier process stopped during this attempt', endedAt: now(),
        });
        await this.releases.releaseStored(taskRun, last);
        await rm(this.attemptDir(taskRun, last.number), { recursive: true, force: true });
        this.notice(taskRun, 'WARN', `attempt ${last.number} was interrupted when harrier stopped; starting attempt ${last.number + 1}`);
      }
    }
    if (last && isSuccessful(last.state) && !isTerminal(taskRun.state)) {
      // The process stopped after the attempt's end (and its outputs) was stored, before its task
      // run's: the attempt's end stands, the task does not run again.
      return this.endAsAttempt(task, taskRun, last.number, last.state, frame);
    }
    // `harrier kill` of an execution whose process died: a runner's attempt it left is ended with
    // the runner's run() rejecting at once, then released; a Subflow's kills its child execution.
    if (this.kill.signal.aborted && !resuming) return this.endKilled(taskRun);
    let attemptNumber = resuming ? resuming.number : (last?.number ?? 0) + 1;
    // A task run back to CREATED with attempts of its own was restarted (Kestra's restart).
    let restartedFrom = taskRun.state === 'CREATED' && last && !resuming && last.resumeHandle ? this.releases.opened(last.resumeHandle) : undefined;
    const firstStartedAt = new Date(previous[0]?.startedAt ?? now());
    if (taskRun.state === 'RETRYING' && taskRun.nextAttemptAt) {
      if (!(await this.sleepUntil(new Date(taskRun.nextAttemptAt)))) return this.endKilled(taskRun);
    }

    for (;;) {
      const result = await this.runAttempt(task, taskRun, attemptNumber, resuming, frame, restartedFrom);
      resuming = undefined;
      restartedFrom = undefined;
      if (result.restart && !this.halt.signal.aborted) {
        if (this.kill.signal.aborted) return this.endKilled(taskRun);
        this.notice(taskRun, 'WARN', `attempt ${attemptNumber} cannot be resumed (${result.restart}); starting attempt ${attemptNumber + 1}`);
        attemptNumber++;
        continue;
      }
      if (result.state !== 'FAILED') return this.endAsAttempt(task, taskRun, attemptNumber, result.state, frame);
      const policy = this.retryPolicy(task, frame);
      if (frame.deadline?.aborted) {
        await this.updateTaskRun(taskRun, { state: 'FAILED', endedAt: now() });
        return 'FAILED';
      }
      if (this.halt.signal.aborted) {
        // No retry can help while the store cannot write; `harrier resume` goes on once it can.
        await this.updateTaskRun(taskRun, { state: 'FAILED', endedAt: now() });
        return 'FAILED';
      }
      if (policy?.behavior === 'CREATE_NEW_EXECUTION') return this.failAndRerunFlow(taskRun, policy);
      const next = policy && nextRetryAt(policy, { attempts: attemptNumber, firstAttemptStartedAt: firstStartedAt, lastAttemptEndedAt: new Date() });
      if (!next) {
        await this.updateTaskRun(taskRun, { state: 'FAILED', endedAt: now() });
        return 'FAILED';
      }
      const limit = policy.maxAttempt ? ` of ${policy.maxAttempt}` : '';
      this.notice(taskRun, 'WARN', `retrying in ${formatDurationMs(next.getTime() - Date.now())} (attempt ${attemptNumber + 1}${limit})`);
      await this.updateTaskRun(taskRun, { state: 'RETRYING', nextAttemptAt: next.toISOString() });
      if (!(await this.sleepUntil(next))) return this.endKilled(taskRun);
      attemptNumber++;
    }
  }

  /**
   * Kestra's `CREATE_NEW_EXECUTION`: the task fails here, and when the policy allows another try
   * (counted in executions of the chain, timed from the first one) the execution ends RETRIED and
   * a new one runs the whole flow again.
   */
  private async failAndRerunFlow(taskRun: TaskRunRecord, policy: RetryPolicy): Promise<State> {
    const lineage = lineageOf(this.execution);
    const executionNumber = lineage.attemptNumber;
    const next = nextRetryAt(policy, {
      attempts: executionNumber,
      firstAttemptStartedAt: new Date(lineage.originalCreatedAt),
      lastAttemptEndedAt: new Date(),
    });
    if (next && !this.rerunAt) {
      this.rerunAt = next;
      const limit = policy.maxAttempt ? ` of ${policy.maxAttempt}` : '';
      this.notice(taskRun, 'WARN', `the flow runs again as a new execution in ${formatDurationMs(Math.max(0, next.getTime() - Date.now()))} (execution ${executionNumber + 1}${limit})`);
    }
    await this.updateTaskRun(taskRun, { state: 'FAILED', endedAt: now() });
    return 'FAILED';
  }

  /** The task run ends as its attempt did (any end but FAILED, which may retry): WARNING for a success after retries when the policy says so. */
  private async endAsAttempt(task: RunnableTask, taskRun: TaskRunRecord, attemptNumber: number, attemptState: State, frame: Frame): Promise<State> {
    const state = attemptState === 'SUCCESS' && attemptNumber > 1 && this.retryPolicy(task, frame)?.warningOnRetry ? 'WARNING' : attemptState;
    await this.updateTaskRun(taskRun, { state, endedAt: now() });
    if (isSuccessful(state)) this.fileOutputs(taskRun);
    return state;
  }

  private async endKilled(taskRun: TaskRunRecord): Promise<State> {
    await this.updateTaskRun(taskRun, { state: 'KILLED', endedAt: now() });
    return 'KILLED';
  }

  /** Kestra's order: the task's retry, else the nearest enclosing flowable's, else the flow's. */
  private retryPolicy(task: RunnableTask, frame: Frame): RetryPolicy | undefined {
    return task.retry ?? frame.retry ?? this.flow.retry;
  }

  /** false when the execution was killed while waiting. */
  private sleepUntil(when: Date): Promise<boolean> {
    const delay = when.getTime() - Date.now();
    const signal = AbortSignal.any([this.kill.signal, this.handover.signal]);
    if (signal.aborted) return Promise.resolve(false);
    if (delay <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, delay);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async runAttempt(
    task: RunnableTask,
    taskRun: TaskRunRecord,
    number: number,
    resuming: AttemptRecord | undefined,
    frame: Frame,
    restartedFrom?: ResumeHandle,
  ): Promise<{ state: State; restart?: string }> {
    const attemptDir = this.attemptDir(taskRun, number);
    if (!resuming) {
      await this.deps.store.insertAttempt({ taskRunId: taskRun.id, number, state: 'RUNNING', startedAt: now() });
    } else {
      this.notice(taskRun, 'INFO', `re-attaching to attempt ${number} started by a previous harrier process`);
    }
    const ownsDir = taskHasAttemptDir(task);
    if (ownsDir) await mkdir(attemptDir, { recursive: true });
    await this.markRunning(taskRun);

    const timeout = new AbortController();
    const timer = task.timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort('timeout'), task.timeoutMs);
    const report: AttemptReport = { outputs: {}, handle: resuming?.resumeHandle && this.releases.opened(resuming.resumeHandle) };
    const signals = [this.handover.signal, this.kill.signal, timeout.signal, this.halt.signal, ...(frame.deadline ? [frame.deadline] : [])];
    const ctx = await this.taskContext(task, taskRun, number, resuming, AbortSignal.any(signals), report, frame, restartedFrom);
    let end: AttemptEnd;
    let restart: string | undefined;
    try {
      const outcome = await runTask(task, ctx);
      end = { state: outcome.state, exitCode: outcome.exitCode };
    } catch (failure) {
      end = await this.failedAttempt(failure, task, timeout.signal, frame);
      // An attempt that never ran, or whose pod the task asked to replace, is no failure of the
      // task: a new attempt starts, no retry policy asked (as for a Process attempt cut short).
      if (resuming && end.state === 'FAILED' && (hasCode(failure, 'ATTEMPT_NEVER_STARTED') || hasCode(failure, 'ATTEMPT_NOT_RESUMED'))) {
        restart = failure.message;
      } else {
        this.notice(taskRun, end.state === 'KILLED' ? 'WARN' : 'ERROR', `attempt ${number} ${end.state === 'KILLED' ? 'killed' : `failed: ${end.error}`}`, number);
      }
    } finally {
      clearTimeout(timer);
    }
    await this.laterWrites;
    await this.logWriter.flush();
    await this.deps.store.finishAttempt(taskRun.id, number, { ...end, endedAt: now(), runnerKind: report.runnerKind }, this.attemptOutputs(taskRun, report));
    if (report.runnerKind && report.handle) await this.releases.release(taskRun, number, report.runnerKind, report.handle);
    // The task run's folder holds only this attempt's: removed whole, so none piles up per ForEach iteration.
    if (ownsDir) await rm(this.taskRunDir(taskRun), { recursive: true, force: true });
    if (end.state === 'KILLED') {
      await this.updateTaskRun(taskRun, { state: 'KILLED', endedAt: now() });
    }
    return { state: end.state, restart };
  }

  /** What the task gets for one attempt (Kestra's RunContext); what it reports lands in `report`. */
  private async taskContext(
    task: RunnableTask,
    taskRun: TaskRunRecord,
    number: number,
    resuming: AttemptRecord | undefined,
    signal: AbortSignal,
    report: AttemptReport,
    frame: Frame,
    restartedFrom?: ResumeHandle,
  ): Promise<TaskContext> {
    return {
      identity: {
        executionId: this.execution.id, namespace: this.flow.namespace, flowId: this.flow.id,
        taskId: task.id, taskRunId: taskRun.id, attempt: number,
      },
      scope: this.scopeOf(task, taskRun, number),
      runtime: this.runtime,
      attemptDir: this.attemptDir(taskRun, number),
      sharedDir: frame.sharedDir,
      storage: this.deps.storage,
      cacheDir: join(this.deps.stateDir, 'cache'),
      runners: this.deps.runners,
      namespaceFilesDir: namespaceFolder(this.deps.namespaceFilesRoot, this.flow.namespace),
      namespaceFilesOf: (namespace) => namespaceFolder(this.deps.namespaceFilesRoot, namespace),
      taskRunnerOverride: this.execution.options.taskRunnerOverride,
      taskRunnerOverrideProperties: this.execution.options.taskRunnerOverride && this.flow.runnerDefaults[this.execution.options.taskRunnerOverride],
      runnerSettings: this.execution.options.runnerSettings,
      timeoutMs: task.timeoutMs,
      signal,
      resume: resuming && report.handle ? await this.storedResume(taskRun.id, number, report.handle) : undefined,
      restartedFrom,
      // The runner kind is stored with the first handle: a later process needs it to release the attempt.
      saveResumeHandle: async (handle: ResumeHandle) => {
        report.handle = handle;
        await this.deps.store.saveResumeHandle(taskRun.id, number, this.releases.sealed(handle), report.runnerKind);
      },
      log: (line) => {
        if (logLevelKeeps(task.logLevel, line.level)) this.taskLog(taskRun, number, line);
      },
      notice: (level, message) => this.notice(taskRun, level, message, number),
      progress: (progress) => this.deps.listener.progress?.(taskRun, progress),
      metric: (metric) => {
        const record = {
          ...metric, tags: this.deps.secrets.redact(metric.tags) as Record<string, string>, executionId: this.execution.id, taskRunId: taskRun.id,
        };
        this.storeLater(() => this.deps.store.insertMetrics([record]), `metric '${record.name}'`);
      },
      recordOutputs: (outputs, files) => {
        report.outputs = { ...report.outputs, ...outputs };
        report.outputFiles = files ?? report.outputFiles;
      },
      recordRunner: (kind) => {
        report.runnerKind = kind;
      },
      subflows: this.deps.subflows({
        executionId: this.execution.id, namespace: this.flow.namespace, flowId: this.flow.id, taskId: task.id, taskRunId: taskRun.id,
      }),
    };
  }

  /** How an attempt that threw ended: killed, timed out, or failed with the task's error. */
  private async failedAttempt(failure: unknown, task: RunnableTask, timeout: AbortSignal, frame: Frame): Promise<AttemptEnd> {
    if (this.kill.signal.aborted) return { state: 'KILLED', error: 'killed' };
    if (timeout.aborted) return { state: 'FAILED', error: `timed out after ${formatDurationMs(task.timeoutMs ?? 0)} (task timeout)` };
    if (frame.deadline?.aborted) return { state: 'FAILED', error: 'stopped: the timeout of an enclosing flowable task was reached' };
    if (this.halt.signal.aborted || this.halt.haltOnFailure(failure)) {
      this.halt.reported = true;
      return { state: 'FAILED', error: await this.halt.message(this.deps.store, this.execution.id) };
    }
    return { state: 'FAILED', error: this.deps.secrets.masker.mask(describeError(failure)), exitCode: failure instanceof TaskFailedError ? failure.exitCode : undefined };
  }

  /**
   * The attempt's outputs replace the task run's; its output files only when it recorded some.
   * Strings that hold a secret are stored encrypted.
   */
  private attemptOutputs(taskRun: TaskRunRecord, report: AttemptReport): AttemptOutputs {
    const values = this.deps.secrets.seal(report.outputs) as Record<string, unknown>;
    taskRun.outputs = values;
    if (report.outputFiles) taskRun.outputFiles = report.outputFiles;
    return { values, files: report.outputFiles };
  }

  private taskRunDir(taskRun: TaskRunRecord): string {
    return join(this.deps.stateDir, 'work', this.execution.id, taskRun.id);
  }

  private attemptDir(taskRun: TaskRunRecord, attempt: number): string {
    return join(this.taskRunDir(taskRun), String(attempt));
  }

  /** A re-attach: the saved handle, the log cursors of what reached the store, and the stored lines. */
  private async storedResume(taskRunId: string, attempt: number, handle: ResumeHandle): Promise<TaskResume> {
    await this.logWriter.flush();
    return {
      handle,
      ...(await cursorsFromStoredStream(this.deps.store.outputStampsNewestFirst(taskRunId, attempt))),
      storedOutput: () => this.deps.store.outputLines(taskRunId, attempt),
    };
  }

  private taskLog(taskRun: TaskRunRecord, attempt: number, line: TaskLogLine): void {
    this.record({
      executionId: this.execution.id, taskRunId: taskRun.id, taskId: taskRun.taskId, taskRunValue: taskRun.value, attempt,
      level: line.level, stream: line.stream, timestamp: line.timestamp, line: this.deps.secrets.masker.mask(line.line), container: line.container,
    });
  }

  private notice(taskRun: TaskRunRecord | undefined, level: NoticeLevel, message: string, attempt?: number): void {
    this.record({
      executionId: this.execution.id, taskRunId: taskRun?.id, taskId: taskRun?.taskId, taskRunValue: taskRun?.value, attempt,
      level, timestamp: now(), line: this.deps.secrets.masker.mask(message),
    });
  }

  private record(record: LogRecord): void {
    this.logWriter.write(record);
    this.deps.listener.log?.(record);
  }
}
