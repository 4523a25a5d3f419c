/**
 * The simulated node's kubelet: it follows the pod store and runs one PodWorker per pod in the
 * real Docker engine. Everything it creates is labelled `harrier.sim=<simId>` and removed on stop.
 */
import Docker from 'dockerode';
import type { EventStore } from '../events.ts';
import type { PodStore, StoreEvent } from '../store.ts';
import type { Pod } from '../types.ts';
import { listLabelled, removeAllLabelled, sweepOrphans } from './docker-objects.ts';
import { PodWorker, type NodeInfo } from './pod-worker.ts';

export interface KubeletOptions {
  store: PodStore;
  events: EventStore;
  simId: string;
  pauseImage: string;
  docker?: Docker;
  node?: Partial<NodeInfo>;
  backoffMs?: number;
  maxBackoffMs?: number;
  imageRecheckMs?: number;
}

export const DEFAULT_NODE: NodeInfo = {
  name: 'sim-node',
  labels: { 'kubernetes.io/hostname': 'sim-node', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
  hostIP: '192.168.49.2',
};

export class Kubelet {
  readonly docker: Docker;
  readonly node: NodeInfo;
  private readonly options: KubeletOptions;
  private readonly workers = new Map<string, PodWorker>();
  private readonly pending = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(options: KubeletOptions) {
    this.options = options;
    this.docker = options.docker ?? new Docker();
    this.node = { ...DEFAULT_NODE, ...options.node, labels: { ...DEFAULT_NODE.labels, ...options.node?.labels } };
    this.unsubscribe = options.store.subscribe((event) => this.onEvent(event));
  }

  private key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  private onEvent(event: StoreEvent): void {
    const pod = event.object;
    const key = this.key(pod.metadata.namespace!, pod.metadata.name!);
    if (event.type === 'ADDED') {
      const worker = new PodWorker(pod, {
        docker: this.docker,
        store: this.options.store,
        events: this.options.events,
        simId: this.options.simId,
        pauseImage: this.options.pauseImage,
        node: this.node,
        backoffMs: this.options.backoffMs ?? 1000,
        maxBackoffMs: this.options.maxBackoffMs ?? 5000,
        imageRecheckMs: this.options.imageRecheckMs ?? 2000,
      });
      this.workers.set(key, worker);
      // Let the create response go out before the first status change.
      setImmediate(() => worker.start());
    } else if (event.type === 'MODIFIED' && pod.metadata.deletionTimestamp && !event.previous?.metadata.deletionTimestamp) {
      const worker = this.workers.get(key);
      if (worker) this.track(worker.terminate(pod.metadata.deletionGracePeriodSeconds ?? 30));
    } else if (event.type === 'DELETED') {
      const worker = this.workers.get(key);
      this.workers.delete(key);
      if (worker && worker.uid === pod.metadata.uid) this.track(worker.destroy());
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => console.error(`kube-sim kubelet: ${error instanceof Error ? error.message : error}`));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  worker(namespace: string, name: string): PodWorker | undefined {
    return this.workers.get(this.key(namespace, name));
  }

  /** Docker container id behind a pod's container (the previous instance when asked). */
  containerId(pod: Pod, container: string, previous = false): string | undefined {
    const worker = this.worker(pod.metadata.namespace!, pod.metadata.name!);
    if (!worker || worker.uid !== pod.metadata.uid) return undefined;
    return worker.containerId(container, previous);
  }

  evict(namespace: string, name: string, message: string): Promise<void> {
    const worker = this.worker(namespace, name);
    if (!worker) return Promise.resolve();
    const work = worker.evict(message);
    this.track(work);
    return work;
  }

  /** Resolves once every deletion and clean-up under way has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Removes what killed sims (of this host) left behind. */
  sweepOrphans(): Promise<string[]> {
    return sweepOrphans(this.docker);
  }

  leftovers(): Promise<{ containers: string[]; volumes: string[] }> {
    return listLabelled(this.docker, this.options.simId);
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    for (const worker of this.workers.values()) this.track(worker.destroy());
    this.workers.clear();
    await this.settled();
    await removeAllLabelled(this.docker, this.options.simId);
  }
}
