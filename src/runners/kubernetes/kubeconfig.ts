/**
 * kubectl's rules for finding a cluster without a task `config`: `--kubeconfig` alone, else every
 * file of the `KUBECONFIG` list (missing ones skipped), else `~/.kube/config`, else the in-cluster
 * service account. The client library's `loadFromDefault` differs from kubectl in three ways that
 * users notice: a missing file in the list is fatal, a later file's current-context replaces an
 * earlier one's, and a name defined in two files is an error. So the files are merged here, as
 * kubectl merges them: the first file to set current-context wins, the first entry of a name wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { RunnerError } from '../../shared/errors.ts';

/** Where a pod's service account is mounted; HARRIER_SERVICE_ACCOUNT_DIR moves it (tests do). */
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_DIR_ENV = 'HARRIER_SERVICE_ACCOUNT_DIR';

export function serviceAccountDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[SERVICE_ACCOUNT_DIR_ENV] || DEFAULT_SERVICE_ACCOUNT_DIR;
}

/** Where the files come from, for messages. */
export interface KubeconfigSource {
  files: string[];
  /** `--kubeconfig` (one file, which must exist) rather than a list whose missing files are skipped. */
  explicit: boolean;
}

export function kubeconfigSource(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeconfigSource {
  if (explicit) return { files: [explicit], explicit: true };
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  if (list.length > 0) return { files: list, explicit: false };
  return { files: [join(homedir(), '.kube', 'config')], explicit: false };
}

function readOne(file: string): KubeConfig | undefined {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunnerError(`Kubernetes: cannot read the kubeconfig ${file}: ${(error as Error).message}`, {
      code: 'KUBE_CONFIG_UNREADABLE', hint: 'fix the file, or point --kubeconfig / KUBECONFIG at another one', cause: error,
    });
  }
  return kc;
}

function firstOfEachName<T extends { name: string }>(lists: T[][]): T[] {
  const byName = new Map<string, T>();
  for (const entry of lists.flat()) if (!byName.has(entry.name)) byName.set(entry.name, entry);
  return [...byName.values()];
}

/** The merged kubeconfig, or undefined when none of its files exists (an explicit one must). */
export function loadKubeconfig(source: KubeconfigSource): KubeConfig | undefined {
  const loaded: KubeConfig[] = [];
  for (const file of source.files) {
    const kc = readOne(file);
    if (kc) loaded.push(kc);
    else if (source.explicit) {
      throw new RunnerError(`Kubernetes: the kubeconfig ${file} does not exist`, { code: 'KUBE_CONFIG_UNREADABLE', hint: 'check the --kubeconfig path' });
    }
  }
  if (loaded.length === 0) return undefined;
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstOfEachName<Cluster>(loaded.map((kc) => kc.clusters)),
    users: firstOfEachName<User>(loaded.map((kc) => kc.users)),
    contexts: firstOfEachName<Context>(loaded.map((kc) => kc.contexts)),
    currentContext: loaded.map((kc) => kc.currentContext).find((name) => name !== undefined && name !== '') ?? '',
  });
  return merged;
}

/** The pod's own service account, as the client library's loadFromCluster builds it, but from `dir`. */
export function inClusterKubeconfig(dir: string, env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) return undefined;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new RunnerError(`Kubernetes: ${tokenFile} exists but KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set`, {
      code: 'KUBE_CONFIG_MISSING', hint: 'set them to the API server\'s address, or use a kubeconfig',
    });
  }
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    // The namespace is the service account's (connection.ts reads it), as for a kubeconfig context without one.
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster' }],
    currentContext: 'in-cluster',
  });
  return kc;
}

/** The namespace of the service account mounted at `dir`, if one is. */
export function serviceAccountNamespace(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
