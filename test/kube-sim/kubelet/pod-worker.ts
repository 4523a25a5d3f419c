/**
 * One pod's life on the simulated node: scheduling verdict, sandbox (a pause container holding the
 * network namespace and the volumes), init containers in order, native sidecars, the regular
 * containers together, restarts, deadline, eviction and graceful termination. Every change of
 * status is written to the store, which emits it as a MODIFIED watch event.
 */
import type Docker from 'dockerode';
import { rfc3339 } from '../clock.ts';
import { computeConditions, computePhase } from '../pod-status.ts';
import { parseQuantity } from '../quantity.ts';
import type { EventStore } from '../events.ts';
import type { PodStore } from '../store.ts';
import { isSidecar, type Container, type ContainerStatus, type Pod, type PodStatus } from '../types.ts';
import { dockerCreateOptions, type PreparedVolume } from './docker-mapping.ts';
import { exitInfo, imagePresent, PID_LABEL, removeContainer, removeVolume, SIM_LABEL } from './docker-objects.ts';
import { resolveEnv } from './env.ts';
import { backOffMessage, imageVerdict, qualifiedImage } from './images.ts';

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  hostIP: string;
}

export interface WorkerOptions {
  docker: Docker;
  store: PodStore;
  events: EventStore;
  simId: string;
  pauseImage: string;
  node: NodeInfo;
  /** First restart back-off; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How often a waiting container re-checks for its image. */
  imageRecheckMs: number;
}

interface DockerRefs {
  current?: string;
  previous?: string;
  /** Docker containers created so far for this pod container (names must stay unique). */
  instances?: number;
}

type Kind = 'init' | 'main';

class Aborted extends Error {}

export class PodWorker {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  private pod: Pod;
  private readonly options: WorkerOptions;
  private readonly abort = new AbortController();
  private readonly initStatuses = new Map<string, ContainerStatus>();
  private readonly mainStatuses = new Map<string, ContainerStatus>();
  private readonly refs = new Map<string, DockerRefs>();
  private readonly exitWatchers = new Set<Promise<void>>();
  private readonly volumes = new Map<string, PreparedVolume>();
  /** Containers the kubelet itself stopped: their exit 137 is its kill, not an OOM kill. */
  private readonly stopped = new Set<string>();
  private readonly createdVolumes: string[] = [];
  private sandboxId: string | undefined;
  private scheduled: { ok: true } | { ok: false; message: string } | undefined;
  private kubeletStarted = false;
  private sandboxReady = false;
  private startTime: string | undefined;
  private podIP: string | undefined;
  private finishing = false;
  private terminalPhase: 'Succeeded' | 'Failed' | undefined;
  private statusReason: { reason: string; message: string } | undefined;
  private extraConditions: Array<{ type: string; status: 'True'; reason: string; message: string }> = [];
  private deadlineTimer: NodeJS.Timeout | undefined;
  private runPromise: Promise<void> | undefined;
  private terminating: Promise<void> | undefined;
  private removed = false;

  constructor(pod: Pod, options: WorkerOptions) {
    this.pod = pod;
    this.options = options;
    this.namespace = pod.metadata.namespace!;
    this.name = pod.metadata.name!;
    this.uid = pod.metadata.uid!;
  }

  start(): void {
    this.runPromise = this.run().catch((error) => {
      if (!(error instanceof Aborted)) console.error(`kube-sim kubelet: pod ${this.namespace}/${this.name}: ${error instanceof Error ? error.stack : error}`);
    });
  }

  /** The Docker container of a pod container: the current instance, or the previous one. */
  containerId(container: string, previous = false): string | undefined {
    const refs = this.refs.get(container);
    return previous ? refs?.previous : refs?.current;
  }

  isTerminal(): boolean {
    return this.terminalPhase !== undefined;
  }

  /** Graceful deletion: stop containers within the grace period, publish, clean up, remove the pod. */
  terminate(graceSeconds: number): Promise<void> {
    this.terminating ??= this.doTerminate(graceSeconds, true);
    return this.terminating;
  }

  /** The pod is already gone from the store (forced delete): kill and clean up only. */
  destroy(): Promise<void> {
    this.removed = true;
    this.terminating ??= this.doTerminate(0, false);
    return this.terminating;
  }

  /** Node-pressure eviction by the kubelet: Failed/Evicted, containers killed at once. */
  evict(message: string): Promise<void> {
    return this.failFromKubelet('Evicted', message, 0, { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message });
  }

  private async failFromKubelet(reason: string, message: string, graceSeconds: number, condition?: { type: string; status: 'True'; reason: string; message: string }): Promise<void> {
    if (this.terminalPhase || this.terminating) return;
    this.record(reason === 'Evicted' ? 'Warning' : 'Normal', reason, message);
    this.statusReason = { reason, message };
    if (condition) this.extraConditions.push(condition);
    this.abort.abort();
    await this.stopAll(graceSeconds);
    await this.settleExits();
    this.terminalPhase = 'Failed';
    await this.stopSandbox();
    this.publish();
  }

  private async doTerminate(graceSeconds: number, publishAndRemove: boolean): Promise<void> {
    this.abort.abort();
    clearTimeout(this.deadlineTimer);
    await this.stopAll(graceSeconds);
    await this.settleExits();
    await this.runPromise;
    if (publishAndRemove && !this.terminalPhase) {
      const all = [...this.mainStatuses.values()];
      this.terminalPhase = all.every((s) => s.state.terminated?.exitCode === 0) && all.length > 0 ? 'Succeeded' : 'Failed';
      this.sandboxReady = false;
      this.publish();
    }
    await this.cleanupDocker();
    if (publishAndRemove) this.options.store.remove(this.namespace, this.name);
  }

  // ---- the main sequence -------------------------------------------------------------------------

  private async run(): Promise<void> {
    const spec = this.pod.spec;
    if (!this.schedule()) return;
    this.kubeletStarted = true;
    this.startTime = rfc3339();
    const waitingReason = spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating';
    for (const container of spec.initContainers ?? []) this.initStatuses.set(container.name, this.waitingStatus(container, waitingReason));
    for (const container of spec.containers) this.mainStatuses.set(container.name, this.waitingStatus(container, waitingReason));
    this.armDeadline();
    this.publish();

    if (!(await this.createSandbox())) return;
    this.sandboxReady = true;
    this.publish();

    const sidecars: Array<Promise<void>> = [];
    for (const container of spec.initContainers ?? []) {
      this.checkAborted();
      if (isSidecar(container)) {
        const started = this.deferred();
        sidecars.push(this.containerLoop(container, 'init', 'Always', started.resolve));
        await Promise.race([started.promise, this.abortedPromise()]);
        continue;
      }
      const outcome = await this.runInitContainer(container);
      if (outcome === 'failed') {
        await this.finish('Failed');
        return;
      }
    }
    this.checkAborted();
    for (const container of spec.containers) {
      if (this.mainStatuses.get(container.name)?.state.waiting?.reason === 'PodInitializing') this.setStatus('main', container, this.waitingStatus(container, 'ContainerCreating'), false);
    }
    await Promise.all(spec.containers.map((container) => this.containerLoop(container, 'main', spec.restartPolicy ?? 'Always')));
    this.checkAborted();
    const all = [...this.mainStatuses.values()];
    await this.finish(all.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed', sidecars);
  }

  /** The scheduler: one node; a nodeSelector that does not match it leaves the pod Pending forever. */
  private schedule(): boolean {
    const selector = this.pod.spec.nodeSelector ?? {};
    const mismatch = Object.entries(selector).some(([key, value]) => this.options.node.labels[key] !== value);
    const wrongNode = this.pod.spec.nodeName !== undefined && this.pod.spec.nodeName !== this.options.node.name;
    if (mismatch || wrongNode) {
      this.scheduled = {
        ok: false,
        message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
      };
      this.record('Warning', 'FailedScheduling', this.scheduled.message, { component: 'default-scheduler' });
      this.publish();
      return false;
    }
    this.scheduled = { ok: true };
    this.record('Normal', 'Scheduled', `Successfully assigned ${this.namespace}/${this.name} to ${this.options.node.name}`, { component: 'default-scheduler' });
    this.options.store.update(this.namespace, this.name, (pod) => {
      pod.spec.nodeName = this.options.node.name;
      pod.status = this.buildStatus(pod.status);
    });
    const stored = this.options.store.get(this.namespace, this.name);
    if (stored) this.pod = stored;
    return true;
  }

  private armDeadline(): void {
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (!deadline) return;
    this.deadlineTimer = setTimeout(() => {
      void this.failFromKubelet('DeadlineExceeded', 'Pod was active on the node longer than the specified deadline', this.pod.spec.terminationGracePeriodSeconds ?? 30);
    }, deadline * 1000);
    this.deadlineTimer.unref();
  }

  private async runInitContainer(container: Container): Promise<'ok' | 'failed'> {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    for (let attempt = 0; ; attempt++) {
      const exitCode = await this.runOnce(container, 'init');
      if (exitCode === 0) return 'ok';
      if (policy === 'Never') return 'failed';
      await this.crashLoopBackOff(container, 'init', attempt);
    }
  }

  /** Runs a container and restarts it per policy; resolves when it will not run again. */
  private async containerLoop(container: Container, kind: Kind, policy: string, onStarted?: () => void): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        const exitCode = await this.runOnce(container, kind, onStarted);
        if (this.abort.signal.aborted || (kind === 'init' && this.finishing)) return;
        const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
        if (!restart) return;
        await this.crashLoopBackOff(container, kind, attempt);
      }
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
    }
  }

  private async crashLoopBackOff(container: Container, kind: Kind, attempt: number): Promise<void> {
    const delay = Math.min(this.options.backoffMs * 2 ** attempt, this.options.maxBackoffMs);
    const status = this.statusFor(kind, container.name);
    const seconds = Math.max(10, Math.round(delay / 1000) * 10);
    this.record('Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${this.name}_${this.namespace}(${this.uid})`, { container: container.name, init: kind === 'init' });
    this.setStatus(kind, container, {
      ...status,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${seconds}s restarting failed container=${container.name} pod=${this.name}_${this.namespace}(${this.uid})` } },
      lastState: { terminated: status.state.terminated! },
      ready: false,
      started: false,
    });
    await this.sleep(delay);
  }

  /** Creates and starts one instance; resolves with its exit code once it ended. */
  private async runOnce(container: Container, kind: Kind, onStarted?: () => void): Promise<number> {
    await this.waitForImage(container, kind);
    const env = resolveEnv(this.pod, container);
    if (!env.ok) {
      this.record('Warning', 'Failed', `Error: ${env.message}`, { container: container.name, init: kind === 'init' });
      this.setWaiting(kind, container, 'CreateContainerConfigError', env.message);
      await this.sleepForever();
    }
    const before = this.statusFor(kind, container.name);
    const restartCount = before.restartCount + (before.lastState.terminated ? 1 : 0);
    const instance = (this.refs.get(container.name)?.instances ?? 0);
    const mapping = dockerCreateOptions({
      name: `kube-sim-${this.options.simId}_${container.name}_${this.name}_${this.namespace}_${instance}`,
      image: container.image!,
      container,
      env: env.ok ? env.env : {},
      volumes: this.volumes,
      sandboxId: this.sandboxId!,
      labels: this.labels({ 'harrier.sim.container': container.name }),
    });
    if (!mapping.ok) {
      this.setWaiting(kind, container, 'CreateContainerConfigError', mapping.message);
      return this.sleepForever();
    }
    this.checkAborted();
    let id: string;
    try {
      const created = await this.options.docker.createContainer(mapping.options);
      id = created.id;
    } catch (error) {
      this.setWaiting(kind, container, 'CreateContainerError', (error as Error).message);
      return this.sleepForever();
    }
    this.record('Normal', 'Created', `Created container: ${container.name}`, { container: container.name, init: kind === 'init' });
    const refs = this.refs.get(container.name) ?? {};
    if (refs.previous) await removeContainer(this.options.docker, refs.previous);
    this.refs.set(container.name, { previous: refs.current, current: id, instances: instance + 1 });
    const imageId = (await imagePresent(this.options.docker, container.image!)).id ?? '';
    const base = { ...this.statusFor(kind, container.name), restartCount };
    const common = { image: qualifiedImage(container.image!), imageID: imageId ? `docker://${imageId}` : '', containerID: `docker://${id}` };
    if (this.abort.signal.aborted) throw new Aborted();
    try {
      await this.options.docker.getContainer(id).start();
    } catch (error) {
      const now = rfc3339();
      this.setStatus(kind, container, {
        ...base, ...common,
        state: { terminated: { exitCode: 128, reason: 'StartError', message: (error as Error).message, startedAt: now, finishedAt: now, containerID: common.containerID } },
        ready: false, started: false,
      });
      return 128;
    }
    this.record('Normal', 'Started', `Started container ${container.name}`, { container: container.name, init: kind === 'init' });
    const exited = this.watchExit(id);
    const info = await exitInfo(this.options.docker, id);
    if (info.running) {
      this.setStatus(kind, container, {
        ...base, ...common,
        state: { running: { startedAt: info.startedAt ?? rfc3339() } },
        ready: kind === 'main' || isSidecar(container),
        started: true,
      });
    }
    onStarted?.();
    const result = await exited;
    const final = { ...this.statusFor(kind, container.name), restartCount };
    const terminated: NonNullable<ContainerStatus['state']['terminated']> = {
      exitCode: result.exitCode,
      reason: result.reason,
      startedAt: result.startedAt ?? final.state.running?.startedAt,
      finishedAt: result.finishedAt ?? rfc3339(),
      containerID: common.containerID,
    };
    this.setStatus(kind, container, {
      ...final, ...common,
      state: { terminated },
      ready: kind === 'init' && !isSidecar(container) && result.exitCode === 0,
      started: false,
    }, !this.abort.signal.aborted);
    return result.exitCode;
  }

  /** Waits for the container to exit; the exit is recorded even when the pod is being torn down. */
  private watchExit(id: string): Promise<{ exitCode: number; reason: 'Completed' | 'Error' | 'OOMKilled'; startedAt?: string; finishedAt?: string }> {
    const promise = (async () => {
      try {
        await this.options.docker.getContainer(id).wait();
      } catch {
        // The container may already be removed; inspect below tells.
      }
      try {
        return await exitInfo(this.options.docker, id, this.stopped.has(id));
      } catch {
        return { exitCode: 137, reason: 'Error' as const, running: false };
      }
    })();
    const settled = promise.then(() => undefined);
    this.exitWatchers.add(settled);
    void settled.finally(() => this.exitWatchers.delete(settled));
    return promise;
  }

  private async waitForImage(container: Container, kind: Kind): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.checkAborted();
      const { present } = await imagePresent(this.options.docker, container.image!);
      const verdict = imageVerdict(container.image!, container.imagePullPolicy, present);
      const where = { container: container.name, init: kind === 'init' };
      if (verdict.ok) {
        if (attempt > 0) this.setWaiting(kind, container, 'ContainerCreating');
        this.record('Normal', 'Pulled', `Container image "${container.image}" already present on machine`, where);
        return;
      }
      if (verdict.reason === 'ErrImagePull') {
        const current = this.statusFor(kind, container.name).state.waiting?.reason;
        if (current !== 'ErrImagePull' && current !== 'ImagePullBackOff') {
          this.record('Normal', 'Pulling', `Pulling image "${container.image}"`, where);
          this.record('Warning', 'Failed', `Failed to pull image "${container.image}": ${verdict.message}`, where);
          this.record('Warning', 'Failed', 'Error: ErrImagePull', where);
          this.setWaiting(kind, container, 'ErrImagePull', verdict.message);
          await this.sleep(this.options.backoffMs);
          this.record('Normal', 'BackOff', backOffMessage(container.image!), where);
          this.record('Warning', 'Failed', 'Error: ImagePullBackOff', where);
        }
        this.setWaiting(kind, container, 'ImagePullBackOff', backOffMessage(container.image!));
      } else {
        if (attempt === 0) {
          this.record('Warning', verdict.reason === 'InvalidImageName' ? 'InspectFailed' : 'ErrImageNeverPull', verdict.message, where);
          this.record('Warning', 'Failed', `Error: ${verdict.reason}`, where);
        }
        this.setWaiting(kind, container, verdict.reason, verdict.message);
        if (verdict.reason === 'InvalidImageName') await this.sleepForever();
      }
      await this.sleep(this.options.imageRecheckMs);
    }
  }

  private async finish(phase: 'Succeeded' | 'Failed', sidecars: Array<Promise<void>> = []): Promise<void> {
    this.finishing = true;
    const sidecarContainers = (this.pod.spec.initContainers ?? []).filter(isSidecar).reverse();
    for (const container of sidecarContainers) {
      const id = this.refs.get(container.name)?.current;
      if (id) await this.stopContainer(id, this.pod.spec.terminationGracePeriodSeconds ?? 30);
    }
    await Promise.all(sidecars);
    await this.settleExits();
    clearTimeout(this.deadlineTimer);
    if (this.abort.signal.aborted) return;
    this.terminalPhase = phase;
    await this.stopSandbox();
    this.publish();
  }

  // ---- sandbox and volumes -----------------------------------------------------------------------

  private async createSandbox(): Promise<boolean> {
    const docker = this.options.docker;
    const mounts: Docker.MountSettings[] = [];
    for (const volume of this.pod.spec.volumes ?? []) {
      if (volume.emptyDir) {
        const name = `kube-sim-${this.options.simId}-${this.uid.slice(0, 8)}-${volume.name}`;
        const memory = volume.emptyDir.medium === 'Memory';
        const size = parseQuantity(volume.emptyDir.sizeLimit);
        const driverOpts: Record<string, string> = memory ? { type: 'tmpfs', device: 'tmpfs', ...(size ? { o: `size=${Math.floor(size)}` } : {}) } : {};
        await docker.createVolume({ Name: name, Driver: 'local', DriverOpts: driverOpts, Labels: this.labels({}) });
        this.createdVolumes.push(name);
        this.volumes.set(volume.name, { type: 'volume', source: name });
        mounts.push({ Type: 'volume', Source: name, Target: `/kube-sim/volumes/${volume.name}` });
      } else if (volume.hostPath) {
        this.volumes.set(volume.name, { type: 'bind', source: volume.hostPath.path });
      } else if ((volume.configMap && !(volume.configMap as { optional?: boolean }).optional) || (volume.secret && !(volume.secret as { optional?: boolean }).optional)) {
        // Nothing in the simulator provides config maps or secrets: a real kubelet keeps retrying the mount.
        await this.sleepForever();
      }
    }
    this.checkAborted();
    const sandbox = await docker.createContainer({
      name: `kube-sim-${this.options.simId}_POD_${this.name}_${this.namespace}`,
      Image: this.options.pauseImage,
      Entrypoint: ['sleep', '2147483647'],
      Cmd: [],
      Hostname: (this.pod.spec.hostname ?? this.name).slice(0, 63),
      Labels: this.labels({ 'harrier.sim.container': 'POD' }),
      HostConfig: { Mounts: mounts, IpcMode: 'shareable' },
    });
    this.sandboxId = sandbox.id;
    await sandbox.start();
    const info = await sandbox.inspect();
    const networks = Object.values(info.NetworkSettings.Networks ?? {});
    this.podIP = networks.find((n) => n.IPAddress)?.IPAddress || '10.244.0.2';
    return !this.abort.signal.aborted;
  }

  private async stopSandbox(): Promise<void> {
    this.sandboxReady = false;
    if (this.sandboxId) await this.stopContainer(this.sandboxId, 0);
  }

  private async cleanupDocker(): Promise<void> {
    const docker = this.options.docker;
    const ids = [...this.refs.values()].flatMap((r) => [r.current, r.previous]).filter((id): id is string => !!id);
    await Promise.all(ids.map((id) => removeContainer(docker, id)));
    if (this.sandboxId) await removeContainer(docker, this.sandboxId);
    await Promise.all(this.createdVolumes.map((name) => removeVolume(docker, name)));
  }

  private async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.stopped.add(id);
    try {
      await this.options.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (error) {
      const code = (error as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw error;
    }
  }

  /** Stops regular containers within the grace period, then the sidecars, then the sandbox. */
  private async stopAll(graceSeconds: number): Promise<void> {
    const started = Date.now();
    for (const container of [...this.pod.spec.containers, ...(this.pod.spec.initContainers ?? [])]) {
      const status = this.initStatuses.get(container.name) ?? this.mainStatuses.get(container.name);
      if (status?.state.running) this.record('Normal', 'Killing', `Stopping container ${container.name}`, { container: container.name, init: this.initStatuses.has(container.name) });
    }
    const mainIds = this.pod.spec.containers.map((c) => this.refs.get(c.name)?.current).filter((id): id is string => !!id);
    const initIds = (this.pod.spec.initContainers ?? []).map((c) => this.refs.get(c.name)?.current).filter((id): id is string => !!id);
    await Promise.all(mainIds.map((id) => this.stopContainer(id, graceSeconds)));
    const left = Math.max(0, graceSeconds - Math.floor((Date.now() - started) / 1000));
    for (const id of initIds.reverse()) await this.stopContainer(id, left);
    if (this.sandboxId) await this.stopContainer(this.sandboxId, 0);
    this.sandboxReady = false;
  }

  private async settleExits(): Promise<void> {
    while (this.exitWatchers.size) await Promise.all([...this.exitWatchers]);
  }

  // ---- status ------------------------------------------------------------------------------------

  private waitingStatus(container: Container, reason: string): ContainerStatus {
    return { name: container.name, state: { waiting: { reason } }, lastState: {}, ready: false, restartCount: 0, image: container.image ?? '', imageID: '', started: false };
  }

  private statusFor(kind: Kind, name: string): ContainerStatus {
    return (kind === 'init' ? this.initStatuses : this.mainStatuses).get(name)!;
  }

  private setWaiting(kind: Kind, container: Container, reason: string, message?: string): void {
    const current = this.statusFor(kind, container.name);
    const waiting: { reason: string; message?: string } = { reason };
    if (message) waiting.message = message;
    this.setStatus(kind, container, { ...current, state: { waiting }, ready: false, started: false });
  }

  private setStatus(kind: Kind, container: Container, status: ContainerStatus, publish = true): void {
    (kind === 'init' ? this.initStatuses : this.mainStatuses).set(container.name, status);
    if (publish) this.publish();
  }

  private buildStatus(previous: PodStatus): PodStatus {
    const spec = this.pod.spec;
    const order = (statuses: Map<string, ContainerStatus>, containers: Container[]) => containers.map((c) => statuses.get(c.name)).filter((s): s is ContainerStatus => !!s).map(orderedContainerStatus);
    const initStatuses = this.kubeletStarted && spec.initContainers?.length ? order(this.initStatuses, spec.initContainers) : undefined;
    const containerStatuses = this.kubeletStarted ? order(this.mainStatuses, spec.containers) : undefined;
    const computed = computePhase(spec, initStatuses, containerStatuses);
    // A terminal phase is only published by finish(), once sidecars and the sandbox are down.
    const previousPhase = previous.phase === 'Succeeded' || previous.phase === 'Failed' ? 'Running' : previous.phase;
    const phase = this.terminalPhase ?? (computed === 'Succeeded' || computed === 'Failed' ? previousPhase : computed);
    const now = rfc3339();
    const status: PodStatus = {
      phase,
      conditions: computeConditions({
        spec, phase, initStatuses, statuses: containerStatuses,
        sandboxReady: this.sandboxReady, scheduled: this.scheduled, kubeletStarted: this.kubeletStarted,
        previous: previous.conditions, now, extra: this.extraConditions,
      }),
    };
    if (this.statusReason) {
      status.message = this.statusReason.message;
      status.reason = this.statusReason.reason;
    }
    if (this.kubeletStarted) {
      status.hostIP = this.options.node.hostIP;
      status.hostIPs = [{ ip: this.options.node.hostIP }];
      if (this.podIP) {
        status.podIP = this.podIP;
        status.podIPs = [{ ip: this.podIP }];
      }
      status.startTime = this.startTime;
      if (initStatuses) status.initContainerStatuses = initStatuses;
      status.containerStatuses = containerStatuses;
    }
    status.qosClass = previous.qosClass;
    return status;
  }

  private publish(): void {
    if (this.removed) return;
    this.options.store.update(this.namespace, this.name, (pod) => {
      pod.status = this.buildStatus(pod.status);
    });
  }

  private record(type: 'Normal' | 'Warning', reason: string, message: string, options: { container?: string; init?: boolean; component?: string } = {}): void {
    this.options.events.record(this.pod, type, reason, message, { host: options.component ? undefined : this.options.node.name, ...options });
  }

  private labels(extra: Record<string, string>): Record<string, string> {
    return { [SIM_LABEL]: this.options.simId, [PID_LABEL]: String(process.pid), 'harrier.sim.pod': `${this.namespace}.${this.name}`, 'harrier.sim.uid': this.uid, ...extra };
  }

  // ---- waiting -----------------------------------------------------------------------------------

  private checkAborted(): void {
    if (this.abort.signal.aborted) throw new Aborted();
  }

  private abortedPromise(): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) resolve();
      else this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private async sleep(ms: number): Promise<void> {
    this.checkAborted();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    this.checkAborted();
  }

  private async sleepForever(): Promise<never> {
    await this.abortedPromise();
    throw new Aborted();
  }

  private deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }
}

/** The field order of a real ContainerStatus. */
function orderedContainerStatus(status: ContainerStatus): ContainerStatus {
  const ordered: ContainerStatus = {
    name: status.name,
    state: status.state,
    lastState: status.lastState,
    ready: status.ready,
    restartCount: status.restartCount,
    image: status.image,
    imageID: status.imageID,
  };
  if (status.containerID) ordered.containerID = status.containerID;
  ordered.started = status.started ?? false;
  return ordered;
}
