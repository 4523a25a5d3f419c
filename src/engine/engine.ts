import { dirname, join, resolve } from 'node:path';
import type { Flow } from '../flow/model.ts';
import { parseFlow } from '../flow/parse.ts';
import { RunnerRegistry } from '../runners/registry.ts';
import { HarrierError, InputError, isDiskFull, StoreError } from '../shared/errors.ts';
import {
  defaultStorageDir, diskFullError, FencedStore, InternalStorage, isTerminal, openStore, type ExecutionOptions, type ExecutionOwner, type ExecutionRecord,
  type ExecutionStore, type Fence, type ParentExecution, type Store,
} from '../store/index.ts';
import type { SubflowLauncher, SubflowRequest } from '../tasks/contract.ts';
import { findDeployedFlow, findFlow } from './flow-finder.ts';
import { SecretCipher, type GivenKey } from './encryption.ts';
import { ExecutionChanges, signallingStore } from './execution-changes.ts';
import { ExecutionRun } from './execution-run.ts';
import { ExecutionSecrets } from './execution-secrets.ts';
import { newId } from './ids.ts';
import { isOwnerAlive, thisProcessOwner } from './ownership.ts';
import { resolveInputs, type InputSource } from './inputs.ts';
import { envsFromEnvironment } from './scope.ts';
import type { ExecutionListener } from './listener.ts';
import { Secrets } from './secrets.ts';
import { systemLabels } from './task-rules.ts';

/** How many executions deep subflows may call subflows. */
const MAX_SUBFLOW_DEPTH = 20;

/** How often a subflow run in its parent's slot looks for a kill request of its own (the slot looks for the parent's). */
const CHILD_KILL_POLL_MS = 1000;

/** A run under a worker slot's lease, as its subflows see it. */
interface LeasedParent {
  fence: Fence;
  /** True once another slot took the parent over (lease lost, or handed over on SIGTERM). */
  handedOver(): boolean;
}

export interface EngineOptions {
  /** Files (uploads, outputs, work folders, the secret key), and the embedded store unless `store` or `storeUrl` says otherwise. */
  stateDir: string;
  /** A store opened already (the engine closes it); else `storeUrl` is opened with openStore. */
  store?: Store;
  storeUrl?: string;
  /** Internal storage's folder (default `<state dir>/storage`): one shared folder for servers and workers on several machines. */
  storageDir?: string;
  /** The folder of one sub-folder of files per namespace (default `<state dir>/namespace-files`); an execution's own `--namespace-files` wins. */
  namespaceFilesRoot?: string;
  /** The key of stored secrets (HARRIER_SECRET_KEY); default the state directory's key file. */
  secretKey?: GivenKey;
  listener?: ExecutionListener;
  /** Where script tasks get their runners; the in-process engine tests pass one with a fake runner. */
  runners?: RunnerRegistry;
}

export interface StartRequest {
  flow: Flow;
  flowSource: string;
  flowFile: string;
  /** `--input` texts, or a Subflow task's rendered values (with `inputSource: 'subflow'`). */
  rawInputs: Record<string, unknown>;
  inputSource?: InputSource;
  options: ExecutionOptions;
  /** Labels besides the flow's (a Subflow task's); the system labels come first. */
  labels?: Record<string, string>;
  /** The id to use, chosen beforehand (a Subflow task stores it before the execution exists). */
  id?: string;
  /** Put the execution in the server's queue (a lease row nobody holds) in the same transaction. */
  queued?: boolean;
}

/**
 * The entry point for running flows: creates executions, drives them, and resumes those a previous
 * harrier process left unfinished. One engine per process and state directory.
 */
export class Engine {
  readonly store: Store;
  readonly storage: InternalStorage;
  readonly namespaceFilesRoot: string;
  /** What this process's runs store, as it happens: followers wake at once instead of at their next poll. */
  readonly changes = new ExecutionChanges();
  private readonly stateDir: string;
  private readonly runners: RunnerRegistry;
  private readonly listener: ExecutionListener;
  private readonly running = new Set<ExecutionRun>();
  private readonly cipher: SecretCipher;
  /** The secrets of each execution this engine ran, with every value derived from them it saw. */
  private readonly secretsByExecution = new Map<string, ExecutionSecrets>();
  private readonly owner = thisProcessOwner();
  /** Read once: walking the process environment costs more than a short execution's other work. */
  private readonly envs = Object.freeze(envsFromEnvironment(process.env));
  private aborted = false;
  private readonly detached = new Set<Promise<void>>();

  private constructor(options: EngineOptions, stateDir: string, store: Store) {
    this.stateDir = stateDir;
    this.store = store;
    this.storage = new InternalStorage(options.storageDir ?? defaultStorageDir(this.stateDir));
    this.namespaceFilesRoot = resolve(options.namespaceFilesRoot ?? join(this.stateDir, 'namespace-files'));
    this.listener = options.listener ?? {};
    this.cipher = new SecretCipher(this.stateDir, options.secretKey);
    this.runners = options.runners ?? new RunnerRegistry();
  }

  /** An engine on its store: the one given, or the one `storeUrl` (default: the embedded store under the state dir) names. */
  static async open(options: EngineOptions): Promise<Engine> {
    const stateDir = resolve(options.stateDir);
    const store = options.store ?? await openStore({ stateDir, url: options.storeUrl });
    return new Engine(options, stateDir, store);
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** Validates inputs, then stores the new execution (with its FILE inputs, SECRET inputs encrypted) in one step. */
  async createExecution(request: StartRequest): Promise<ExecutionRecord> {
    // Read now so that a bad secrets file fails before anything is stored.
    Secrets.load(request.options.secretsFile);
    const inputs = await resolveInputs(request.flow, request.rawInputs, request.inputSource);
    for (const input of request.flow.inputs) {
      const value = inputs.values[input.id];
      if (input.type === 'SECRET' && typeof value === 'string') inputs.values[input.id] = this.cipher.encrypt(value);
    }
    const id = request.id ?? newId();
    const execution: ExecutionRecord = {
      id, flowId: request.flow.id, namespace: request.flow.namespace, state: 'CREATED',
      flowFile: resolve(request.flowFile), flowSource: request.flowSource, inputs: inputs.values,
      labels: systemLabels(id, { ...request.flow.labels, ...request.labels }), options: request.options, createdAt: new Date().toISOString(),
    };
    const scope = { namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id };
    for (const file of inputs.files) {
      let stored;
      try {
        stored = await this.storage.put(this.storage.inputFileKey(scope, file.inputId, file.fileName), file.path);
      } catch (error) {
        throw isDiskFull(error) ? diskFullError(this.storage.root, error, '--storage-dir') : error;
      }
      execution.inputs[file.inputId] = stored.uri;
    }
    await this.store.insertExecution(execution, { queued: request.queued });
    return execution;
  }

  /**
   * Runs an execution to its end, then each execution a `CREATE_NEW_EXECUTION` retry makes after
   * it; `onRetried` hears of each before it starts. Returns the last of the chain.
   */
  async runChain(
    execution: ExecutionRecord,
    flow: Flow,
    onRetried?: (retried: ExecutionRecord, next: ExecutionRecord) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<ExecutionRecord> {
    return this.chain(execution, (each) => this.run(each, flow, signal), onRetried);
  }

  /** `runOne` for the execution, then for each execution a `CREATE_NEW_EXECUTION` retry makes after it; the last of the chain. */
  private async chain(
    execution: ExecutionRecord,
    runOne: (execution: ExecutionRecord) => Promise<ExecutionRecord>,
    onRetried?: (retried: ExecutionRecord, next: ExecutionRecord) => void | Promise<void>,
  ): Promise<ExecutionRecord> {
    for (;;) {
      const ended = await runOne(execution);
      const next = await this.retriedAs(ended);
      if (!next) return ended;
      await onRetried?.(ended, next);
      execution = next;
    }
  }

  /** The execution a `CREATE_NEW_EXECUTION` retry made from this one, once it ended RETRIED. */
  private async retriedAs(execution: ExecutionRecord): Promise<ExecutionRecord | undefined> {
    return execution.state === 'RETRIED' ? this.store.successorOf(execution.id) : undefined;
  }

  /** Runs one execution to its end. */
  private async run(execution: ExecutionRecord, flow: Flow, signal?: AbortSignal): Promise<ExecutionRecord> {
    const run = this.newRun(execution, flow);
    await this.claim(execution.id);
    this.running.add(run);
    const abort = (): void => run.abort();
    if (this.aborted || signal?.aborted) run.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      return await run.run();
    } finally {
      signal?.removeEventListener('abort', abort);
      this.running.delete(run);
      await this.store.releaseExecution(execution.id, this.owner);
    }
  }

  /**
   * How a Subflow task of `parent` runs its child, stored as an execution of its own that records
   * its parent; one that exists already (a resumed parent) goes on. Under a worker slot's lease, a
   * child waited for runs in the parent's slot, fenced by the parent's lease (see runInLease), and
   * one not waited for joins the queue, where any slot takes it under a lease of its own.
   */
  private subflowLauncher(parent: ParentExecution, leased?: LeasedParent): SubflowLauncher {
    return {
      newExecutionId: newId,
      start: async (executionId, request) => {
        const { execution, flow } = await this.childExecution(parent, executionId, request, leased !== undefined);
        if (leased || isTerminal(execution.state)) return;
        this.detached.add(this.runChain(execution, flow).then(() => undefined, () => undefined));
      },
      run: async (executionId, request, signal, options = {}) => {
        let child = await this.childExecution(parent, executionId, request, false);
        // Restarted here, not queued: the parent's slot (or this process) runs it below.
        if (options.restartFailed && (child.execution.state === 'FAILED' || child.execution.state === 'KILLED')
          && await this.store.restartExecution(executionId, { queued: false })) {
          child = { ...child, execution: (await this.store.getExecution(executionId))! };
        }
        // A parent resumed after its child ended RETRIED waits for the newest execution of the child's chain.
        const current = child.execution.state === 'RETRIED' ? await this.currentOf(executionId) : child.execution;
        const last = isTerminal(current.state) ? Promise.resolve(current)
          : leased ? this.runInLease(current, child.flow, leased, signal) : this.runChain(current, child.flow, undefined, signal);
        const ended = last.then((execution) => ({ state: execution.state, outputs: this.secretsFor(execution).open(execution.outputs ?? {}) as Record<string, unknown> }));
        return { executionId, ended };
      },
    };
  }

  /**
   * The child execution with that id, created if it does not exist yet. Its flow is deployed when
   * the parent's is (the latest revision, or the one the task names), else a flow file among the
   * parent's `flowsDirs` (default: the parent flow's folder).
   */
  private async childExecution(parent: ParentExecution, executionId: string, request: SubflowRequest, queued: boolean): Promise<{ execution: ExecutionRecord; flow: Flow }> {
    const existing = await this.store.getExecution(executionId);
    if (existing) return { execution: existing, flow: parseFlow(existing.flowSource, existing.flowFile) };
    const parentExecution = (await this.store.getExecution(parent.executionId))!;
    await this.refuseDeepNesting(parentExecution);
    const { options } = parentExecution;
    const found = options.flowRevision !== undefined
      ? await findDeployedFlow(this.store, request.namespace, request.flowId, request.revision)
      : await findFlow(options.flowsDirs ?? [dirname(parentExecution.flowFile)], request.namespace, request.flowId);
    const inherited = request.inheritLabels ? parentExecution.labels
      : Object.fromEntries(Object.entries(parentExecution.labels).filter(([key]) => key.startsWith('system.')));
    const { taskRunnerOverride, secretsFile, namespaceFilesDir, flowsDirs } = options;
    const execution = await this.createExecution({
      flow: found.flow, flowSource: found.source, flowFile: found.file, rawInputs: request.inputs, inputSource: 'subflow', id: executionId,
      labels: { ...inherited, ...request.labels },
      options: { taskRunnerOverride, secretsFile, namespaceFilesDir, flowsDirs, parent, flowRevision: found.revision, notBefore: request.notBefore },
      queued,
    });
    return { execution, flow: found.flow };
  }

  /**
   * Runs a child waited for in its parent's slot, each write fenced by the parent's lease, then each
   * execution a `CREATE_NEW_EXECUTION` retry makes after it. A kill of the parent, or of the child
   * itself, kills it; a parent handed over to another slot (lease lost, SIGTERM) leaves the child
   * to that slot as well: its containers and pods keep running, and this slot stops.
   */
  private runInLease(execution: ExecutionRecord, flow: Flow, leased: LeasedParent, signal: AbortSignal): Promise<ExecutionRecord> {
    return this.chain(execution, async (each) => {
      const run = this.newRun(each, flow, { fence: leased.fence, successorsQueued: false });
      this.running.add(run);
      const stop = (): void => (leased.handedOver() ? run.detach() : run.abort());
      if (signal.aborted) stop();
      signal.addEventListener('abort', stop, { once: true });
      const killWatch = setInterval(() => {
        this.store.killRequested(each.id).then((requested) => requested && run.abort(), () => {});
      }, CHILD_KILL_POLL_MS);
      try {
        const ended = await run.run();
        if (run.detached) {
          throw new StoreError(`subflow execution ${each.id} stops here with its parent ${leased.fence.executionId}, which another worker took over`, {
            code: 'LEASE_LOST', hint: 'the worker that took the parent over goes on with the subflow',
          });
        }
        return ended;
      } finally {
        clearInterval(killWatch);
        signal.removeEventListener('abort', stop);
        this.running.delete(run);
        this.secretsByExecution.delete(each.id);
      }
    });
  }

  /** A flow that calls itself as a subflow would make executions without end: the chain of parents is bounded. */
  private async refuseDeepNesting(parent: ExecutionRecord): Promise<void> {
    let depth = 1;
    for (let at = parent.options.parent; at; at = (await this.store.getExecution(at.executionId))?.options.parent) {
      if (++depth > MAX_SUBFLOW_DEPTH) {
        throw new HarrierError(`subflows are nested more than ${MAX_SUBFLOW_DEPTH} deep (execution ${parent.id} of ${parent.namespace}.${parent.flowId})`, {
          code: 'SUBFLOW_TOO_DEEP', hint: 'a flow probably calls itself; give the recursion an end with runIf or an If',
        });
      }
    }
  }

  /** Waits for the subflow executions started without `wait`, so that harrier does not exit before them. */
  async waitForDetached(): Promise<void> {
    while (this.detached.size > 0) {
      const pending = [...this.detached];
      await Promise.all(pending);
      for (const done of pending) this.detached.delete(done);
    }
  }

  /**
   * A worker slot's run of one execution under its lease: every write is fenced by the lease's
   * epoch (the lease replaces the process claim of `harrier run`). The slot keeps the run to
   * detach it when the lease is lost, or to abort it on a kill request; `done` rejects with
   * LEASE_LOST once a write was refused.
   */
  startLeased(execution: ExecutionRecord, flow: Flow, fence: Fence): { run: ExecutionRun; done: Promise<ExecutionRecord> } {
    const run = this.newRun(execution, flow, { fence, successorsQueued: true });
    this.running.add(run);
    const done = run.run().finally(() => {
      this.running.delete(run);
      this.secretsByExecution.delete(execution.id);
    });
    return { run, done };
  }

  /** A run on the plain store (`harrier run`, `harrier resume`), or under a worker slot's lease with every write fenced. */
  private newRun(execution: ExecutionRecord, flow: Flow, lease?: { fence: Fence; successorsQueued: boolean }): ExecutionRun {
    const written: ExecutionStore = lease ? new FencedStore(this.store, lease.fence, { successorsQueued: lease.successorsQueued }) : this.store;
    const store = signallingStore(written, (kind) => this.changes.touch(execution.id, kind));
    const secrets = this.secretsOf(execution, (names) => run.storeLater(() => store.setSecretNames(execution.id, names), 'the names of the secrets read'));
    this.secretsByExecution.set(execution.id, secrets);
    const run: ExecutionRun = new ExecutionRun({
      store, storage: this.storage, runners: this.runners, listener: this.listener, secrets,
      stateDir: this.stateDir,
      namespaceFilesRoot: execution.options.namespaceFilesDir ?? this.namespaceFilesRoot, envs: this.envs,
      subflows: (parent) => this.subflowLauncher(parent, lease && { fence: lease.fence, handedOver: () => run.detached }),
    }, flow, execution);
    return run;
  }

  /**
   * An execution's secrets as this process can know them: the SECRET inputs and stored outputs it
   * decrypts, and the secrets the execution read, resolved again from their source.
   */
  private secretsOf(execution: ExecutionRecord, onNewName: (names: string[]) => void): ExecutionSecrets {
    return new ExecutionSecrets(Secrets.load(execution.options.secretsFile), this.cipher, execution.options.secretNames ?? [], onNewName);
  }

  /**
   * Masks an execution's secrets in what is printed about it: the `--json` document, the summary.
   * For an execution this engine did not run, rebuilt from the store and the secrets' sources.
   */
  secretsFor(execution: ExecutionRecord): ExecutionSecrets {
    const known = this.secretsByExecution.get(execution.id);
    if (known) return known;
    const secrets = this.secretsOf(execution, () => {});
    secrets.restore();
    secrets.open(execution.inputs);
    return secrets;
  }

  /** Makes this process the execution's one owner, or says which live process is. */
  private async claim(executionId: string): Promise<void> {
    const holder = await this.store.claimExecution(executionId, this.owner, isOwnerAlive);
    if (holder) throw ownedElsewhere(executionId, holder);
  }

  /** Loads an unfinished execution and the flow it started with, refusing one still running elsewhere. */
  /** `runnerSettings` given for the resume are merged over the run's, per runner kind, and stored. */
  async prepareResume(executionId: string, runnerSettings: ExecutionOptions['runnerSettings'] = {}): Promise<{ execution: ExecutionRecord; flow: Flow }> {
    // A flow retried as a new execution goes on in the newest execution of its chain.
    let execution = await this.currentOf(executionId);
    // One that harrier stopped for want of disk space goes on where it stopped, once there is room.
    const resumable = execution.state === 'FAILED' && execution.failure?.code === 'STORE_DISK_FULL';
    if (isTerminal(execution.state) && !resumable) {
      throw new HarrierError(`execution ${execution.id} already ended in ${execution.state}; there is nothing to resume`, {
        code: 'EXECUTION_ENDED',
        hint: 'run the flow again with `harrier run`',
      });
    }
    // A server's slots drive it under a lease, which this process would not respect.
    if (await this.store.leaseOf(execution.id)) {
      throw new HarrierError(`execution ${execution.id} belongs to a harrier server's queue: its worker slots resume it by themselves`, {
        code: 'EXECUTION_LOCKED',
        hint: 'start `harrier server` on this state dir, or follow it with `harrier resume ID --server URL`',
      });
    }
    // Claimed now, so that of two resumes started together the second stops here, before anything runs.
    await this.claim(execution.id);
    if (Object.keys(runnerSettings).length > 0) execution = await this.withRunnerSettings(execution, runnerSettings);
    return { execution, flow: parseFlow(execution.flowSource, execution.flowFile) };
  }

  /** The execution an id stands for now: a flow retried as new executions goes on in the newest of the chain. */
  async currentOf(idOrPrefix: string): Promise<ExecutionRecord> {
    let execution = await this.findExecution(idOrPrefix);
    for (let next = await this.retriedAs(execution); next; next = await this.retriedAs(execution)) execution = next;
    return execution;
  }

  /** The process that runs the execution now, if one does (`harrier kill` signals it). */
  async liveOwnerOf(executionId: string): Promise<ExecutionOwner | undefined> {
    const owner = await this.store.ownerOf(executionId);
    return owner && isOwnerAlive(owner) ? owner : undefined;
  }

  /**
   * `harrier kill` of an execution no live process runs: this process claims it, and with the kill
   * already set, the attempts a dead process left running are re-attached to only to be cleaned up
   * (containers, volumes and pods removed through their resume handles); it ends KILLED.
   */
  async killOrphaned(executionId: string): Promise<ExecutionRecord> {
    const { execution, flow } = await this.prepareResume(executionId);
    this.abortAll();
    return this.runChain(execution, flow);
  }

  private async withRunnerSettings(execution: ExecutionRecord, given: NonNullable<ExecutionOptions['runnerSettings']>): Promise<ExecutionRecord> {
    const merged = { ...execution.options.runnerSettings };
    for (const [kind, settings] of Object.entries(given) as [keyof typeof given, Record<string, string>][]) {
      merged[kind] = { ...merged[kind], ...settings };
    }
    await this.store.setRunnerSettings(execution.id, merged);
    return { ...execution, options: { ...execution.options, runnerSettings: merged } };
  }

  /** An execution by id or unique id prefix. */
  async findExecution(idOrPrefix: string): Promise<ExecutionRecord> {
    const exact = await this.store.getExecution(idOrPrefix);
    if (exact) return exact;
    const matches = idOrPrefix.length >= 4 ? await this.store.findExecutionIds(idOrPrefix) : [];
    if (matches.length === 1) return (await this.store.getExecution(matches[0]))!;
    if (matches.length > 1) {
      throw new InputError(`execution id prefix '${idOrPrefix}' matches several executions: ${matches.join(', ')}`, { code: 'EXECUTION_NOT_FOUND', hint: 'type more of the id' });
    }
    throw new InputError(`no execution '${idOrPrefix}' in ${this.store.location}`, {
      code: 'EXECUTION_NOT_FOUND',
      hint: 'list them with `harrier executions`, and pass the same --state-dir as the run',
    });
  }

  /** Ctrl-C / SIGTERM: kill everything this engine runs, and whatever it was about to start. */
  abortAll(): void {
    this.aborted = true;
    for (const run of this.running) run.abort();
  }

  /**
   * The last word when the clean-up after a kill takes too long: every execution still running
   * is stored KILLED, with what may be left behind, so that none stays RUNNING without an owner.
   */
  async abandonAll(reason: string): Promise<void> {
    for (const run of this.running) {
      await run.abandon(reason);
      await this.store.releaseExecution(run.executionId, this.owner);
    }
  }
}

function ownedElsewhere(executionId: string, holder: ExecutionOwner): HarrierError {
  return new HarrierError(`execution ${executionId} is being run by harrier process ${holder.pid} (since ${holder.since}); only one process may run it`, {
    code: 'EXECUTION_LOCKED',
    hint: `wait for that process to end, or stop it (kill ${holder.pid}) and resume again`,
  });
}
