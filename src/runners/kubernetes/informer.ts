/**
 * One shared pod informer per (cluster, credentials, namespace) in a registry (normally one per
 * process): a list, then a
 * watch from its resourceVersion (bookmarks on, server-side timeout), relisting after 410 Expired,
 * reconnecting with capped backoff after errors and after a stall. Every pod task the worker runs
 * subscribes to its pod by name: N tasks cost one watch, not N.
 */
import type { IncomingMessage } from 'node:http';
import type { V1Pod, V1PodList, V1Status } from '@kubernetes/client-node';
import { LineSplitter } from '../line-splitter.ts';
import { hasCode, type RunnerError } from '../../shared/errors.ts';
import type { KubeClient } from './client.ts';
import { clusterKey } from './connection.ts';
import { MANAGED_SELECTOR } from './layout.ts';
import { metadataOf } from './pod-state.ts';

/** `pod` is undefined once the pod was deleted; `last` is the last state seen. */
export type PodListener = (pod: V1Pod | undefined, last: V1Pod | undefined) => void;
export type FatalListener = (error: RunnerError) => void;

export interface InformerOptions {
  watchTimeoutSeconds: number;
  /** No byte (event or bookmark) for this long means the watch is dead: reconnect. */
  stallMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** How long an unused informer stays up for the next task. */
  lingerMs: number;
}

export const DEFAULT_INFORMER_OPTIONS: InformerOptions = {
  watchTimeoutSeconds: 240,
  stallMs: 300_000,
  initialBackoffMs: 250,
  maxBackoffMs: 10_000,
  lingerMs: 60_000,
};

type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: V1Pod }
  | { type: 'ERROR'; object: V1Status };

function isForbiddenOrUnauthorized(error: unknown): boolean {
  return hasCode(error, 'KUBE_FORBIDDEN', 'KUBE_UNAUTHORIZED');
}

export class PodInformer {
  readonly namespace: string;
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly pods = new Map<string, V1Pod>();
  private readonly listeners = new Map<string, Set<PodListener>>();
  private readonly fatalListeners = new Set<FatalListener>();
  private resourceVersion: string | undefined;
  private stopped = false;
  private held = true;
  private abort = new AbortController();
  private response: IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Counts list and watch requests, for the request-budget tests. */
  requests = 0;

  constructor(client: KubeClient, namespace: string, options: InformerOptions) {
    this.client = client;
    this.namespace = namespace;
    this.options = options;
  }

  /** Lists and opens the watch; rejects (e.g. Forbidden) when either fails the first time. */
  async start(): Promise<void> {
    await this.relist();
    const response = await this.openWatch();
    void this.loop(response);
  }

  get(name: string): V1Pod | undefined {
    return this.pods.get(name);
  }

  find(predicate: (pod: V1Pod) => boolean): V1Pod[] {
    return [...this.pods.values()].filter(predicate);
  }

  subscribe(name: string, listener: PodListener, onFatal?: FatalListener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    if (onFatal) this.fatalListeners.add(onFatal);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(name);
      if (onFatal) this.fatalListeners.delete(onFatal);
    };
  }

  /** Whether the process may exit while this informer is idle. */
  hold(held: boolean): void {
    this.held = held;
    this.applyHold();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    this.response?.destroy();
  }

  private applyHold(): void {
    const socket = this.response?.socket;
    if (socket) {
      if (this.held) socket.ref();
      else socket.unref();
    }
    if (this.timer) {
      if (this.held) this.timer.ref();
      else this.timer.unref();
    }
  }

  private basePath(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods?labelSelector=${encodeURIComponent(MANAGED_SELECTOR)}`;
  }

  private async relist(): Promise<void> {
    this.requests++;
    const response = await this.client.get(this.basePath(), { verb: 'list', resource: 'pods', namespace: this.namespace }, this.abort.signal);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as V1PodList;
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      const name = String(metadataOf(item).name);
      seen.add(name);
      this.store(name, item);
    }
    for (const name of [...this.pods.keys()]) if (!seen.has(name)) this.remove(name);
    this.resourceVersion = list.metadata?.resourceVersion;
  }

  /** Opens the watch; a server that does not answer within stallMs counts as a stall too. */
  private async openWatch(): Promise<IncomingMessage> {
    this.requests++;
    const path = `${this.basePath()}&watch=true&allowWatchBookmarks=true&timeoutSeconds=${this.options.watchTimeoutSeconds}`
      + (this.resourceVersion ? `&resourceVersion=${encodeURIComponent(this.resourceVersion)}` : '');
    // Only the wait for the answer is timed and linked to stop(): once it streams, stop() destroys
    // the response itself and consume() times the silences.
    const request = new AbortController();
    const stop = (): void => request.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', stop, { once: true });
    const unanswered = setTimeout(() => request.abort(new Error('watch stalled: the API server did not answer')), this.options.stallMs);
    try {
      return await this.client.get(path, { verb: 'watch', resource: 'pods', namespace: this.namespace }, request.signal);
    } finally {
      clearTimeout(unanswered);
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  private async loop(first: IncomingMessage): Promise<void> {
    let response: IncomingMessage | undefined = first;
    let backoff = this.options.initialBackoffMs;
    while (!this.stopped) {
      try {
        if (!response) {
          if (!this.resourceVersion) await this.relist();
          response = await this.openWatch();
        }
        await this.consume(response);
        backoff = this.options.initialBackoffMs;
      } catch (error) {
        if (this.stopped) return;
        if (isForbiddenOrUnauthorized(error)) for (const listener of this.fatalListeners) listener(error as RunnerError);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
      response = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        resolve();
      }, ms);
      this.applyHold();
    });
  }

  /** Reads watch events until the server ends the stream; throws on errors and stalls. */
  private consume(response: IncomingMessage): Promise<void> {
    if (this.stopped) {
      response.destroy();
      return Promise.resolve();
    }
    this.response = response;
    this.applyHold();
    return new Promise<void>((resolve, reject) => {
      const splitter = new LineSplitter();
      let stall: NodeJS.Timeout | undefined;
      let failed: Error | undefined;
      const armStall = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          failed = new Error('watch stalled');
          response.destroy(failed);
        }, this.options.stallMs);
        stall.unref();
      };
      armStall();
      const onLine = (line: string): void => {
        if (line.trim() === '' || failed) return;
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          failed = new Error('watch sent a line that is not JSON');
          response.destroy(failed);
          return;
        }
        const error = this.apply(event);
        if (error) {
          failed = error;
          response.destroy();
        }
      };
      response.on('data', (chunk: Buffer) => {
        armStall();
        splitter.push(chunk, onLine);
      });
      const finish = (error?: Error): void => {
        clearTimeout(stall);
        if (this.response === response) this.response = undefined;
        if (failed && !(failed instanceof ExpiredError)) reject(failed);
        else if (error && !failed) reject(error);
        else resolve();
      };
      response.on('end', () => {
        splitter.end(onLine);
        finish();
      });
      response.on('error', (error) => finish(error));
      response.on('close', () => finish(new Error('watch connection closed')));
    });
  }

  /** Applies one event; returns an error when the watch must be abandoned. */
  private apply(event: WatchEvent): Error | undefined {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.store(String(metadataOf(event.object).name), event.object);
        break;
      case 'DELETED':
        this.remove(String(metadataOf(event.object).name), event.object);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = event.object ?? {};
        this.resourceVersion = undefined;
        // 410 Expired: relist then watch again; the server closes the stream itself.
        return status.code === 410 ? new ExpiredError() : new Error(`watch error ${status.code}: ${status.message}`);
      }
      default:
        return undefined;
    }
    const rv = metadataOf(event.object).resourceVersion;
    if (rv) this.resourceVersion = rv;
    return undefined;
  }

  private store(name: string, pod: V1Pod): void {
    const previous = this.pods.get(name);
    if (previous && metadataOf(previous).resourceVersion === metadataOf(pod).resourceVersion) return;
    this.pods.set(name, pod);
    for (const listener of [...(this.listeners.get(name) ?? [])]) listener(pod, previous);
  }

  private remove(name: string, last?: V1Pod): void {
    const previous = this.pods.get(name);
    this.pods.delete(name);
    for (const listener of [...(this.listeners.get(name) ?? [])]) listener(undefined, last ?? previous);
  }
}

class ExpiredError extends Error {}

interface Entry {
  informer: PodInformer;
  started: Promise<void>;
  users: number;
  linger?: NodeJS.Timeout;
}

export interface InformerLease {
  informer: PodInformer;
  release(): void;
}

/**
 * The informers one worker shares between its tasks, one per (cluster, credentials, namespace).
 * A runner uses the process's registry unless it is given its own (tests, a multi-cluster worker).
 */
export class InformerRegistry {
  private readonly entries = new Map<string, Entry>();

  /** The shared informer for this cluster and namespace, started (listed and watching). */
  async acquire(client: KubeClient, namespace: string, options: InformerOptions = DEFAULT_INFORMER_OPTIONS): Promise<InformerLease> {
    const key = `${clusterKey(client.kc)}/${namespace}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const informer = new PodInformer(client, namespace, options);
      const created: Entry = { informer, started: informer.start(), users: 0 };
      entry = created;
      this.entries.set(key, created);
      created.started.catch(() => {
        informer.stop();
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
    }
    const current = entry;
    current.users++;
    clearTimeout(current.linger);
    current.informer.hold(true);
    try {
      await current.started;
    } catch (error) {
      current.users--;
      throw error;
    }
    let released = false;
    return {
      informer: current.informer,
      release: () => {
        if (released) return;
        released = true;
        current.users--;
        if (current.users > 0) return;
        current.informer.hold(false);
        current.linger = setTimeout(() => {
          if (current.users === 0 && this.entries.get(key) === current) {
            this.entries.delete(key);
            current.informer.stop();
          }
        }, options.lingerMs);
        current.linger.unref();
      },
    };
  }

  /** Stops every informer of this registry (tests, shutdown). */
  stopAll(): void {
    for (const entry of this.entries.values()) {
      clearTimeout(entry.linger);
      entry.informer.stop();
    }
    this.entries.clear();
  }
}

/** The registry of this process: what runners use when they are given none. */
export const processInformers = new InformerRegistry();

/** Stops every informer of the process's registry (tests, shutdown). */
export function stopAllInformers(): void {
  processInformers.stopAll();
}
