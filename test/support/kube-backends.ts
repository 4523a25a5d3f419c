/**
 * The Kubernetes backends every Kubernetes test body runs against (TEST INFRASTRUCTURE): the
 * simulator (test/kube-sim), started per test file, and the real cluster (test/real-cluster),
 * started once per `npm test` by scripts/test.ts and shared by every file through
 * HARRIER_TEST_REAL_CLUSTER (a JSON file naming its admin kubeconfig and audit log).
 *
 * On the real cluster each backend object is a service account of its own, bound to cluster-admin,
 * so that request counts read from the audit log are this test file's alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../kube-sim/index.ts';
import { renderKubeconfig } from '../kube-sim/kubeconfig.ts';
import { apiCaller, type ApiCall } from './kube-api.ts';
import { issueClientCert } from '../kube-sim/tls.ts';
import { NODE_NAME } from '../real-cluster/cluster.ts';
import type { Pod } from '../kube-sim/types.ts';
import { dockerStatus } from './docker.ts';

export type BackendName = 'simulator' | 'real cluster';

export interface KubeBackend {
  readonly name: BackendName;
  /** The node pods are scheduled to. */
  readonly nodeName: string;
  /** The simulator itself, for checks only it can make. */
  readonly sim?: KubeSim;
  /** A kubeconfig with cluster-wide rights for the runner under test. */
  readonly kubeconfig: string;
  /** The same rights, authenticated by a bearer token. */
  readonly tokenKubeconfig: string;
  /** Requests made by this backend's credentials since the last reset, keyed `verb resource[/sub]`. */
  requestCounts(): Promise<Record<string, number>>;
  resetCounts(): Promise<void>;
  listPods(namespace: string): Promise<Pod[]>;
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  waitForPod(namespace: string, name: string, predicate: (pod: Pod | undefined) => boolean, timeoutMs?: number): Promise<Pod | undefined>;
  /** Someone else deletes the pod (kubectl delete pod), with the given grace period. */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void>;
  /** Resolves once no pod of `namespace` is terminating any more. */
  settled(namespace: string): Promise<void>;
  addNamespace(name: string): Promise<void>;
  /**
   * Runs `use` with a kubeconfig whose only rights are `roleYaml`'s rules in `namespace`: on the
   * simulator through its authoriser (for as long as `use` runs), on the real cluster as a
   * ServiceAccount with that Role and a RoleBinding, authenticated by its token.
   */
  withRole<T>(namespace: string, roleYaml: string, use: (kubeconfig: string) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

interface RealClusterHandle {
  kubeconfigPath: string;
  auditLogPath: string;
  /** The cluster CA, to issue this file's own client certificate. */
  caCertPath: string;
  caKeyPath: string;
}

export const REAL_CLUSTER_ENV = 'HARRIER_TEST_REAL_CLUSTER';

/** Why the real cluster is not available to this test process, or undefined when it is. */
export function realClusterMissing(): string | undefined {
  if (!process.env[REAL_CLUSTER_ENV]) {
    return process.env.HARRIER_TEST_REAL_CLUSTER_SKIPPED ?? 'no real cluster was started (run the tests with `npm test`, which starts one when its binaries can be built)';
  }
  return undefined;
}

/** The backends this process can test against; a missing real cluster fails under CI=true. */
export function availableBackends(): BackendName[] {
  const names: BackendName[] = [];
  const docker = dockerStatus();
  if (!docker.ok) {
    // Both backends run their pods in the local Docker engine.
    if (process.env.CI === 'true') throw new Error(`CI=true and ${docker.reason}`);
    console.log(`# SKIPPED (Kubernetes backends): ${docker.reason}`);
    return names;
  }
  names.push('simulator');
  const missing = realClusterMissing();
  if (!missing) names.push('real cluster');
  else if (process.env.CI === 'true') throw new Error(`CI=true and the real Kubernetes cluster is missing: ${missing}`);
  else console.log(`# SKIPPED (real Kubernetes cluster): ${missing}`);
  return names;
}

interface RoleDoc {
  kind: string;
  metadata: { name: string };
  rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

function roleOf(roleYaml: string): RoleDoc {
  const role = parseAllDocuments(roleYaml).map((doc) => doc.toJSON() as RoleDoc | null).find((doc) => doc?.kind === 'Role');
  if (!role) throw new Error('no Role in the YAML');
  return role;
}

/** The Role of `roleYaml` without one `verb resource` (e.g. `create pods/exec`), as YAML. */
export function roleWithout(roleYaml: string, verbAndResource: string): string {
  const [verb, resource] = verbAndResource.split(' ');
  const role = roleOf(roleYaml);
  const rules = role.rules
    .map((rule) => (rule.resources.includes(resource) ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) } : rule))
    .filter((rule) => rule.verbs.length > 0);
  return stringify({ ...role, rules });
}

/** Every `verb resource` pair that the Role of `roleYaml` grants. */
export function rolePairs(roleYaml: string): string[] {
  return roleOf(roleYaml).rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`)));
}

export async function startBackend(name: BackendName, simOptions: KubeSimOptions = {}): Promise<KubeBackend> {
  if (name === 'simulator') return simBackend(await startKubeSim(simOptions));
  const backend = await realBackend();
  for (const namespace of simOptions.namespaces ?? []) await backend.addNamespace(namespace);
  return backend;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function simBackend(sim: KubeSim): KubeBackend {
  return {
    name: 'simulator',
    nodeName: 'sim-node',
    sim,
    kubeconfig: sim.kubeconfig,
    tokenKubeconfig: sim.tokenKubeconfig,
    requestCounts: async () => ({ ...sim.stats().requests }),
    resetCounts: async () => sim.resetStats(),
    listPods: async (namespace) => sim.store.list(namespace),
    getPod: async (namespace, name) => sim.getPod(namespace, name),
    waitForPod: (namespace, name, predicate, timeoutMs) => sim.waitForPod(namespace, name, predicate, timeoutMs),
    deletePod: async (namespace, name, grace) => {
      sim.faults.deletePod(namespace, name, grace);
    },
    settled: () => sim.settled(),
    addNamespace: async (namespace) => sim.addNamespace(namespace),
    withRole: async (_namespace, roleYaml, use) => {
      sim.useRole(roleYaml);
      try {
        return await use(sim.tokenKubeconfig);
      } finally {
        sim.useRole(undefined);
      }
    },
    stop: () => sim.stop(),
  };
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data'?: string; 'client-key-data'?: string; token?: string } }[];
}

interface ApiClient {
  server: string;
  caCert: string;
  call: ApiCall;
}

function apiClient(kubeconfig: string): ApiClient {
  const doc = parse(kubeconfig) as Kubeconfig;
  const server = doc.clusters[0].cluster.server;
  const caCert = Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const user = doc.users[0].user;
  const decode = (value: string | undefined) => (value ? Buffer.from(value, 'base64').toString() : undefined);
  return {
    server,
    caCert,
    call: apiCaller({ server, caCert, clientCert: decode(user['client-certificate-data']), clientKey: decode(user['client-key-data']), token: user.token }),
  };
}

function tokenKubeconfig(client: ApiClient, token: string, namespace?: string): string {
  return renderKubeconfig({ server: client.server, caCert: client.caCert, token, namespace, name: 'harrier-real' });
}

async function expectOk(response: Promise<{ status: number; body: string }>, what: string, allowConflict = false): Promise<string> {
  const { status, body } = await response;
  if (status >= 200 && status < 300) return body;
  if (allowConflict && status === 409) return body;
  throw new Error(`real cluster: ${what} answered ${status}: ${body.slice(0, 300)}`);
}

/** A service account, bound by `binding` to a role, and a one-hour token for it. */
async function serviceAccountToken(admin: ApiClient, namespace: string, name: string): Promise<string> {
  await expectOk(admin.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } }), `create serviceaccount ${name}`, true);
  const body = await expectOk(admin.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  }), `token for ${name}`);
  return (JSON.parse(body) as { status: { token: string } }).status.token;
}

interface AuditEvent {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
}

async function realBackend(): Promise<KubeBackend> {
  const handle = JSON.parse(readFileSync(process.env[REAL_CLUSTER_ENV]!, 'utf8')) as RealClusterHandle;
  const admin = apiClient(readFileSync(handle.kubeconfigPath, 'utf8'));
  const accountName = `harrier-test-${randomBytes(4).toString('hex')}`;
  const usernames = new Set([accountName, `system:serviceaccount:kube-system:${accountName}`]);
  const token = await serviceAccountToken(admin, 'kube-system', accountName);
  // The same name is a client certificate's user too: the seeds authenticate with certificates.
  await expectOk(admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: accountName },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [
      { kind: 'ServiceAccount', name: accountName, namespace: 'kube-system' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: accountName },
    ],
  }), 'create clusterrolebinding');
  const issued = issueClientCert(
    { caCert: readFileSync(handle.caCertPath, 'utf8'), caKey: readFileSync(handle.caKeyPath, 'utf8'), serverCert: '', serverKey: '', clientCert: '', clientKey: '' },
    { user: accountName, groups: [] },
  );
  const certKubeconfig = renderKubeconfig({ server: admin.server, caCert: admin.caCert, clientCert: issued.cert, clientKey: issued.key, name: 'harrier-real' });
  const created: string[] = [];
  let countedFrom = 0;

  const auditEvents = (): AuditEvent[] => {
    const text = readFileSync(handle.auditLogPath, 'utf8');
    return text.slice(countedFrom).split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEvent);
  };
  const getPod = async (namespace: string, name: string): Promise<Pod | undefined> => {
    const { status, body } = await admin.call('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
    if (status === 404) return undefined;
    if (status !== 200) throw new Error(`real cluster: get pod ${namespace}/${name} answered ${status}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as Pod;
  };
  const listPods = async (namespace: string): Promise<Pod[]> =>
    (JSON.parse(await expectOk(admin.call('GET', `/api/v1/namespaces/${namespace}/pods`), `list pods in ${namespace}`)) as { items: Pod[] }).items;

  return {
    name: 'real cluster',
    nodeName: NODE_NAME,
    kubeconfig: certKubeconfig,
    tokenKubeconfig: tokenKubeconfig(admin, token),
    requestCounts: async () => {
      const seen = new Set<string>();
      const counts: Record<string, number> = {};
      for (const event of auditEvents()) {
        if (!usernames.has(event.user.username) || seen.has(event.auditID) || !event.objectRef?.resource) continue;
        seen.add(event.auditID);
        const key = `${event.verb} ${event.objectRef.resource}${event.objectRef.subresource ? `/${event.objectRef.subresource}` : ''}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    resetCounts: async () => {
      countedFrom = readFileSync(handle.auditLogPath, 'utf8').length;
    },
    listPods,
    getPod,
    waitForPod: async (namespace, name, predicate, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pod = await getPod(namespace, name);
        if (predicate(pod)) return pod;
        if (Date.now() > deadline) throw new Error(`real cluster: pod ${namespace}/${name} did not reach the expected state in ${timeoutMs} ms`);
        await sleep(200);
      }
    },
    deletePod: async (namespace, name, grace) => {
      const query = grace === undefined ? '' : `?gracePeriodSeconds=${grace}`;
      await expectOk(admin.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}${query}`), `delete pod ${namespace}/${name}`);
    },
    settled: async (namespace) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (!(await listPods(namespace)).some((pod) => pod.metadata.deletionTimestamp)) return;
        await sleep(250);
      }
      throw new Error(`real cluster: pods of ${namespace} were still terminating after 60 s`);
    },
    addNamespace: async (namespace) => {
      await expectOk(admin.call('POST', '/api/v1/namespaces', { metadata: { name: namespace } }), `create namespace ${namespace}`, true);
      const deadline = Date.now() + 30_000;
      while ((await admin.call('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status !== 200) {
        if (Date.now() > deadline) throw new Error(`real cluster: namespace ${namespace} got no default service account in 30 s`);
        await sleep(200);
      }
    },
    withRole: async (namespace, roleYaml, use) => {
      const role = roleOf(roleYaml);
      const name = `${accountName}-${randomBytes(3).toString('hex')}`;
      await expectOk(admin.call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
        metadata: { name }, rules: role.rules,
      }), `create role ${name}`);
      await expectOk(admin.call('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      }), `create rolebinding ${name}`);
      created.push(`${namespace}/${name}`);
      return await use(tokenKubeconfig(admin, await serviceAccountToken(admin, namespace, name), namespace));
    },
    stop: async () => {
      await admin.call('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${accountName}`);
      await admin.call('DELETE', `/api/v1/namespaces/kube-system/serviceaccounts/${accountName}`);
      for (const entry of created) {
        const [namespace, name] = entry.split('/');
        await admin.call('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${name}`);
        await admin.call('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${name}`);
        await admin.call('DELETE', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`);
      }
    },
  };
}

/** The backend's kubeconfig written to a file of its own, for a harrier process's KUBECONFIG. */
export function kubeconfigFile(backend: Pick<KubeBackend, 'kubeconfig'>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'harrier-kubeconfig-')), 'config');
  writeFileSync(path, backend.kubeconfig);
  return path;
}
