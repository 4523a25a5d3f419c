/**
 * kube-sim: a Kubernetes API simulator for tests (TEST INFRASTRUCTURE, not product code).
 * `startKubeSim()` serves pods over HTTPS with the real wire protocol and runs their containers
 * in the local Docker engine. See README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { rfc3339 } from './clock.ts';
import type { Namespace, SimContext } from './context.ts';
import { EventStore } from './events.ts';
import { FaultRegistry } from './faults.ts';
import { createApiServer } from './http-server.ts';
import { Kubelet } from './kubelet/kubelet.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { deletePodNow } from './pods-api.ts';
import { Authorizer, rulesFromRoleYaml, type PolicyRule } from './rbac.ts';
import { Stats, type StatsSnapshot } from './stats.ts';
import { PodStore } from './store.ts';
import { createPki, issueClientCert, type Pki } from './tls.ts';
import type { Pod } from './types.ts';

export type { StatsSnapshot } from './stats.ts';
export type { Pod } from './types.ts';

export interface KubeSimOptions {
  /** Namespaces besides `default`, `kube-system`, `kube-public` and `kube-node-lease`. */
  namespaces?: string[];
  /** `verb resource` pairs forbidden from the start, e.g. `['create pods', 'get pods/log']`. */
  forbid?: string[];
  /** A Role/ClusterRole YAML text: only its rules allow requests (deploy/rbac.yaml). */
  roleYaml?: string;
  /** A bearer token accepted for `tokenUser` (one is generated when absent). */
  token?: string;
  tokenUser?: string;
  /** CN of the client certificate in the kubeconfig (default `harrier-test`), O is `system:masters`. */
  user?: string;
  /** Also write the kubeconfig here. */
  kubeconfigPath?: string;
  port?: number;
  /** Image of the pod sandbox (pause) containers; must hold `sleep`. */
  pauseImage?: string;
  /** Watch events kept for resuming from a resourceVersion; older ones answer 410 Expired. */
  historyLimit?: number;
  bookmarkIntervalMs?: number;
  /** Restart/image-pull back-off base in ms (real kubelets: 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  imageRecheckMs?: number;
}

export interface KubeSim {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** Kubeconfig YAML with CA, client certificate and key inline. */
  kubeconfig: string;
  /** The same cluster authenticated by bearer token instead of a certificate. */
  tokenKubeconfig: string;
  token: string;
  user: string;
  simId: string;
  pki: Pki;
  store: PodStore;
  stats(): StatsSnapshot;
  resetStats(): void;
  /** Forbids `verb` on `resource` (`pods`, `pods/log`, `pods/exec`; `*` for any) from now on. */
  forbid(verb: string, resource: string): void;
  allow(verb: string, resource: string): void;
  /** Only the rules of this Role YAML allow requests; undefined lifts it. */
  useRole(roleYaml: string | undefined): void;
  addNamespace(name: string): void;
  /** A kubeconfig for another user (CN) signed by the sim's CA, e.g. for RBAC tests. */
  kubeconfigFor(user: string, groups?: string[]): string;
  faults: {
    failNext(key: string, count?: number, mode?: 'error' | 'reset'): void;
    delay(key: string, ms: number, count?: number): void;
    clearRequestFaults(): void;
    cutLogStreams(target: { namespace: string; pod: string; container?: string; afterBytes?: number; times?: number; clean?: boolean }): number;
    cutWatches(): number;
    /** Drops the watch history: every resumed watch gets 410 Expired. */
    expireWatchHistory(): void;
    /** Node-pressure eviction: the pod fails with reason Evicted. */
    evict(namespace: string, name: string, message?: string): Promise<void>;
    /** Deletes a pod as another client would (not counted, not authorized). */
    deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Pod;
  };
  getPod(namespace: string, name: string): Pod | undefined;
  /** Waits until the pod matches, checking on every change. */
  waitForPod(namespace: string, name: string, predicate: (pod: Pod | undefined) => boolean, timeoutMs?: number): Promise<Pod | undefined>;
  /** Resolves once pending deletions and their Docker clean-up are done. */
  settled(): Promise<void>;
  /** Docker containers and volumes of this sim still present. */
  leftovers(): Promise<{ containers: string[]; volumes: string[] }>;
  stop(): Promise<void>;
}

const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const simId = randomBytes(4).toString('hex');
  const user = options.user ?? 'harrier-test';
  const pki = createPki({ user, groups: ['system:masters'] });
  const token = options.token ?? randomBytes(24).toString('base64url');
  const store = new PodStore({ historyLimit: options.historyLimit });
  const pauseImage = options.pauseImage ?? (await defaultPauseImage());
  const events = new EventStore(() => String(store.resourceVersion));
  const kubelet = new Kubelet({ store, events, simId, pauseImage, backoffMs: options.backoffMs, maxBackoffMs: options.maxBackoffMs, imageRecheckMs: options.imageRecheckMs });
  await kubelet.sweepOrphans();
  const authorizer = new Authorizer();
  for (const pair of options.forbid ?? []) {
    const [verb, resource] = pair.trim().split(/\s+/);
    authorizer.forbid(verb, resource);
  }
  if (options.roleYaml) authorizer.useRole(rulesFromRoleYaml(options.roleYaml));
  const namespaces = new Map<string, Namespace>();
  const addNamespace = (name: string) => {
    if (!namespaces.has(name)) namespaces.set(name, { name, uid: randomUUID(), resourceVersion: String(store.resourceVersion), creationTimestamp: rfc3339() });
  };
  for (const name of [...BUILTIN_NAMESPACES, ...(options.namespaces ?? [])]) addNamespace(name);

  let address = '127.0.0.1:0';
  const ctx: SimContext = {
    store, events, kubelet, authorizer, stats: new Stats(), faults: new FaultRegistry(), namespaces,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    serverAddress: () => address,
  };
  const tokenUser = options.tokenUser ?? user;
  const server = createApiServer(ctx, { pki, tokens: new Map([[token, tokenUser]]) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = renderKubeconfig({ server: url, caCert: pki.caCert, clientCert: pki.clientCert, clientKey: pki.clientKey });
  const tokenKubeconfig = renderKubeconfig({ server: url, caCert: pki.caCert, token });
  if (options.kubeconfigPath) writeFileSync(options.kubeconfigPath, kubeconfig, { mode: 0o600 });

  let stopping: Promise<void> | undefined;
  const sim: KubeSim = {
    url, kubeconfig, tokenKubeconfig, token, user, simId, pki, store,
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    forbid: (verb, resource) => authorizer.forbid(verb, resource),
    allow: (verb, resource) => authorizer.allow(verb, resource),
    useRole: (yaml) => authorizer.useRole(yaml === undefined ? undefined : rulesFromRoleYaml(yaml) as PolicyRule[]),
    addNamespace,
    kubeconfigFor: (name, groups = []) => {
      const issued = issueClientCert(pki, { user: name, groups });
      return renderKubeconfig({ server: url, caCert: pki.caCert, clientCert: issued.cert, clientKey: issued.key });
    },
    faults: {
      failNext: (key, count, mode) => ctx.faults.failNext(key, count, mode),
      delay: (key, ms, count) => ctx.faults.delay(key, ms, count),
      clearRequestFaults: () => ctx.faults.clearRequestFaults(),
      cutLogStreams: (target) => ctx.faults.cutLogStreams(target),
      cutWatches: () => ctx.faults.cutWatches(),
      expireWatchHistory: () => store.compactHistory(),
      evict: (namespace, name, message) => kubelet.evict(namespace, name, message ?? 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. '),
      deletePod: (namespace, name, grace) => deletePodNow(ctx, namespace, name, grace),
    },
    getPod: (namespace, name) => store.get(namespace, name),
    waitForPod: (namespace, name, predicate, timeoutMs = 30_000) => new Promise((resolve, reject) => {
      const check = () => {
        const pod = store.get(namespace, name);
        if (!predicate(pod)) return false;
        done();
        resolve(pod);
        return true;
      };
      const unsubscribe = store.subscribe(() => void check());
      const timer = setTimeout(() => {
        done();
        reject(new Error(`kube-sim: pod ${namespace}/${name} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(store.get(namespace, name)?.status)}`));
      }, timeoutMs);
      const done = () => {
        unsubscribe();
        clearTimeout(timer);
      };
      check();
    }),
    settled: () => kubelet.settled(),
    leftovers: () => kubelet.leftovers(),
    stop: () => {
      stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await kubelet.stop();
      })();
      return stopping;
    },
  };
  return sim;
}

async function defaultPauseImage(): Promise<string> {
  const { ensureBusyboxImage } = await import('../support/images.ts');
  return ensureBusyboxImage();
}
