/** The kubeconfig a client needs, in the shape `kubectl config view --minify --flatten` prints. */
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCert: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
  namespace?: string;
  name?: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'kube-sim';
  const user: Record<string, string> = {};
  if (input.clientCert) user['client-certificate-data'] = b64(input.clientCert);
  if (input.clientKey) user['client-key-data'] = b64(input.clientKey);
  if (input.token) user.token = input.token;
  const context: Record<string, string> = { cluster: name, user: name };
  if (input.namespace) context.namespace = input.namespace;
  return stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(input.caCert), server: input.server }, name }],
    contexts: [{ context, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user }],
  }, { lineWidth: 0 });
}
