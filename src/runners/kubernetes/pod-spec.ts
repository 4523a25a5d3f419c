/**
 * Builds the pod manifests, with no I/O: the task runner's generated pod and PodCreate's user pod,
 * both completed with the file containers and the shared in-memory volume when files move.
 *
 * Pod shape: init container `init-files` (waits for the ready marker while the runner uploads the
 * inputs), the task's container(s), and a regular (not native) sidecar `out-files` that stays up
 * after the task ended so the runner can tar the outputs out of it; a native sidecar would be
 * killed exactly when the outputs are needed: the kubelet stops native sidecars as soon as the
 * task's containers end.
 */
import type { V1ObjectMeta, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { TaskIdentity } from '../contract.ts';
import {
  CONTAINER_WORKING_DIR, ENDED_MARKER, FILE_CONTAINERS, FILES_ROOT, FILES_VOLUME, INIT_CONTAINER, MAIN_CONTAINER,
  READY_MARKER, SIDECAR_CONTAINER,
} from './layout.ts';
import { applyContainerDefaults, deepMerge, isPlainObject, type Json } from './merge.ts';
import { podLabels, podNameFor } from './naming.ts';

export interface FileSidecarOptions {
  image: string;
  resources?: Json;
  /** Replaces `containerDefaultSpec` for the file containers when set. */
  defaultSpec?: Json;
}

/** Which file containers the pod needs. */
export interface FileNeeds {
  /** Inputs to upload: the init container waits for the ready marker. */
  upload: boolean;
  /** Outputs to collect: the `out-files` sidecar is added. */
  collect: boolean;
  outputDirName: string;
}

export interface RunnerPodInput {
  identity: TaskIdentity;
  namespace: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  files: FileNeeds;
  pullPolicy?: string;
  /** Kestra's spelling (`request`/`limit`) or Kubernetes' (`requests`/`limits`). */
  resources?: Json;
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Json[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  fileSidecar: FileSidecarOptions;
  containerDefaultSpec?: Json;
  /** Merged into the generated pod spec last. */
  podSpec?: Json;
  emptyDirSizeLimit?: string;
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `{request, limit}` (Kestra) or `{requests, limits}` (Kubernetes) → Kubernetes' resource requirements. */
export function toKubernetesResources(resources: Json | undefined): Json | undefined {
  if (!resources) return undefined;
  const { request, limit, requests, limits, ...rest } = resources;
  const result: Json = { ...rest };
  const finalRequests = request ?? requests;
  const finalLimits = limit ?? limits;
  if (isPlainObject(finalRequests) && Object.keys(finalRequests).length > 0) result.requests = finalRequests;
  if (isPlainObject(finalLimits) && Object.keys(finalLimits).length > 0) result.limits = finalLimits;
  return Object.keys(result).length > 0 ? result : undefined;
}

const FILES_MOUNT = { name: FILES_VOLUME, mountPath: FILES_ROOT };

function filesVolume(sizeLimit: string | undefined): Json {
  return { name: FILES_VOLUME, emptyDir: sizeLimit ? { medium: 'Memory', sizeLimit } : { medium: 'Memory' } };
}

function withFilesMount(container: Json): Json {
  const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
  if (mounts.some((mount) => isPlainObject(mount) && (mount.name === FILES_VOLUME || mount.mountPath === FILES_ROOT))) return container;
  return { ...container, volumeMounts: [...mounts, FILES_MOUNT] };
}

/** The init and sidecar containers for `files`, in pod order. */
export function fileContainers(files: FileNeeds, sidecar: FileSidecarOptions, containerDefaults: Json | undefined): { init: Json[]; sidecars: Json[] } {
  const defaults = sidecar.defaultSpec ?? containerDefaults;
  const resources = toKubernetesResources(sidecar.resources);
  const base = (name: string, script: string): Json => applyContainerDefaults(defaults, {
    name,
    image: sidecar.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', script],
    ...(resources ? { resources } : {}),
    volumeMounts: [FILES_MOUNT],
  });
  const init: Json[] = [];
  const sidecars: Json[] = [];
  if (files.upload || files.collect) {
    const outputDir = shellQuote(`${CONTAINER_WORKING_DIR}/${files.outputDirName}`);
    // World-writable so that a main container running as a non-root user can write its outputs.
    let script = `mkdir -p ${outputDir} && chmod 777 ${CONTAINER_WORKING_DIR} ${outputDir}`;
    if (files.upload) script += ` && until [ -f ${READY_MARKER} ]; do sleep 0.2; done`;
    init.push(base(INIT_CONTAINER, script));
  }
  if (files.collect) {
    // The short pause lets the download exec, which creates the marker last, return its status
    // before this container (and with it the exec) goes away.
    sidecars.push(base(SIDECAR_CONTAINER, `until [ -f ${ENDED_MARKER} ]; do sleep 0.2; done; sleep 1`));
  }
  return { init, sidecars };
}

function mergedLabels(userLabels: unknown, identity: TaskIdentity): Record<string, string> {
  return { ...(isPlainObject(userLabels) ? (userLabels as Record<string, string>) : {}), ...podLabels(identity) };
}

/**
 * The pod the API receives. Its metadata and spec hold the user's maps merged in as written: the
 * API server validates them, so they are taken as the client's types here, once.
 */
function podManifest(metadata: Json, spec: Json): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: metadata as V1ObjectMeta, spec: spec as unknown as V1PodSpec };
}

/** The task runner's pod: `main` runs the task's command in the shared working directory. */
export function buildRunnerPod(input: RunnerPodInput): V1Pod {
  const { init, sidecars } = fileContainers(input.files, input.fileSidecar, input.containerDefaultSpec);
  const resources = toKubernetesResources(input.resources);
  const main = applyContainerDefaults(input.containerDefaultSpec, {
    name: MAIN_CONTAINER,
    image: input.image,
    command: input.command,
    env: Object.entries(input.env).map(([name, value]) => ({ name, value })),
    workingDir: CONTAINER_WORKING_DIR,
    ...(input.pullPolicy ? { imagePullPolicy: input.pullPolicy } : {}),
    ...(resources ? { resources } : {}),
    volumeMounts: [FILES_MOUNT],
  });
  let spec: Json = {
    restartPolicy: 'Never',
    automountServiceAccountToken: Boolean(input.serviceAccountName),
    ...(input.serviceAccountName ? { serviceAccountName: input.serviceAccountName } : {}),
    ...(input.nodeSelector ? { nodeSelector: input.nodeSelector } : {}),
    ...(input.tolerations ? { tolerations: input.tolerations } : {}),
    ...(init.length > 0 ? { initContainers: init } : {}),
    containers: [main, ...sidecars],
    volumes: [filesVolume(input.emptyDirSizeLimit)],
  };
  if (input.podSpec) spec = deepMerge(spec, input.podSpec);
  return podManifest({
    name: podNameFor(input.identity),
    namespace: input.namespace,
    labels: mergedLabels(input.labels, input.identity),
    ...(input.annotations ? { annotations: input.annotations } : {}),
  }, spec);
}

export interface PodCreateInput {
  identity: TaskIdentity;
  namespace: string;
  metadata: Json;
  spec: Json;
  files: FileNeeds;
  fileSidecar: FileSidecarOptions;
  containerDefaultSpec?: Json;
}

export interface PodCreateManifest {
  pod: V1Pod;
  /** User containers dropped because their names are reserved for the file containers. */
  removedContainers: string[];
}

/** PodCreate's pod: the user's spec as written, plus the file containers and labels. */
export function buildPodCreatePod(input: PodCreateInput): PodCreateManifest {
  const removedContainers: string[] = [];
  const filesUsed = input.files.upload || input.files.collect;
  const userContainers = (list: unknown): Json[] => (Array.isArray(list) ? list : []).filter((container): container is Json => {
    if (!isPlainObject(container)) return false;
    if (FILE_CONTAINERS.includes(String(container.name))) {
      removedContainers.push(String(container.name));
      return false;
    }
    return true;
  }).map((container) => {
    const resources = toKubernetesResources(isPlainObject(container.resources) ? container.resources : undefined);
    const { resources: _ignored, ...rest } = container;
    const completed = applyContainerDefaults(input.containerDefaultSpec, resources ? { ...rest, resources } : rest);
    return filesUsed ? withFilesMount(completed) : completed;
  });
  const { init, sidecars } = fileContainers(input.files, input.fileSidecar, input.containerDefaultSpec);
  const ownInit = userContainers(input.spec.initContainers);
  const ownContainers = userContainers(input.spec.containers);
  const volumes = Array.isArray(input.spec.volumes) ? input.spec.volumes : [];
  const spec: Json = {
    ...input.spec,
    // Kubernetes' default (Always) would restart a finished task forever.
    restartPolicy: input.spec.restartPolicy ?? 'Never',
    ...(init.length + ownInit.length > 0 ? { initContainers: [...init, ...ownInit] } : {}),
    containers: [...ownContainers, ...sidecars],
    ...(filesUsed ? { volumes: [...volumes.filter((volume) => !isPlainObject(volume) || volume.name !== FILES_VOLUME), filesVolume(undefined)] } : {}),
  };
  const { namespace: _namespace, ...metadata } = input.metadata;
  const name = typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : podNameFor(input.identity);
  return {
    pod: podManifest({ ...metadata, name, namespace: input.namespace, labels: mergedLabels(metadata.labels, input.identity) }, spec),
    removedContainers,
  };
}
