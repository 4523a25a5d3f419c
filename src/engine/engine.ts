import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Flow } from '../flow/model.ts';
import { parseFlow } from '../flow/parse.ts';
import { RunnerRegistry } from '../runners/registry.ts';
import { HarrierError, InputError } from '../shared/errors.ts';
import { InternalStorage, Store, isTerminal, type ExecutionOptions, type ExecutionRecord } from '../store/index.ts';
import { ExecutionRun } from './execution-run.ts';
import { newId } from './ids.ts';
import { resolveInputs } from './inputs.ts';
import type { ExecutionListener } from './listener.ts';
import { Secrets } from './secrets.ts';

export interface EngineOptions {
  stateDir: string;
  listener?: ExecutionListener;
  /** Where script tasks get their runners; the in-process engine tests pass one with a fake runner. */
  runners?: RunnerRegistry;
}

export interface StartRequest {
  flow: Flow;
  flowSource: string;
  flowFile: string;
  rawInputs: Record<string, string>;
  options: ExecutionOptions;
}

/**
 * The entry point for running flows: creates executions, drives them, and resumes those a previous
 * harrier process left unfinished. One engine per process and state directory.
 */
export class Engine {
  readonly store: Store;
  readonly storage: InternalStorage;
  private readonly stateDir: string;
  private readonly runners: RunnerRegistry;
  private readonly listener: ExecutionListener;
  private readonly running = new Set<ExecutionRun>();

  constructor(options: EngineOptions) {
    this.stateDir = resolve(options.stateDir);
    this.store = Store.open(this.stateDir);
    this.storage = new InternalStorage(this.stateDir);
    this.listener = options.listener ?? {};
    this.runners = options.runners ?? new RunnerRegistry();
  }

  close(): void {
    this.store.close();
  }

  /** Validates inputs, then stores the new execution (with its FILE inputs) in one step. */
  async createExecution(request: StartRequest): Promise<ExecutionRecord> {
    // Read now so that a bad secrets file fails before anything is stored.
    Secrets.load(request.options.secretsFile);
    const inputs = await resolveInputs(request.flow, request.rawInputs);
    const execution: ExecutionRecord = {
      id: newId(), flowId: request.flow.id, namespace: request.flow.namespace, state: 'CREATED',
      flowFile: resolve(request.flowFile), flowSource: request.flowSource, inputs: inputs.values,
      labels: request.flow.labels, options: { ...request.options, secretInputs: inputs.secretValues.length ? inputs.secretValues : undefined },
      createdAt: new Date().toISOString(),
    };
    const scope = { namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id };
    for (const file of inputs.files) {
      const stored = await this.storage.put(this.storage.inputFileKey(scope, file.inputId, file.fileName), file.path);
      execution.inputs[file.inputId] = stored.uri;
    }
    this.store.insertExecution(execution);
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
  ): Promise<ExecutionRecord> {
    for (;;) {
      const ended = await this.run(execution, flow);
      const next = this.retriedAs(ended);
      if (!next) return ended;
      await onRetried?.(ended, next);
      execution = next;
    }
  }

  /** The execution a `CREATE_NEW_EXECUTION` retry made from this one, once it ended RETRIED. */
  private retriedAs(execution: ExecutionRecord): ExecutionRecord | undefined {
    return execution.state === 'RETRIED' ? this.store.successorOf(execution.id) : undefined;
  }

  /** Runs one execution to its end. */
  private async run(execution: ExecutionRecord, flow: Flow): Promise<ExecutionRecord> {
    const secrets = Secrets.load(execution.options.secretsFile);
    for (const value of execution.options.secretInputs ?? []) secrets.reveal(value);
    const run = new ExecutionRun({
      store: this.store, storage: this.storage, runners: this.runners, listener: this.listener, secrets,
      stateDir: this.stateDir,
      namespaceFilesRoot: execution.options.namespaceFilesDir ?? join(this.stateDir, 'namespace-files'),
    }, flow, execution);
    const lock = this.lockPath(execution.id);
    mkdirSync(join(this.stateDir, 'running'), { recursive: true });
    writeFileSync(lock, String(process.pid));
    this.running.add(run);
    try {
      return await run.run();
    } finally {
      this.running.delete(run);
      rmSync(lock, { force: true });
    }
  }

  /** Loads an unfinished execution and the flow it started with, refusing one still running elsewhere. */
  prepareResume(executionId: string): { execution: ExecutionRecord; flow: Flow } {
    let execution = this.findExecution(executionId);
    // A flow retried as a new execution goes on in the newest execution of its chain.
    for (let next = this.retriedAs(execution); next; next = this.retriedAs(execution)) execution = next;
    if (isTerminal(execution.state)) {
      throw new HarrierError(`execution ${execution.id} already ended in ${execution.state}; there is nothing to resume`, {
        hint: 'run the flow again with `harrier run`',
      });
    }
    const owner = this.lockOwner(execution.id);
    if (owner !== undefined) {
      throw new HarrierError(`execution ${execution.id} is still being run by harrier process ${owner}`, {
        hint: `stop that process first (kill ${owner}), or wait for it`,
      });
    }
    return { execution, flow: parseFlow(execution.flowSource, execution.flowFile) };
  }

  /** An execution by id or unique id prefix. */
  findExecution(idOrPrefix: string): ExecutionRecord {
    const exact = this.store.getExecution(idOrPrefix);
    if (exact) return exact;
    const matches = idOrPrefix.length >= 4 ? this.store.findExecutionIds(idOrPrefix) : [];
    if (matches.length === 1) return this.store.getExecution(matches[0])!;
    if (matches.length > 1) {
      throw new InputError(`execution id prefix '${idOrPrefix}' matches several executions: ${matches.join(', ')}`, { hint: 'type more of the id' });
    }
    throw new InputError(`no execution '${idOrPrefix}' in ${this.stateDir}`, {
      hint: 'list them with `harrier executions`, and pass the same --state-dir as the run',
    });
  }

  /** Ctrl-C / SIGTERM: kill everything this engine runs. */
  abortAll(): void {
    for (const run of this.running) run.abort();
  }

  private lockPath(executionId: string): string {
    return join(this.stateDir, 'running', `${executionId}.pid`);
  }

  private lockOwner(executionId: string): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.lockPath(executionId), 'utf8'));
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid === process.pid) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }
}
