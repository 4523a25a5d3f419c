/**
 * Properties of each task runner, with Kestra's names and defaults. Runner code parses the rendered
 * `taskRunner` properties with these schemas: defaults applied, durations as `...Ms` fields.
 * At flow-parse time the same schemas check the unrendered properties (see validate-runner.ts).
 */
import { z } from 'zod';
import { parseIsoDuration } from '../shared/duration.ts';
import type { RunnerKind } from './model.ts';
import {
  anyMap, boolean, duration, either, expected, integer, isMap, isText, number, oneOf, string, stringList, stringMap, strictMap,
  text,
} from './schema-kit.ts';

function ms(isoDuration: string): number {
  return parseIsoDuration(isoDuration) as number;
}

/** `ALWAYS`, `always`, `Always` → `Always`; `IF_NOT_PRESENT`, `IfNotPresent` → `IfNotPresent`. */
function kubernetesPullPolicy(value: string): string {
  const squashed = value.replaceAll('_', '').toLowerCase();
  return ({ always: 'Always', ifnotpresent: 'IfNotPresent', never: 'Never' } as Record<string, string>)[squashed] ?? value;
}

/** `Always`, `IfNotPresent`, `if_not_present` → `ALWAYS`, `IF_NOT_PRESENT`. */
function dockerPullPolicy(value: string): string {
  const squashed = value.replaceAll('_', '').toLowerCase();
  return ({ always: 'ALWAYS', ifnotpresent: 'IF_NOT_PRESENT', never: 'NEVER' } as Record<string, string>)[squashed] ?? value;
}

// Kubernetes ------------------------------------------------------------------------------------

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
  namespace: string().default('default'),
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

// Docker ----------------------------------------------------------------------------------------

const dockerCredentials = strictMap({
  registry: string().optional(),
  username: string().optional(),
  password: string().optional(),
  auth: string().optional(),
  identityToken: string().optional(),
  registryToken: string().optional(),
}, 'a map of registry credentials');

const deviceRequest = strictMap({
  driver: string().optional(),
  count: integer().optional(),
  deviceIds: stringList().optional(),
  capabilities: z.array(stringList(), { error: expected('a list of lists of strings') }).optional(),
  options: stringMap().optional(),
}, 'a device request map');

export const dockerRunnerObject = strictMap({
  /** Docker Engine address; else DOCKER_HOST; else the local socket. */
  host: string().optional(),
  /** A docker config.json, as text or as a map. */
  config: either(
    'a docker config.json (text or a map)',
    { accepts: isText, schema: string() },
    { accepts: isMap, schema: anyMap() },
  ).optional(),
  credentials: dockerCredentials.optional(),
  user: string().optional(),
  entryPoint: stringList().default(['']),
  networkMode: string().optional(),
  extraHosts: stringList().optional(),
  portBindings: stringList().optional(),
  volumes: stringList().optional(),
  pullPolicy: oneOf(['ALWAYS', 'IF_NOT_PRESENT', 'NEVER'], dockerPullPolicy).default('ALWAYS'),
  cpu: strictMap({ cpus: number().optional() }, 'a map with cpus').optional(),
  memory: strictMap({
    memory: text().optional(),
    memorySwap: text().optional(),
    memorySwappiness: text().optional(),
    memoryReservation: text().optional(),
    kernelMemory: text().optional(),
    oomKillDisable: boolean().optional(),
  }, 'a map of memory settings').optional(),
  shmSize: text().optional(),
  privileged: boolean().default(false),
  deviceRequests: z.array(deviceRequest, { error: expected('a list of device requests') }).optional(),
  fileHandlingStrategy: oneOf(['VOLUME', 'MOUNT'], (value) => value.toUpperCase()).default('VOLUME'),
  delete: boolean().default(true),
  wait: boolean().default(true),
}, 'a map of Docker runner properties');

export const dockerRunnerPropertiesSchema = dockerRunnerObject;
export type DockerRunnerProperties = z.output<typeof dockerRunnerPropertiesSchema>;

// Process ---------------------------------------------------------------------------------------

export const processRunnerPropertiesSchema = strictMap({}, 'a map (the Process runner has no properties)');
export type ProcessRunnerProperties = z.output<typeof processRunnerPropertiesSchema>;

/** The untransformed object schemas, for the JSON Schema an editor uses. */
export const runnerPropertyObjects = {
  process: processRunnerPropertiesSchema,
  docker: dockerRunnerObject,
  kubernetes: kubernetesRunnerObject,
} satisfies Record<RunnerKind, z.ZodType>;

export const runnerPropertySchemas = {
  process: processRunnerPropertiesSchema,
  docker: dockerRunnerPropertiesSchema,
  kubernetes: kubernetesRunnerPropertiesSchema,
} satisfies Record<RunnerKind, z.ZodType>;
