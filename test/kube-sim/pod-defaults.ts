/**
 * What the apiserver does to a pod between the POST and storage: validation (422 with field
 * causes), defaulting (pkg/apis/core/v1/defaults.go) and the ServiceAccount admission plugin.
 */
import { randomUUID } from 'node:crypto';
import { parseQuantity } from './quantity.ts';
import { rfc3339 } from './clock.ts';
import {
  duplicate, fieldNotFound, forbiddenField, invalidValue, required, unsupported,
  type FieldError,
} from './status-errors.ts';
import type { Container, Pod, PodSpec, ResourceList } from './types.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_HELP = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HELP = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** Volume sources the simulated kubelet can provide; anything else is refused at create. */
export const SUPPORTED_VOLUME_SOURCES = ['emptyDir', 'hostPath', 'projected', 'configMap', 'secret'];

export function randomSuffix(length = 5): string {
  let text = '';
  for (let i = 0; i < length; i++) text += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return text;
}

function validateResources(resources: Container['resources'], path: string, errors: FieldError[]): void {
  for (const kind of ['limits', 'requests'] as const) {
    const list: ResourceList | undefined = resources?.[kind];
    for (const [name, value] of Object.entries(list ?? {})) {
      if (parseQuantity(value) === undefined) errors.push(invalidValue(`${path}.resources.${kind}[${name}]`, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
    }
  }
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  for (const name of ['cpu', 'memory']) {
    const limit = parseQuantity(limits[name]);
    const request = parseQuantity(requests[name]);
    if (limit !== undefined && request !== undefined && request > limit) {
      errors.push(invalidValue(`${path}.resources.requests`, String(requests[name]), `must be less than or equal to ${name} limit of ${limits[name]}`));
    }
  }
}

function validateContainers(list: Container[] | undefined, path: string, volumeNames: Set<string>, seen: Set<string>, errors: FieldError[]): void {
  (list ?? []).forEach((container, index) => {
    const at = `${path}[${index}]`;
    if (!container.name) errors.push(required(`${at}.name`));
    else if (!DNS1123_LABEL.test(container.name)) errors.push(invalidValue(`${at}.name`, container.name, LABEL_HELP));
    else if (seen.has(container.name)) errors.push(duplicate(`${at}.name`, container.name));
    else seen.add(container.name);
    if (!container.image || String(container.image).trim() === '') errors.push(required(`${at}.image`));
    if (container.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(container.imagePullPolicy)) {
      errors.push(unsupported(`${at}.imagePullPolicy`, container.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    }
    (container.volumeMounts ?? []).forEach((mount, m) => {
      if (!mount.name) errors.push(required(`${at}.volumeMounts[${m}].name`));
      else if (!volumeNames.has(mount.name)) errors.push(fieldNotFound(`${at}.volumeMounts[${m}].name`, mount.name));
      if (!mount.mountPath) errors.push(required(`${at}.volumeMounts[${m}].mountPath`));
    });
    (container.env ?? []).forEach((env, e) => {
      if (!env.name) errors.push(required(`${at}.env[${e}].name`));
    });
    validateResources(container.resources, at, errors);
  });
}

/** Field errors of a pod as the apiserver reports them; empty when the pod is valid. */
export function validatePod(pod: Pod): FieldError[] {
  const errors: FieldError[] = [];
  const meta = pod.metadata ?? {};
  if (!meta.name && !meta.generateName) errors.push(required('metadata.name', 'name or generateName is required'));
  else if (meta.name && (!DNS1123_SUBDOMAIN.test(meta.name) || meta.name.length > 253)) errors.push(invalidValue('metadata.name', meta.name, SUBDOMAIN_HELP));
  const spec = pod.spec as PodSpec | undefined;
  const volumeNames = new Set<string>();
  (spec?.volumes ?? []).forEach((volume, index) => {
    if (!volume.name) errors.push(required(`spec.volumes[${index}].name`));
    else if (volumeNames.has(volume.name)) errors.push(duplicate(`spec.volumes[${index}].name`, volume.name));
    else volumeNames.add(volume.name);
    const sources = Object.keys(volume).filter((key) => key !== 'name');
    if (sources.length === 0) errors.push(required(`spec.volumes[${index}]`, 'must specify a volume type'));
    for (const source of sources) {
      if (!SUPPORTED_VOLUME_SOURCES.includes(source)) errors.push(forbiddenField(`spec.volumes[${index}].${source}`, `kube-sim supports only ${SUPPORTED_VOLUME_SOURCES.join(', ')} volumes`));
    }
    if (volume.emptyDir?.sizeLimit !== undefined && parseQuantity(volume.emptyDir.sizeLimit) === undefined) {
      errors.push(invalidValue(`spec.volumes[${index}].emptyDir.sizeLimit`, volume.emptyDir.sizeLimit, 'must be a quantity'));
    }
  });
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) errors.push(required('spec.containers'));
  const seen = new Set<string>();
  validateContainers(spec?.initContainers, 'spec.initContainers', volumeNames, seen, errors);
  validateContainers(spec?.containers, 'spec.containers', volumeNames, seen, errors);
  if (spec?.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errors.push(unsupported('spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  (spec?.initContainers ?? []).forEach((container, index) => {
    if (container.restartPolicy !== undefined && container.restartPolicy !== 'Always') {
      errors.push(unsupported(`spec.initContainers[${index}].restartPolicy`, container.restartPolicy, ['Always']));
    }
  });
  if (spec?.activeDeadlineSeconds !== undefined && !(Number.isInteger(spec.activeDeadlineSeconds) && spec.activeDeadlineSeconds > 0)) {
    errors.push(invalidValue('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  return errors;
}

function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const lastPart = image.split('/').pop() ?? image;
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Container, tokenMount: { name: string } | undefined): Container {
  const limits = container.resources?.limits;
  const requests = { ...(container.resources?.requests ?? {}) };
  for (const [name, value] of Object.entries(limits ?? {})) if (requests[name] === undefined) requests[name] = value;
  const resources: Container['resources'] = {};
  if (limits && Object.keys(limits).length) resources.limits = limits;
  if (Object.keys(requests).length) resources.requests = requests;
  const volumeMounts = [...(container.volumeMounts ?? [])];
  if (tokenMount) volumeMounts.push({ name: tokenMount.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
  const defaulted: Container = { ...container, resources };
  if (volumeMounts.length) defaulted.volumeMounts = volumeMounts;
  defaulted.terminationMessagePath ??= '/dev/termination-log';
  defaulted.terminationMessagePolicy ??= 'File';
  defaulted.imagePullPolicy ??= defaultPullPolicy(String(container.image));
  if (Array.isArray(container.ports)) defaulted.ports = (container.ports as Array<Record<string, unknown>>).map((port) => ({ protocol: 'TCP', ...port }));
  return defaulted;
}

export interface StoredIdentity {
  name: string;
  namespace: string;
  resourceVersion: string;
}

/** Fills the pod as the apiserver stores it: metadata, spec defaults, admission, initial status. */
export function defaultPod(input: Pod, identity: StoredIdentity, now = new Date()): Pod {
  const spec = input.spec;
  const serviceAccountName = spec.serviceAccountName ?? (spec as { serviceAccount?: string }).serviceAccount ?? 'default';
  const tokenVolume = spec.automountServiceAccountToken === false ? undefined : { name: `kube-api-access-${randomSuffix()}` };
  const volumes = [...(spec.volumes ?? [])].map((volume) => (volume.emptyDir ? { ...volume, emptyDir: { ...volume.emptyDir } } : volume));
  if (tokenVolume) {
    volumes.push({
      name: tokenVolume.name,
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
        defaultMode: 420,
      },
    });
  }
  const defaultedSpec: PodSpec = {
    ...spec,
    ...(volumes.length ? { volumes } : {}),
    initContainers: spec.initContainers?.map((c) => defaultContainer(c, tokenVolume)),
    containers: spec.containers.map((c) => defaultContainer(c, tokenVolume)),
    restartPolicy: spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
    dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
    serviceAccountName,
    serviceAccount: serviceAccountName,
    securityContext: spec.securityContext ?? {},
    schedulerName: spec.schedulerName ?? 'default-scheduler',
    tolerations: [
      ...((spec.tolerations as unknown[]) ?? []),
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: spec.priority ?? 0,
    enableServiceLinks: spec.enableServiceLinks ?? true,
    preemptionPolicy: spec.preemptionPolicy ?? 'PreemptLowerPriority',
  };
  if (!defaultedSpec.initContainers) delete defaultedSpec.initContainers;
  const metadata = {
    ...input.metadata,
    name: identity.name,
    namespace: identity.namespace,
    uid: randomUUID(),
    resourceVersion: identity.resourceVersion,
    creationTimestamp: rfc3339(now),
  };
  const pod: Pod = { kind: 'Pod', apiVersion: 'v1', metadata, spec: defaultedSpec, status: { phase: 'Pending', qosClass: qosClass(defaultedSpec) } };
  return pod;
}

/** pkg/apis/core/helper/qos GetPodQOS over the defaulted spec (requests already copied from limits). */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let anySet = false;
  let guaranteed = true;
  for (const container of all) {
    const limits = container.resources?.limits ?? {};
    const requests = container.resources?.requests ?? {};
    for (const name of ['cpu', 'memory']) {
      const limit = parseQuantity(limits[name]);
      const request = parseQuantity(requests[name] ?? limits[name]);
      if (limit !== undefined || (request !== undefined && request !== 0)) anySet = true;
      if (limit === undefined || request === undefined || limit !== request) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
