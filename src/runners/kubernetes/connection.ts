/**
 * How to reach the API server and which namespace to use: Kestra's `config` / `connection`
 * values, else kubectl's rules (kubeconfig.ts) with its current context, the `context` property
 * or `--context`.
 */
import { createHash } from 'node:crypto';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { RunnerError } from '../../shared/errors.ts';
import { HOST_FILE_CONNECTION_KEYS, hostFileConnectionMessage } from '../../flow/file-names.ts';
import { inClusterKubeconfig, kubeconfigSource, loadKubeconfig, serviceAccountDir, serviceAccountNamespace } from './kubeconfig.ts';
import type { KubernetesConnection } from './schema.ts';

/**
 * Certificates and keys are the base64 of the PEM, as kubeconfig's `*-data` fields hold them.
 * A PEM pasted as is is accepted too; whitespace in base64 (folded YAML) is dropped.
 */
export function pemAsBase64(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('-----BEGIN')) return Buffer.from(`${trimmed}\n`).toString('base64');
  return trimmed.replace(/\s+/g, '');
}

export function kubeConfigFromConnection(connection: KubernetesConnection): KubeConfig {
  // Validation refuses these; a rendered expression must not bring them back.
  const hostFile = HOST_FILE_CONNECTION_KEYS.find((key) => connection[key] !== undefined);
  if (hostFile) throw new RunnerError(`Kubernetes connection: ${hostFileConnectionMessage(hostFile)}`);
  const kc = new KubeConfig();
  const cluster = {
    name: 'harrier',
    server: (connection.masterUrl ?? 'https://kubernetes.default.svc').replace(/\/+$/, ''),
    caData: pemAsBase64(connection.caCertData),
    skipTLSVerify: connection.trustCerts === true,
  };
  const user = {
    name: 'harrier',
    certData: pemAsBase64(connection.clientCertData),
    keyData: pemAsBase64(connection.clientKeyData),
    token: connection.oauthToken,
    username: connection.username,
    password: connection.password,
  };
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: 'harrier', cluster: 'harrier', user: 'harrier', namespace: connection.namespace }],
    currentContext: 'harrier',
  });
  return kc;
}

/** What the command line says about the cluster (`--kubeconfig`, `--context`), below a task's own properties. */
export interface ClusterSettings {
  kubeconfig?: string;
  context?: string;
}

export function clusterSettingsOf(settings: Record<string, string> | undefined): ClusterSettings {
  return { kubeconfig: settings?.kubeconfig || undefined, context: settings?.context || undefined };
}

/** Where pods go, how they are reached, and a line saying so at the start of each attempt. */
export interface ClusterTarget {
  kc: KubeConfig;
  namespace: string;
  summary: string;
}

export interface TargetRequest {
  /** Kestra's `config` / `connection`: when set, no kubeconfig is read. */
  connection?: KubernetesConnection;
  /** The task's `context` property, which wins over `--context`. */
  context?: string;
  /** The task's `namespace`, which wins over every default. */
  namespace?: string;
  settings?: ClusterSettings;
  env?: NodeJS.ProcessEnv;
}

/**
 * kubectl's rule for the namespace when the task sets none: the context's, else the mounted
 * service account's, else `default`. With a task `config`, Kestra's fixed `default` applies.
 */
export function clusterTarget(request: TargetRequest): ClusterTarget {
  if (request.connection && Object.keys(request.connection).length > 0) {
    const kc = kubeConfigFromConnection(request.connection);
    const namespace = request.namespace ?? 'default';
    return { kc, namespace, summary: `Kubernetes: the task's connection (server ${serverUrl(kc)}), namespace ${namespace}${request.namespace ? '' : ' (the default)'}` };
  }
  const env = request.env ?? process.env;
  const accountDir = serviceAccountDir(env);
  const source = kubeconfigSource(request.settings?.kubeconfig, env);
  const fromFiles = loadKubeconfig(source);
  const kc = fromFiles ?? inClusterKubeconfig(accountDir, env);
  if (!kc) {
    throw new RunnerError(`Kubernetes: no connection to a cluster is configured (no kubeconfig at ${source.files.join(delimiter)}, no service account at ${accountDir})`, {
      code: 'KUBE_CONFIG_MISSING',
      hint: 'set the runner\'s `config` (masterUrl, caCertData, oauthToken...), or --kubeconfig / KUBECONFIG / ~/.kube/config, or run inside a cluster',
    });
  }
  const context = request.context ?? request.settings?.context;
  const where = fromFiles ? `the kubeconfig ${source.files.join(delimiter)}` : `the service account at ${accountDir}`;
  if (context !== undefined) {
    if (!kc.getContexts().some((entry) => entry.name === context)) {
      const known = kc.getContexts().map((entry) => entry.name).join(', ') || 'none';
      throw new RunnerError(`Kubernetes: context '${context}' is not in ${where} (contexts: ${known})`, {
        code: 'KUBE_CONTEXT_UNKNOWN', hint: 'fix the runner\'s `context` property or --context, or the kubeconfig',
      });
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new RunnerError(`Kubernetes: ${where} has no current context`, {
      code: 'KUBE_CONTEXT_UNKNOWN', hint: 'set current-context in it, or pass --context (or the runner\'s `context` property)',
    });
  }
  const contextName = kc.getCurrentContext();
  const [namespace, from] = request.namespace ? [request.namespace, 'the task\'s'] : defaultNamespace(kc, contextName, accountDir);
  return { kc, namespace, summary: `Kubernetes: context ${contextName} of ${where} (server ${serverUrl(kc)}), namespace ${namespace} (${from})` };
}

function defaultNamespace(kc: KubeConfig, contextName: string, accountDir: string): [namespace: string, from: string] {
  const fromContext = kc.getContextObject(contextName)?.namespace;
  if (fromContext) return [fromContext, 'the context\'s'];
  const fromAccount = serviceAccountNamespace(accountDir);
  if (fromAccount) return [fromAccount, 'the service account\'s'];
  return ['default', 'the default'];
}

export function serverUrl(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '(no server)';
}

/** Identifies the cluster and the credentials: informers are shared per key and namespace. */
export function clusterKey(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return createHash('sha256').update(JSON.stringify([cluster, user])).digest('hex');
}
