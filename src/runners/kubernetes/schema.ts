/**
 * The Kubernetes runner's `taskRunner` properties, and the connection and file-sidecar maps that
 * PodCreate shares, with Kestra's names and defaults. The runner parses the rendered properties
 * with these schemas (defaults applied, durations as `...Ms` fields); at flow-parse time the same
 * schemas check the unrendered ones. Only zod here: the client library loads with the runner.
 */
import { z } from 'zod';
import { parseIsoDuration } from '../../shared/duration.ts';
import { anyMap, boolean, duration, expected, oneOf, string, stringMap, strictMap, text } from '../../flow/schema-kit.ts';

function ms(isoDuration: string): number {
  return parseIsoDuration(isoDuration) as number;
}

/** `ALWAYS`, `always`, `Always` → `Always`; `IF_NOT_PRESENT`, `IfNotPresent` → `IfNotPresent`. */
function kubernetesPullPolicy(value: string): string {
  const squashed = value.replaceAll('_', '').toLowerCase();
  return ({ always: 'Always', ifnotpresent: 'IfNotPresent', never: 'Never' } as Record<string, string>)[squashed] ?? value;
}

/** Kestra's `Connection`: how to reach the API server. Without it, kubeconfig / in-cluster rules apply. */
export const kubernetesConnectionSchema = strictMap({
  masterUrl: string().optional(),
  apiVersion: string().optional(),
  namespace: string().optional(),
  caCertData: string().optional(),
  caCertFile: string().optional(),
  clientCertData: string().optional(),
  clientCertFile: string().optional(),
  clientKeyData: string().optional(),
  clientKeyFile: string().optional(),
  clientKeyAlgo: string().optional(),
  clientKeyPassphrase: string().optional(),
  oauthToken: string().optional(),
  username: string().optional(),
  password: string().optional(),
  trustCerts: boolean().optional(),
  disableHostnameVerification: boolean().optional(),
}, 'a map of Kubernetes connection settings (masterUrl, caCertData, ...)');
export type KubernetesConnection = z.output<typeof kubernetesConnectionSchema>;

/** Resource quantities by name (`cpu: 500m`, `memory: 128Mi`, `nvidia.com/gpu: 1`). */
const quantities = stringMap('a map of resource quantities like {cpu: 500m, memory: 128Mi}');

/** Kestra writes `request`/`limit`; Kubernetes writes `requests`/`limits`: both are accepted. */
const containerResourcesObject = strictMap({
  request: quantities.optional(),
  limit: quantities.optional(),
  requests: quantities.optional(),
  limits: quantities.optional(),
}, 'a map with request and limit');
const containerResources = containerResourcesObject.transform(({ request, limit, requests, limits }) => ({
  request: request ?? requests,
  limit: limit ?? limits,
}));

const fileSidecarObject = strictMap({
  image: string().default('busybox'),
  resources: anyMap('a Kubernetes resources map').optional(),
  defaultSpec: anyMap('a container spec map').optional(),
}, 'a map with image, resources and defaultSpec');
/** The busybox-like helper containers that move files in and out of the pod. */
export const fileSidecarSchema = fileSidecarObject.prefault({});
export type FileSidecar = z.output<typeof fileSidecarSchema>;

export const kubernetesRunnerObject = strictMap({
  config: kubernetesConnectionSchema.optional(),
  /** A kubeconfig context, used when `config` is absent. */
  context: string().optional(),
  namespace: string().optional(),
  pullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'], kubernetesPullPolicy).default('Always'),
  resources: containerResources.optional(),
  serviceAccountName: string().optional(),
  nodeSelector: stringMap().optional(),
  tolerations: z.array(anyMap('a toleration map'), { error: expected('a list of tolerations') }).optional(),
  labels: stringMap().optional(),
  annotations: stringMap().optional(),
  delete: boolean().default(true),
  resume: boolean().default(true),
  waitUntilRunning: duration().default('PT10M'),
  waitUntilCompletion: duration().default('PT1H'),
  waitForLogs: duration().default('PT1S'),
  fileSidecar: fileSidecarSchema,
  containerDefaultSpec: anyMap('a container spec map').optional(),
  /** Merged into the generated pod spec, for everything the named properties do not cover. */
  podSpec: anyMap('a pod spec map').optional(),
  /** Size limit of the shared in-memory emptyDir volume (a Kubernetes quantity like 1Gi). */
  emptyDirSizeLimit: text().optional(),
}, 'a map of Kubernetes runner properties');

export const kubernetesRunnerPropertiesSchema = kubernetesRunnerObject.transform(
  ({ waitUntilRunning, waitUntilCompletion, waitForLogs, ...rest }) => ({
    ...rest,
    waitUntilRunningMs: ms(waitUntilRunning),
    waitUntilCompletionMs: ms(waitUntilCompletion),
    waitForLogsMs: ms(waitForLogs),
  }),
);
export type KubernetesRunnerProperties = z.output<typeof kubernetesRunnerPropertiesSchema>;
