/**
 * The pod registry: objects with a cluster-wide resourceVersion, a bounded event history for
 * watches that resume from an RV, and fan-out to live watchers.
 */
import type { Pod } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** The object after the change (the last state for DELETED), carrying its new resourceVersion. */
  object: Pod;
  /** The object before the change, so watchers with selectors can tell "started/stopped matching". */
  previous?: Pod;
  resourceVersion: number;
}

export type Listener = (event: StoreEvent) => void;

export type Since = { events: StoreEvent[] } | { expired: true; oldest: number };

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class PodStore {
  private revision: number;
  private readonly pods = new Map<string, Pod>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly historyLimit: number;
  /** The RV just before the oldest event still in history: watches from it or later can resume. */
  private compacted: number;

  constructor(options: { historyLimit?: number; initialRevision?: number } = {}) {
    this.historyLimit = options.historyLimit ?? 1000;
    this.revision = options.initialRevision ?? 1000;
    this.compacted = this.revision;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The RV up to which history was dropped; a watch from an older RV gets 410 Expired. */
  get oldestResumable(): number {
    return this.compacted;
  }

  get(namespace: string, name: string): Pod | undefined {
    const pod = this.pods.get(key(namespace, name));
    return pod && structuredClone(pod);
  }

  has(namespace: string, name: string): boolean {
    return this.pods.has(key(namespace, name));
  }

  list(namespace?: string): Pod[] {
    const all = [...this.pods.values()].filter((pod) => namespace === undefined || pod.metadata.namespace === namespace);
    return all
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((pod) => structuredClone(pod));
  }

  nextRevision(): number {
    return this.revision + 1;
  }

  /** Stores a new pod whose metadata.resourceVersion is the next RV (see nextRevision). */
  create(pod: Pod): Pod {
    const stored = structuredClone(pod);
    this.revision = Number(stored.metadata.resourceVersion);
    this.pods.set(key(stored.metadata.namespace!, stored.metadata.name!), stored);
    this.emit({ type: 'ADDED', object: stored, resourceVersion: this.revision });
    return structuredClone(stored);
  }

  /** Applies a change and emits MODIFIED with a new RV; undefined when the pod is gone. */
  update(namespace: string, name: string, mutate: (pod: Pod) => void): Pod | undefined {
    const current = this.pods.get(key(namespace, name));
    if (!current) return undefined;
    const next = structuredClone(current);
    mutate(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return structuredClone(current);
    this.revision++;
    next.metadata.resourceVersion = String(this.revision);
    this.pods.set(key(namespace, name), next);
    this.emit({ type: 'MODIFIED', object: next, previous: current, resourceVersion: this.revision });
    return structuredClone(next);
  }

  /** Removes the pod and emits DELETED carrying its last state with a new RV. */
  remove(namespace: string, name: string): Pod | undefined {
    const current = this.pods.get(key(namespace, name));
    if (!current) return undefined;
    this.pods.delete(key(namespace, name));
    this.revision++;
    const last = structuredClone(current);
    last.metadata.resourceVersion = String(this.revision);
    this.emit({ type: 'DELETED', object: last, previous: current, resourceVersion: this.revision });
    return structuredClone(last);
  }

  /** Events after `resourceVersion`, or expired when history no longer reaches back that far. */
  since(resourceVersion: number): Since {
    if (resourceVersion < this.compacted) return { expired: true, oldest: this.compacted };
    return { events: this.history.filter((event) => event.resourceVersion > resourceVersion) };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops all history (tests use it to force 410 Expired on resumed watches). */
  compactHistory(): void {
    this.history.length = 0;
    this.compacted = this.revision;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compacted = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
