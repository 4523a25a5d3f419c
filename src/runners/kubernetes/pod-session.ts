/**
 * One pod from creation (or adoption) to its end, shared by the task runner and PodCreate:
 * create (409 → adopt) or re-attach, upload inputs, wait for the task containers with fail-fast
 * reasons, follow their logs, collect outputs. The pod stays: the engine deletes it through
 * release (release.ts) once it stored the attempt's end. Pod state comes from the shared informer.
 *
 * Requests per pod: create, 1 log stream per task container (more only after a drop or stall),
 * 1 exec in (with inputs), 1 exec out (with outputs; a pod kept by `delete: false` one more, to let
 * its sidecar end), delete; the informer's list and watch are
 * shared by every pod of the namespace.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { formatDurationMs } from '../../shared/duration.ts';
import { hasCode, RunnerError, TaskFailedError } from '../../shared/errors.ts';
import { isDetached, type LogEntry, type NoticeLevel, type ResumeHandle, type RunnerProgress, type RunnerResume, type TaskIdentity } from '../contract.ts';
import { longLineNotice } from '../line-splitter.ts';
import { skippedOutputNotice } from '../shared/unsafe-output.ts';
import { downloadOutputs, releaseSidecar, uploadWorkingDir, type PodRef } from './file-transfer.ts';
import { deletePodIfPresent, targetEntries, type TaskTarget } from './release.ts';
import { KubeClient } from './client.ts';
import { DEFAULT_INFORMER_OPTIONS, type InformerOptions, type InformerRegistry, type PodInformer } from './informer.ts';
import { INIT_CONTAINER, SIDECAR_CONTAINER } from './layout.ts';
import { LogFollower } from './log-follower.ts';
import { podWarningEvents } from './pod-events.ts';
import { ATTEMPT_LABEL, TASKRUN_LABEL, labelValue } from './naming.ts';
import { containerState, hasStarted, hasTerminated, isTerminating, metadataOf, notRunningReason, podFailure, podPhase, podProgress } from './pod-state.ts';

export interface SessionJob {
  identity: TaskIdentity;
  hostWorkingDir: string;
  outputDirName: string;
  outputGlobs: string[];
  signal: AbortSignal;
  log(entry: LogEntry): void;
  notice(level: NoticeLevel, message: string): void;
  progress?(progress: RunnerProgress): void;
  resume?: RunnerResume;
  saveResumeHandle(handle: ResumeHandle): Promise<void>;
}

/** Timings that tests shorten; production uses the defaults. */
export interface KubernetesTuning {
  informer?: Partial<InformerOptions>;
  /** A running container's log stream with no data for this long is reopened. */
  logStallMs: number;
  /** After a container ended, its log stream must end within this, or it is reopened. */
  logEndGraceMs: number;
  /** How long to wait for a deleted pod to disappear before creating its successor. */
  goneTimeoutMs: number;
}

export const DEFAULT_TUNING: KubernetesTuning = { logStallMs: 120_000, logEndGraceMs: 5_000, goneTimeoutMs: 120_000 };

export interface SessionPlan {
  pod: V1Pod;
  namespace: string;
  /** Containers whose logs are followed and whose end is the task's end. */
  taskContainers: string[];
  upload: boolean;
  collect: boolean;
  waitUntilRunningMs: number;
  completionMs: number;
  /** The property that set `completionMs`, for the timeout message. */
  completionProperty: string;
  deleteAfter: boolean;
  resumeEnabled: boolean;
  /** The task's own way to the cluster, kept in the handle for release. */
  target: TaskTarget;
  tuning: KubernetesTuning;
  /** Where the pod's informer is shared with the other pods of its namespace. */
  informers: InformerRegistry;
}

export interface SessionOutcome {
  /** The last state of the pod seen. */
  pod: V1Pod;
  name: string;
}

export async function runPodSession(kc: KubeConfig, job: SessionJob, plan: SessionPlan): Promise<SessionOutcome> {
  job.signal.throwIfAborted();
  const client = new KubeClient(kc);
  const lease = await plan.informers.acquire(client, plan.namespace, { ...DEFAULT_INFORMER_OPTIONS, ...plan.tuning.informer });
  try {
    return await new PodSession(client, lease.informer, job, plan).run();
  } finally {
    lease.release();
  }
}

class PodSession {
  private readonly client: KubeClient;
  private readonly informer: PodInformer;
  private readonly job: SessionJob;
  private readonly plan: SessionPlan;
  private name: string;
  private lastPod: V1Pod | undefined;
  private deleted = false;
  private fatal: Error | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly followers = new Map<string, LogFollower>();
  private followersDone: Promise<unknown> = Promise.resolve();
  private owned = false;
  private adopted = false;
  /** The handle as last saved (or as resumed). */
  private handle: ResumeHandle;
  private shownProgress = '';

  constructor(client: KubeClient, informer: PodInformer, job: SessionJob, plan: SessionPlan) {
    this.client = client;
    this.informer = informer;
    this.job = job;
    this.plan = plan;
    this.name = String(metadataOf(plan.pod).name);
    this.handle = job.resume?.handle ?? { podName: this.name, namespace: plan.namespace, ...targetEntries(plan.target) };
  }

  private get ref(): PodRef {
    return { client: this.client, namespace: this.plan.namespace, pod: this.name, signal: this.job.signal };
  }

  async run(): Promise<SessionOutcome> {
    let unsubscribe: () => void = () => undefined;
    const onAbort = (): void => this.wake();
    this.job.signal.addEventListener('abort', onAbort);
    try {
      await this.findOrCreate();
      unsubscribe = this.informer.subscribe(this.name, (pod, last) => this.onPod(pod, last), (error) => {
        this.fatal = error;
        this.wake();
      });
      this.onPod(this.informer.get(this.name), undefined);
      await this.waitForCompletion();
      if (this.lastPod && this.plan.taskContainers.some((name) => (containerState(this.lastPod!, name).exitCode ?? 0) !== 0)) {
        await this.reportWarningEvents();
      }
      return { pod: this.lastPod ?? this.plan.pod, name: this.name };
    } catch (error) {
      if (!this.job.signal.aborted) await this.reportWarningEvents();
      throw error;
    } finally {
      this.job.signal.removeEventListener('abort', onAbort);
      for (const follower of this.followers.values()) follower.stop();
      unsubscribe();
      await this.cleanUp();
    }
  }

  private onPod(pod: V1Pod | undefined, last: V1Pod | undefined): void {
    if (pod) {
      this.lastPod = pod;
      this.reportProgress(pod);
    } else if (last) {
      this.lastPod = last;
      this.deleted = true;
    }
    this.wake();
  }

  /** The pod's phase and reason, each time they change. */
  private reportProgress(pod: V1Pod): void {
    if (!this.job.progress) return;
    const { phase, reason } = podProgress(pod, this.plan.taskContainers);
    const shown = `${phase}:${reason ?? ''}`;
    if (shown === this.shownProgress) return;
    this.shownProgress = shown;
    this.job.progress({ kind: 'phase', phase, reason });
  }

  private transferProgress(direction: 'upload' | 'download'): (bytes: number, done: boolean) => void {
    return (bytes, done) => this.job.progress?.({ kind: 'transfer', direction, bytes, done });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  // Creating or finding the pod --------------------------------------------------------------

  private async findOrCreate(): Promise<void> {
    const resume = this.job.resume;
    if (resume) {
      await this.reattach(resume.handle);
      return;
    }
    this.job.signal.throwIfAborted();
    await this.job.saveResumeHandle(this.handle);
    try {
      await this.client.createPod(this.plan.namespace, this.plan.pod);
      this.owned = true;
      this.job.notice('INFO', `created pod ${this.name} in namespace ${this.plan.namespace}`);
    } catch (error) {
      if (!hasCode(error, 'KUBE_CONFLICT')) throw error;
      this.owned = true;
      this.adopted = true;
      this.job.notice('INFO', `pod ${this.name} already exists (made by an earlier try of this attempt): adopting it`);
    }
    // A resume tells a pod deleted by someone else (created) from one never made (not created).
    await this.saveHandle({ ...this.handle, created: true });
  }

  /**
   * Adopts the pod of the interrupted attempt. Without a pod to adopt the attempt ends here, with
   * a code that tells the engine why: never created or `resume: false` (a new attempt, with a pod
   * and a log of its own), or deleted by someone else (a failure the retry policy judges).
   */
  private async reattach(handle: ResumeHandle): Promise<void> {
    const existing = this.findPrevious(handle);
    const name = existing ? String(metadataOf(existing).name) : typeof handle.podName === 'string' ? handle.podName : this.name;
    if (existing && this.plan.resumeEnabled && !isTerminating(existing)) {
      this.name = name;
      this.owned = true;
      this.adopted = true;
      // A handle saved by an older harrier may lack what release needs: the task's way to the cluster.
      const current = { ...handle, ...targetEntries(this.plan.target), podName: name };
      if (JSON.stringify(current) !== JSON.stringify(handle)) await this.saveHandle(current);
      this.job.notice('INFO', `re-attached to pod ${name} in namespace ${this.plan.namespace} (phase ${podPhase(existing)})`);
      return;
    }
    if (!existing && handle.created !== true) {
      throw new RunnerError(`interrupted: harrier stopped before pod ${name} of this attempt was created`, { code: 'ATTEMPT_NEVER_STARTED' });
    }
    if (existing && !this.plan.resumeEnabled) {
      this.job.notice('INFO', `resume is false: deleting pod ${name} of the interrupted attempt`);
      await this.deletePod(name);
      await this.waitGone(name);
      throw new RunnerError(`resume is false: pod ${name} of this attempt was deleted`, { code: 'ATTEMPT_NOT_RESUMED' });
    }
    if (existing) await this.waitGone(name);
    throw new RunnerError(`pod ${name} of this attempt is gone from namespace ${this.plan.namespace}: it was deleted outside harrier`, {
      code: 'ATTEMPT_GONE',
      hint: 'check who deletes pods in this namespace (kubectl delete, an eviction, a cleanup job); a retry policy on the task runs it again',
    });
  }

  private findPrevious(handle: ResumeHandle): V1Pod | undefined {
    const byName = typeof handle.podName === 'string' ? this.informer.get(handle.podName) : undefined;
    if (byName) return byName;
    const { taskRunId, attempt } = this.job.identity;
    const matches = this.informer.find((pod) => {
      const labels = metadataOf(pod).labels ?? {};
      return labels[TASKRUN_LABEL] === labelValue(taskRunId) && labels[ATTEMPT_LABEL] === String(attempt);
    });
    return matches.length === 1 ? matches[0] : undefined;
  }

  private waitGone(name: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new RunnerError(`pod ${name} of the interrupted attempt did not disappear within ${formatDurationMs(this.plan.tuning.goneTimeoutMs)}`, {
          hint: `delete it (kubectl delete pod ${name} -n ${this.plan.namespace}) and resume again`,
        }));
      }, this.plan.tuning.goneTimeoutMs);
      const unsubscribe = this.informer.subscribe(name, (pod) => {
        if (pod) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
      if (!this.informer.get(name)) {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  // Waiting -------------------------------------------------------------------------------------

  /** The pod as last seen; throws when it was deleted or is being deleted by someone else. */
  private current(): V1Pod | undefined {
    const pod = this.lastPod;
    if (this.deleted || (pod && isTerminating(pod))) {
      throw new RunnerError(`pod ${this.name} in namespace ${this.plan.namespace} was deleted by someone else while the task ran`, {
        hint: 'check who deletes pods in this namespace (another controller, a cleanup job, kubectl)',
      });
    }
    if (pod) {
      const failure = podFailure(pod);
      if (failure) throw new RunnerError(failure);
    }
    return pod;
  }

  private waitFor<T>(evaluate: () => T | undefined, deadlineAt: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (action: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        action();
      };
      const check = (): void => {
        try {
          if (this.job.signal.aborted) return finish(() => reject(this.job.signal.reason));
          if (this.fatal) return finish(() => reject(this.fatal));
          const value = evaluate();
          if (value !== undefined) finish(() => resolve(value));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      timer = setTimeout(() => finish(() => reject(onTimeout())), Math.max(0, deadlineAt - Date.now()));
      this.waiters.add(check);
      check();
    });
  }

  private async waitForCompletion(): Promise<void> {
    const { plan } = this;
    const runningDeadline = Date.now() + plan.waitUntilRunningMs;
    const notRunning = (): Error => new RunnerError(notRunningReason(this.lastPod, plan.waitUntilRunningMs, plan.taskContainers), {
      hint: 'check the cluster\'s capacity, nodeSelector and tolerations, and the image; or raise waitUntilRunning',
    });
    if (plan.upload) {
      const step = await this.waitFor(() => {
        const pod = this.current();
        if (!pod) return undefined;
        const init = containerState(pod, INIT_CONTAINER, true);
        if (init.state === 'running') return 'upload';
        if (init.state === 'terminated' || plan.taskContainers.some((name) => hasStarted(pod, name))) return 'skip';
        return undefined;
      }, runningDeadline, notRunning);
      if (step === 'upload') await uploadWorkingDir(this.ref, this.job.hostWorkingDir, this.transferProgress('upload'));
    }
    await this.waitFor(() => {
      const pod = this.current();
      return pod && plan.taskContainers.some((name) => hasStarted(pod, name)) ? true : undefined;
    }, runningDeadline, notRunning);
    this.startFollowers();
    const completionDeadline = Date.now() + plan.completionMs;
    await this.waitFor(() => {
      const pod = this.current();
      return pod && plan.taskContainers.every((name) => hasTerminated(pod, name)) ? true : undefined;
    }, completionDeadline, () => new TaskFailedError(
      `pod ${this.name} did not finish within ${formatDurationMs(plan.completionMs)} (${plan.completionProperty})`,
      { hint: `raise ${plan.completionProperty} if the task needs longer` },
    ));
    for (const follower of this.followers.values()) follower.containerEnded();
    await this.raceAbort(this.followersDone);
    if (plan.collect) await this.collect();
  }

  private startFollowers(): void {
    const resume = this.adopted ? this.job.resume : undefined;
    const several = this.plan.taskContainers.length > 1;
    const runs: Promise<void>[] = [];
    for (const container of this.plan.taskContainers) {
      const cursor = several ? resume?.containerCursors?.[container] : resume?.logCursor;
      const follower = new LogFollower({
        client: this.client,
        namespace: this.plan.namespace,
        pod: this.name,
        container,
        cursor,
        onLine: (entry) => this.job.log(several ? { ...entry, container } : entry),
        onLongLine: () => this.job.notice('WARN', longLineNotice(`container ${container}'s log`)),
        stallMs: this.plan.tuning.logStallMs,
        endGraceMs: this.plan.tuning.logEndGraceMs,
        containerDone: () => (this.lastPod ? hasTerminated(this.lastPod, container) : false),
      });
      this.followers.set(container, follower);
      runs.push(follower.start().catch((error: unknown) => {
        this.fatal = error instanceof Error ? error : new Error(String(error));
        this.wake();
      }));
    }
    this.followersDone = Promise.all(runs);
  }

  private raceAbort<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.job;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    }).then((value) => {
      if (this.fatal) throw this.fatal;
      return value;
    });
  }

  private async collect(): Promise<void> {
    // A short task can end before the kubelet started the sidecar next to it: wait for it.
    const sidecar = await this.waitFor(() => {
      const pod = this.current();
      const state = pod ? containerState(pod, SIDECAR_CONTAINER) : undefined;
      return state && (state.state === 'running' || state.state === 'terminated') ? state : undefined;
    }, Date.now() + this.plan.waitUntilRunningMs, () => new RunnerError(
      `output files of pod ${this.name} cannot be collected: container ${SIDECAR_CONTAINER} did not start within ${formatDurationMs(this.plan.waitUntilRunningMs)}`,
    ));
    if (sidecar.state !== 'running') {
      this.job.notice('WARN', `output files of pod ${this.name} cannot be collected: container ${SIDECAR_CONTAINER} is ${sidecar.reason ?? sidecar.state}`);
      return;
    }
    const files = await downloadOutputs(this.ref, this.job.hostWorkingDir, this.job.outputGlobs, this.job.outputDirName,
      (skipped) => this.job.notice('WARN', skippedOutputNotice(skipped)), this.transferProgress('download'));
    this.job.notice('DEBUG', `collected ${files.length} output file(s) from pod ${this.name}: ${files.slice(0, 20).join(', ')}`);
  }

  /** Before the pod is deleted: its Warning events into the task's log, to explain a failure. */
  private async reportWarningEvents(): Promise<void> {
    if (!this.owned) return;
    const uid = this.lastPod ? metadataOf(this.lastPod).uid : undefined;
    const events = await podWarningEvents(this.client, this.plan.namespace, this.name, uid);
    for (const line of events.lines) this.job.notice('WARN', `pod ${this.name} event: ${line}`);
    if (events.unavailable) this.job.notice('DEBUG', events.unavailable);
  }

  // Cleaning up -----------------------------------------------------------------------------------

  /**
   * A pod whose task runs on (killed, timed out) or that the task does not keep is left to
   * release, which deletes it once the attempt's end is stored. A kept one must let its sidecar
   * end (a deleted pod takes it along), and its handle says it is kept.
   */
  private async cleanUp(): Promise<void> {
    // Handed over: the pod now belongs to the process that re-attaches to it.
    if (!this.owned || isDetached(this.job.signal)) return;
    if (this.plan.deleteAfter || this.job.signal.aborted) return;
    if (this.plan.collect && this.lastPod && containerState(this.lastPod, SIDECAR_CONTAINER).state === 'running') {
      await releaseSidecar({ ...this.ref, signal: undefined }).catch(() => undefined);
    }
    await this.saveHandle({ ...this.handle, keep: true }).catch((error: unknown) => {
      this.job.notice('WARN', `pod ${this.name} is kept (delete is false), but its handle could not say so: ${(error as Error).message}`);
    });
    this.job.notice('INFO', `delete is false: pod ${this.name} is kept in namespace ${this.plan.namespace}`);
  }

  private async saveHandle(handle: ResumeHandle): Promise<void> {
    this.handle = handle;
    await this.job.saveResumeHandle(handle);
  }

  private deletePod(name: string): Promise<void> {
    return deletePodIfPresent(this.client, this.plan.namespace, name);
  }
}
