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

/** Where pods go when the task names no namespace: shown on hover, and the rule connection.ts follows. */
export const NAMESPACE_DESCRIPTION = 'The Kubernetes namespace of the pod. Without it: with `config`/`connection`, `default` (Kestra\'s default); '
  + 'otherwise kubectl\'s rule: the kubeconfig context\'s namespace, else the in-cluster service account\'s, else `default`.';

export const CONNECTION_DESCRIPTION = 'How to reach the API server (masterUrl, caCertData, clientCertData, clientKeyData, oauthToken, ...). '
  + 'Without it: --kubeconfig, else KUBECONFIG, else ~/.kube/config, else the in-cluster service account.';

const pemData = (what: string): string => `${what}: the base64 of the PEM, as kubeconfig's *-data fields hold it (a PEM pasted as is works too).`;
const refusedFile = (what: string): string => `Refused: a flow does not read host files. Give ${what} instead, or use a kubeconfig.`;

/** Kestra's `Connection`: how to reach the API server. Without it, kubeconfig / in-cluster rules apply. */
export const kubernetesConnectionSchema = strictMap({
  masterUrl: string().optional().describe('The API server\'s URL. Example: https://kubernetes.example.com:6443. Default https://kubernetes.default.svc.'),
  apiVersion: string().optional().describe('Accepted for Kestra flows; the runner uses the v1 API.'),
  namespace: string().optional().describe('Accepted for Kestra flows; the task\'s own `namespace` property chooses the namespace.'),
  caCertData: string().optional().describe(pemData('The cluster\'s CA certificate')),
  caCertFile: string().optional().describe(refusedFile('caCertData')),
  clientCertData: string().optional().describe(pemData('The client certificate')),
  clientCertFile: string().optional().describe(refusedFile('clientCertData')),
  clientKeyData: string().optional().describe(pemData('The client key')),
  clientKeyFile: string().optional().describe(refusedFile('clientKeyData')),
  clientKeyAlgo: string().optional().describe('Accepted for Kestra flows; the key\'s algorithm is read from the key itself.'),
  clientKeyPassphrase: string().optional().describe('Accepted for Kestra flows; give an unencrypted key.'),
  oauthToken: string().optional().describe('A bearer token (a service account token). Example: "{{ secret(\'K8S_TOKEN\') }}".'),
  username: string().optional().describe('A user name for basic authentication.'),
  password: string().optional().describe('A password for basic authentication.'),
  trustCerts: boolean().optional().describe('Skip the check of the API server\'s certificate (only for tests).'),
  disableHostnameVerification: boolean().optional().describe('Accepted for Kestra flows; the certificate check follows trustCerts.'),
}, 'a map of Kubernetes connection settings (masterUrl, caCertData, ...)');
export type KubernetesConnection = z.output<typeof kubernetesConnectionSchema>;

/** Resource quantities by name (`cpu: 500m`, `memory: 128Mi`, `nvidia.com/gpu: 1`). */
const quantities = (what: string) => stringMap('a map of resource quantities like {cpu: 500m, memory: 128Mi}').describe(`${what}. Example: {cpu: 500m, memory: 128Mi}.`);

/** Kestra writes `request`/`limit`; Kubernetes writes `requests`/`limits`: both are accepted. */
const containerResourcesObject = strictMap({
  request: quantities('What the container is guaranteed (Kubernetes requests)').optional(),
  limit: quantities('The most the container may use (Kubernetes limits)').optional(),
  requests: quantities('Kubernetes\' spelling of request').optional(),
  limits: quantities('Kubernetes\' spelling of limit').optional(),
}, 'a map with request and limit');
const containerResources = containerResourcesObject.transform(({ request, limit, requests, limits }) => ({
  request: request ?? requests,
  limit: limit ?? limits,
}));

const fileSidecarObject = strictMap({
  image: string().default('busybox').describe('The image of the file containers; it needs sh, tar and sleep.'),
  resources: anyMap('a Kubernetes resources map').optional().describe('The file containers\' resources (requests, limits).'),
  defaultSpec: anyMap('a container spec map').optional().describe('Merged into the file containers instead of containerDefaultSpec.'),
}, 'a map with image, resources and defaultSpec');
/** The busybox-like helper containers that move files in and out of the pod. */
export const fileSidecarSchema = fileSidecarObject.prefault({});
export type FileSidecar = z.output<typeof fileSidecarSchema>;

export const kubernetesRunnerObject = strictMap({
  config: kubernetesConnectionSchema.optional().describe(CONNECTION_DESCRIPTION),
  context: string().optional().describe('The kubeconfig context to use when `config` is absent (wins over --context); the current context by default.'),
  namespace: string().optional().describe(NAMESPACE_DESCRIPTION),
  pullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'], 'any case, underscores ignored').default('Always')
    .describe('When the kubelet pulls the image: Always (Kestra\'s default), IfNotPresent, Never; Kestra\'s ALWAYS / IF_NOT_PRESENT / NEVER too.'),
  resources: containerResources.optional().describe('The main container\'s resources: {request: {cpu, memory}, limit: {cpu, memory}}.'),
  serviceAccountName: string().optional().describe('The service account the pod runs as.'),
  nodeSelector: stringMap().optional().describe('Node labels the pod must be scheduled on. Example: {disktype: ssd}.'),
  tolerations: z.array(anyMap('a toleration map'), { error: expected('a list of tolerations') }).optional()
    .describe('The pod\'s tolerations, as in a PodSpec. Example: [{key: gpu, operator: Exists}].'),
  labels: stringMap().optional().describe('Labels added to the pod (Harrier\'s own labels win).'),
  annotations: stringMap().optional().describe('Annotations added to the pod.'),
  delete: boolean().default(true).describe('Delete the pod when the task ends; false keeps it (a kill or timeout still deletes it).'),
  resume: boolean().default(true).describe('After a harrier crash, re-attach to the pod of the interrupted attempt; false deletes it and starts a new attempt.'),
  waitUntilRunning: duration().default('PT10M').describe('How long scheduling, image pull and start may take (an ISO-8601 duration).'),
  waitUntilCompletion: duration().default('PT1H').describe('The longest the pod may run once started (a task timeout wins); then it is deleted and the task fails.'),
  waitForLogs: duration().default('PT1S').describe('Kestra\'s wait for the last log lines; Harrier reads each log to its end.'),
  fileSidecar: fileSidecarSchema.describe('The helper containers that move input and output files (image, default busybox; resources; defaultSpec).'),
  containerDefaultSpec: anyMap('a container spec map').optional().describe('Merged into every container (securityContext, resources, volumeMounts, env).'),
  podSpec: anyMap('a pod spec map').optional().describe('A patch merged last into the generated pod spec, for everything the named properties do not cover.'),
  emptyDirSizeLimit: text().optional().describe('Size limit of the shared in-memory emptyDir volume (a Kubernetes quantity). Example: 1Gi.'),
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
