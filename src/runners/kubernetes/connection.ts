/**
 * How to reach the API server: Kestra's `config` / `connection` values, else kubeconfig
 * (`KUBECONFIG`, `~/.kube/config`, its current context or the `context` property), else the
 * in-cluster service account.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { RunnerError } from '../../shared/errors.ts';
import { HOST_FILE_CONNECTION_KEYS, hostFileConnectionMessage } from '../../flow/file-names.ts';
import type { KubernetesConnection } from './schema.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

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

export function kubeConfigFromEnvironment(taskContext: string | undefined): KubeConfig {
  // The task's `context` first, else the one harrier's settings name (`--context`, the config file).
  const context = taskContext ?? process.env.HARRIER_KUBE_CONTEXT;
  const kubeconfig = process.env.KUBECONFIG;
  const home = join(homedir(), '.kube', 'config');
  const found = (kubeconfig && kubeconfig.length > 0) || existsSync(home) || existsSync(SERVICE_ACCOUNT_TOKEN);
  if (!found) {
    throw new RunnerError('Kubernetes runner: no connection to a cluster is configured', {
      hint: 'set the runner\'s `config` (masterUrl, caCertData, oauthToken...), or KUBECONFIG / ~/.kube/config, or run inside a cluster',
    });
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new RunnerError(`Kubernetes runner: cannot read the kubeconfig (${kubeconfig || home}): ${(error as Error).message}`, { cause: error });
  }
  if (context !== undefined) {
    if (!kc.getContexts().some((entry) => entry.name === context)) {
      const known = kc.getContexts().map((entry) => entry.name).join(', ') || 'none';
      throw new RunnerError(`Kubernetes runner: context '${context}' is not in the kubeconfig (contexts: ${known})`, {
        hint: 'fix the runner\'s `context` property or the kubeconfig',
      });
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new RunnerError('Kubernetes runner: the kubeconfig has no current context', { hint: 'set current-context or the runner\'s `context` property' });
  }
  return kc;
}

export function kubeConfigFor(connection: KubernetesConnection | undefined, context?: string): KubeConfig {
  return connection && Object.keys(connection).length > 0 ? kubeConfigFromConnection(connection) : kubeConfigFromEnvironment(context);
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
