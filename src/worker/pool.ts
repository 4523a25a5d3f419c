/**
 * The server's worker slots. Each slot takes one execution at a time under a lease (owner, epoch,
 * expiry) and drives it with the engine; the lease is renewed every `renewMs` and expires after
 * `leaseMs` without renewal, when any slot of any process on the same store takes the execution
 * over with the next epoch and resumes it (containers and pods are re-attached to). A slot whose
 * renewal or write is refused stops its part at once and leaves containers and pods to the new owner.
 */
import { hostname } from 'node:os';
import type { Engine } from '../engine/index.ts';
import { parseFlow } from '../flow/parse.ts';
import { describeError, hasCode } from '../shared/errors.ts';
import { FencedStore, isTerminal, type ExecutionRecord, type LeaseHolder, type TakenLease } from '../store/index.ts';
import { processStartOf } from '../engine/ownership.ts';
import type { ExecutionRun } from '../engine/execution-run.ts';

export interface WorkerPoolOptions {
  engine: Engine;
  slots: number;
  /** A lease not renewed for this long may be taken over. */
  leaseMs: number;
  renewMs: number;
  /** How often an idle slot looks at the queue when no in-process event woke it. */
  pollMs: number;
  name?: string;
  /** One line for the server's own log (never a secret). */
  log(message: string): void;
}

interface Driving {
  lease: TakenLease;
  run?: ExecutionRun;
  lost: boolean;
}

export class WorkerPool {
  private readonly options: WorkerPoolOptions;
  private readonly holder: LeaseHolder;
  private readonly driving = new Set<Driving>();
  private readonly loops: Promise<void>[] = [];
  private wakers: (() => void)[] = [];
  private stopping = false;
  private unwatch: (() => Promise<void>) | undefined;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.holder = { worker: options.name ?? `${hostname()}:${process.pid}`, pid: process.pid, processStart: processStartOf(process.pid) };
  }

  /** Starts the slots; an execution queued in the store (by this process, or any with PostgreSQL) wakes idle ones at once. */
  async start(): Promise<void> {
    if (this.options.slots === 0) return;
    this.unwatch = await this.options.engine.store.watchQueue(() => this.wake());
    for (let slot = 0; slot < this.options.slots; slot++) this.loops.push(this.slotLoop());
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /**
   * SIGTERM: no more work is taken; every lease is released at once (its epoch moved on, so that
   * this process can no longer write), then each run is detached: containers and pods keep running
   * for whichever slot takes the execution next.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.unwatch?.();
    this.wake();
    const store = this.options.engine.store;
    const releases: Promise<void>[] = [];
    for (const driving of this.driving) {
      driving.lost = true;
      releases.push(store.releaseLease(driving.lease.executionId, driving.lease.epoch, { fence: true }));
      driving.run?.detach();
    }
    await Promise.allSettled([...releases, ...this.loops]);
  }

  private async slotLoop(): Promise<void> {
    const store = this.options.engine.store;
    while (!this.stopping) {
      let lease: TakenLease | undefined;
      try {
        lease = await store.takeNextLease(this.holder, this.options.leaseMs);
      } catch (error) {
        this.options.log(`worker: cannot look at the queue: ${describeError(error)}`);
      }
      if (!lease) {
        await this.idle();
        continue;
      }
      await this.drive(lease);
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.push(done);
    });
  }

  private async drive(lease: TakenLease): Promise<void> {
    const { engine, log } = this.options;
    const store = engine.store;
    const driving: Driving = { lease, lost: false };
    this.driving.add(driving);
    const renewal = setInterval(() => void this.renew(driving), this.options.renewMs);
    const id = lease.executionId;
    try {
      const execution = await store.getExecution(id);
      if (!execution || isTerminal(execution.state)) return;
      if (execution.state !== 'CREATED') {
        const from = lease.previous ? ` from ${lease.previous.worker} (pid ${lease.previous.pid}, lease expired)` : ' (released by its previous worker)';
        log(`worker: took execution ${id} over${from}, lease epoch ${lease.epoch}: resuming it`);
      }
      if (await this.endedBeforeStart(execution, lease)) return;
      const { run, done } = engine.startLeased(execution, parseFlow(execution.flowSource, execution.flowFile), { executionId: id, epoch: lease.epoch });
      driving.run = run;
      if (driving.lost) run.detach();
      // A kill that came while nobody held it (a lease that expired): the take-over cleans up.
      // One asked for after the row was read is seen by the next renewal.
      if (execution.killRequested) run.abort();
      const ended = await done;
      log(`worker: execution ${id} ended ${ended.state}`);
    } catch (error) {
      if (driving.lost || hasCode(error, 'LEASE_LOST')) {
        driving.lost = true;
        driving.run?.detach();
        log(`worker: stopped execution ${id}: ${hasCode(error, 'LEASE_LOST') ? error.message : 'its lease was given up'}`);
      } else if (hasCode(error, 'SECRET_KEY_MISMATCH')) {
        // Taken again, it would fail again at once: it ends here, with the reason, rather than loop.
        await this.failUnrunnable(id, lease, 'SECRET_KEY_MISMATCH', `this worker cannot decrypt the execution's secrets: ${error.userMessage()}`)
          .catch((failure) => log(`worker: execution ${id} stopped: ${describeError(error)}; and it could not be ended: ${describeError(failure)}`));
      } else {
        log(`worker: execution ${id} stopped: ${describeError(error)}`);
      }
    } finally {
      clearInterval(renewal);
      this.driving.delete(driving);
      if (!driving.lost) await this.release(id, lease.epoch);
    }
  }

  /**
   * Executions that end without running: their flow was deleted from the server, or a kill came
   * while they waited in the queue. Written under the lease's fence like any other write.
   */
  private async endedBeforeStart(execution: ExecutionRecord, lease: TakenLease): Promise<boolean> {
    const store = this.options.engine.store;
    const fenced = new FencedStore(store, { executionId: execution.id, epoch: lease.epoch });
    const now = new Date().toISOString();
    if (execution.state === 'CREATED' && execution.killRequested) {
      await fenced.setExecutionState(execution.id, 'KILLED', now);
      return true;
    }
    const deployed = execution.options.flowRevision !== undefined;
    if (deployed && !(await store.getFlow(execution.namespace, execution.flowId))) {
      await this.failUnrunnable(execution.id, lease, 'FLOW_DELETED', `flow ${execution.namespace}.${execution.flowId} was deleted from the server: the execution cannot go on`);
      return true;
    }
    return false;
  }

  /** Ends an execution that no worker could go on with FAILED, its reason logged and stored, under the lease's fence. */
  private async failUnrunnable(executionId: string, lease: TakenLease, code: 'FLOW_DELETED' | 'SECRET_KEY_MISMATCH', message: string): Promise<void> {
    const store = this.options.engine.store;
    const fenced = new FencedStore(store, { executionId, epoch: lease.epoch });
    const now = new Date().toISOString();
    await fenced.transaction(async () => {
      await fenced.insertLogs([{ executionId, level: 'ERROR', timestamp: now, line: message }]);
      for (const taskRun of await store.taskRuns(executionId)) {
        if (isTerminal(taskRun.state)) continue;
        for (const attempt of await store.attempts(taskRun.id)) {
          if (!isTerminal(attempt.state)) await fenced.finishAttempt(taskRun.id, attempt.number, { state: 'FAILED', error: message, endedAt: now });
        }
        await fenced.updateTaskRun(taskRun.id, { state: 'FAILED', endedAt: now });
      }
      await fenced.setExecutionState(executionId, 'FAILED', now, { code, message });
    });
    this.options.log(`worker: ${message} (execution ${executionId})`);
  }

  /** Gives the lease up once the run ended; a store that fails here leaves it to expire. */
  private async release(executionId: string, epoch: number): Promise<void> {
    try {
      await this.options.engine.store.releaseLease(executionId, epoch);
    } catch (error) {
      this.options.log(`worker: cannot release the lease of execution ${executionId}, it expires by itself: ${describeError(error)}`);
    }
  }

  private async renew(driving: Driving): Promise<void> {
    if (driving.lost) return;
    const store = this.options.engine.store;
    const { executionId, epoch } = driving.lease;
    let renewed: boolean;
    try {
      renewed = await store.renewLease(executionId, epoch, this.options.leaseMs);
    } catch (error) {
      // A busy store is no proof of a lost lease: the next tick tries again, and the fence decides.
      this.options.log(`worker: cannot renew the lease of execution ${executionId}: ${describeError(error)}`);
      return;
    }
    if (!renewed) {
      driving.lost = true;
      this.options.log(`worker: lost the lease of execution ${executionId} (epoch ${epoch}): another worker took it over; stopping, leaving its containers and pods`);
      driving.run?.detach();
      return;
    }
    try {
      if (driving.run && await store.killRequested(executionId)) driving.run.abort();
    } catch (error) {
      this.options.log(`worker: cannot read the kill requests of execution ${executionId}: ${describeError(error)}`);
    }
  }
}
