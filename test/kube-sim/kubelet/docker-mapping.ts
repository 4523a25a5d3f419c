/**
 * Kubernetes container spec → Docker create options, with Kubernetes semantics: `command` replaces
 * the image entrypoint (and drops its cmd), `args` replace the cmd; all containers of a pod join
 * the sandbox's network namespace; volumes are Docker volumes or binds prepared by the kubelet.
 */
import type Docker from 'dockerode';
import { parseQuantity } from '../quantity.ts';
import { expand } from './env.ts';
import type { Container } from '../types.ts';

export interface PreparedVolume {
  type: 'volume' | 'bind';
  source: string;
}

export interface ContainerPlan {
  name: string;
  image: string;
  container: Container;
  env: Record<string, string>;
  volumes: Map<string, PreparedVolume>;
  sandboxId: string;
  labels: Record<string, string>;
}

export type MappingResult = { ok: true; options: Docker.ContainerCreateOptions } | { ok: false; message: string };

export function dockerCreateOptions(plan: ContainerPlan): MappingResult {
  const { container, env } = plan;
  const mounts: Docker.MountSettings[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = plan.volumes.get(mount.name);
    if (!volume) continue;
    if (mount.subPath) return { ok: false, message: `subPath is not supported by kube-sim (volumeMount "${mount.name}" in container "${container.name}")` };
    mounts.push({ Type: volume.type, Source: volume.source, Target: mount.mountPath, ReadOnly: mount.readOnly ?? false });
  }
  const limits = container.resources?.limits ?? {};
  const memory = parseQuantity(limits.memory);
  const cpu = parseQuantity(limits.cpu);
  const hostConfig: Docker.HostConfig = {
    NetworkMode: `container:${plan.sandboxId}`,
    IpcMode: `container:${plan.sandboxId}`,
    Mounts: mounts,
    AutoRemove: false,
  };
  if (memory !== undefined) {
    hostConfig.Memory = Math.floor(memory);
    hostConfig.MemorySwap = Math.floor(memory);
  }
  if (cpu !== undefined) hostConfig.NanoCpus = Math.round(cpu * 1e9);
  const options: Docker.ContainerCreateOptions = {
    name: plan.name,
    Image: plan.image,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: plan.labels,
    Tty: container.tty ?? false,
    OpenStdin: container.stdin ?? false,
    StdinOnce: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
  };
  if (container.command) {
    options.Entrypoint = container.command.map((part) => expand(part, env));
    options.Cmd = (container.args ?? []).map((part) => expand(part, env));
  } else if (container.args) {
    options.Cmd = container.args.map((part) => expand(part, env));
  }
  if (container.workingDir) options.WorkingDir = container.workingDir;
  return { ok: true, options };
}
