/**
 * The container and volume an attempt runs in, as Docker Engine API bodies. Pure: everything comes
 * from the job and the runner properties.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { RunnerError } from '../../shared/errors.ts';
import type { RunnerJob, TaskIdentity } from '../contract.ts';
import { type DockerProperties, parseByteSize } from './properties.ts';

export const LABEL_PREFIX = 'harrier.io/';

/** Labels that say which execution, task run and attempt a container or volume belongs to. */
export function identityLabels(identity: TaskIdentity): Record<string, string> {
  return {
    [`${LABEL_PREFIX}execution-id`]: identity.executionId,
    [`${LABEL_PREFIX}namespace`]: identity.namespace,
    [`${LABEL_PREFIX}flow-id`]: identity.flowId,
    [`${LABEL_PREFIX}task-id`]: identity.taskId,
    [`${LABEL_PREFIX}task-run-id`]: identity.taskRunId,
    [`${LABEL_PREFIX}attempt`]: String(identity.attempt),
  };
}

/** `harrier-<namespace>-<flow>-<task>-<random>`, within Docker's name rules. */
export function resourceName(identity: TaskIdentity): string {
  const slug = `${identity.namespace}-${identity.flowId}-${identity.taskId}`
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 48)
    .replace(/[-_.]+$/, '');
  return `harrier-${slug}-${randomBytes(4).toString('hex')}`;
}

export interface Gates {
  volumesEnabled: boolean;
  privilegedEnabled: boolean;
}

/** Host volumes and privileged mode open the host to the task: they are off unless the installation enables them. */
export function gatesFromEnv(env: NodeJS.ProcessEnv = process.env): Gates {
  return {
    volumesEnabled: env.HARRIER_DOCKER_VOLUMES_ENABLED === 'true',
    privilegedEnabled: env.HARRIER_DOCKER_PRIVILEGED_ENABLED === 'true',
  };
}

export function checkGates(properties: DockerProperties, gates: Gates): void {
  if (properties.volumes && properties.volumes.length > 0 && !gates.volumesEnabled) {
    throw new RunnerError('Docker runner: taskRunner.volumes is disabled on this Harrier installation', {
      code: 'DOCKER_OPTION_DISABLED',
      hint: 'set HARRIER_DOCKER_VOLUMES_ENABLED=true in the environment of harrier to allow host volumes, or remove volumes',
    });
  }
  if (properties.privileged && !gates.privilegedEnabled) {
    throw new RunnerError('Docker runner: taskRunner.privileged is disabled on this Harrier installation', {
      code: 'DOCKER_OPTION_DISABLED',
      hint: 'set HARRIER_DOCKER_PRIVILEGED_ENABLED=true in the environment of harrier to allow privileged containers, or remove privileged',
    });
  }
}

export interface ContainerPlan {
  name: string;
  image: string;
  /** Docker volume holding the working directory (VOLUME strategy). */
  volumeName?: string;
}

export function containerCreateOptions(job: RunnerJob, properties: DockerProperties, plan: ContainerPlan): Docker.ContainerCreateOptions {
  const workingDir = job.hostWorkingDir;
  const binds = [plan.volumeName ? `${plan.volumeName}:${workingDir}` : `${workingDir}:${workingDir}`, ...(properties.volumes ?? [])];
  const ports = parsePortBindings(properties.portBindings ?? []);
  const hostConfig: Docker.HostConfig = {
    Binds: binds,
    ...(properties.networkMode ? { NetworkMode: properties.networkMode } : {}),
    ...(properties.extraHosts ? { ExtraHosts: properties.extraHosts } : {}),
    ...(ports.bindings ? { PortBindings: ports.bindings } : {}),
    ...(properties.privileged ? { Privileged: true } : {}),
    ...(properties.shmSize !== undefined ? { ShmSize: parseByteSize(properties.shmSize, 'taskRunner.shmSize') } : {}),
    ...resourceLimits(properties),
    ...(properties.deviceRequests
      ? {
          DeviceRequests: properties.deviceRequests.map((request) => ({
            Driver: request.driver,
            Count: request.count,
            DeviceIDs: request.deviceIds,
            Capabilities: request.capabilities,
            Options: request.options,
          })),
        }
      : {}),
  };
  return {
    name: plan.name,
    Image: plan.image,
    Cmd: job.command,
    Entrypoint: properties.entryPoint,
    Env: Object.entries(job.env).map(([key, value]) => `${key}=${value}`),
    WorkingDir: workingDir,
    ...(properties.user ? { User: properties.user } : {}),
    Labels: identityLabels(job.identity),
    ...(ports.exposed ? { ExposedPorts: ports.exposed } : {}),
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: hostConfig,
  };
}

function resourceLimits(properties: DockerProperties): Docker.HostConfig {
  const limits: Docker.HostConfig = {};
  const cpus = properties.cpu?.cpus;
  if (cpus !== undefined) {
    const value = Number(cpus);
    if (!Number.isFinite(value) || value <= 0) {
      throw new RunnerError(`Docker runner: taskRunner.cpu.cpus: '${cpus}' is not a positive number`, { code: 'RUNNER_PROPERTIES_INVALID', hint: 'write e.g. 0.5 or 2' });
    }
    // Docker's --cpus: a share of CPU time, not a CPU set.
    limits.NanoCpus = Math.round(value * 1e9);
  }
  const memory = properties.memory;
  if (memory) {
    if (memory.memory !== undefined) limits.Memory = parseByteSize(memory.memory, 'taskRunner.memory.memory');
    if (memory.memorySwap !== undefined) {
      limits.MemorySwap = memory.memorySwap.trim() === '-1' ? -1 : parseByteSize(memory.memorySwap, 'taskRunner.memory.memorySwap');
    }
    if (memory.memorySwappiness !== undefined) limits.MemorySwappiness = Number(memory.memorySwappiness);
    if (memory.memoryReservation !== undefined) {
      limits.MemoryReservation = parseByteSize(memory.memoryReservation, 'taskRunner.memory.memoryReservation');
    }
    if (memory.kernelMemory !== undefined) limits.KernelMemory = parseByteSize(memory.kernelMemory, 'taskRunner.memory.kernelMemory');
    if (memory.oomKillDisable !== undefined) limits.OomKillDisable = memory.oomKillDisable;
  }
  return limits;
}

type PortMap = Record<string, Array<{ HostIp?: string; HostPort?: string }>>;

/** `docker run -p` syntax: `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`. */
export function parsePortBindings(specs: readonly string[]): { bindings?: PortMap; exposed?: Record<string, object> } {
  if (specs.length === 0) return {};
  const bindings: PortMap = {};
  const exposed: Record<string, object> = {};
  for (const spec of specs) {
    const match = /^(?:(?:(\[[0-9a-fA-F:]+\]|[\d.]+):)?(\d*):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec.trim());
    if (!match) {
      throw new RunnerError(`Docker runner: taskRunner.portBindings: '${spec}' is not a port binding`, {
        code: 'RUNNER_PROPERTIES_INVALID',
        hint: 'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. 8080:80 or 127.0.0.1:5432:5432/tcp',
      });
    }
    const [, hostIp, hostPort, containerPort, protocol] = match;
    const key = `${containerPort}/${protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ ...(hostIp ? { HostIp: hostIp.replace(/^\[|\]$/g, '') } : {}), HostPort: hostPort ?? '' });
  }
  return { bindings, exposed };
}
