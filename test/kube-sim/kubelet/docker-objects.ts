/** Small helpers over dockerode for the kubelet: inspect times, exit states, labelled cleanup. */
import type Docker from 'dockerode';
import { rfc3339 } from '../clock.ts';

export const SIM_LABEL = 'harrier.sim';
/** The process that owns a sim's objects, so a later sim can sweep those of a killed one. */
export const PID_LABEL = 'harrier.sim.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the objects of sims whose process no longer exists (killed test runs); returns their ids. */
export async function sweepOrphans(docker: Docker): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [PID_LABEL] }) });
  const { Volumes } = await docker.listVolumes({ filters: JSON.stringify({ label: [PID_LABEL] }) });
  const owners = new Map<string, number>();
  for (const labels of [...containers.map((c) => c.Labels), ...(Volumes ?? []).map((v) => v.Labels ?? {})]) {
    owners.set(labels[SIM_LABEL], Number(labels[PID_LABEL]));
  }
  const dead = [...owners].filter(([, pid]) => Number.isInteger(pid) && pid > 0 && !alive(pid)).map(([id]) => id);
  for (const id of dead) await removeAllLabelled(docker, id);
  return dead;
}

/** Docker's zero time means "never". */
export function dockerTime(text: string | undefined): string | undefined {
  if (!text || text.startsWith('0001-')) return undefined;
  return rfc3339(new Date(text));
}

export interface ExitInfo {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'OOMKilled';
  startedAt?: string;
  finishedAt?: string;
  running: boolean;
}

/**
 * `stoppedByKubelet`: the kubelet stopped it (a deleted pod, a deadline). Any other exit 137 under a
 * memory limit is an OOM kill: Docker's `State.OOMKilled` and its `oom` event are not reliable
 * under load (both were seen missing), while the real kubelet reads the cgroup.
 */
export async function exitInfo(docker: Docker, id: string, stoppedByKubelet = false): Promise<ExitInfo> {
  const info = await docker.getContainer(id).inspect();
  const state = info.State;
  const exitCode = state.ExitCode;
  const oomKilled = state.OOMKilled || (exitCode === 137 && Boolean(info.HostConfig.Memory) && !stoppedByKubelet);
  const reason = oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  return { exitCode, reason, startedAt: dockerTime(state.StartedAt), finishedAt: dockerTime(state.FinishedAt), running: state.Running };
}

export async function imagePresent(docker: Docker, image: string): Promise<{ present: boolean; id?: string }> {
  try {
    const info = await docker.getImage(image).inspect();
    return { present: true, id: info.Id };
  } catch {
    return { present: false };
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: false });
  } catch (error) {
    if (!isNotFound(error) && (error as { statusCode?: number }).statusCode !== 409) throw error;
  }
}

export async function removeVolume(docker: Docker, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getVolume(name).remove({ force: true });
      return;
    } catch (error) {
      if (isNotFound(error)) return;
      // A volume stays "in use" for a moment after its last container is removed.
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Removes every container and volume carrying `harrier.sim=<simId>`. */
export async function removeAllLabelled(docker: Docker, simId: string): Promise<{ containers: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${SIM_LABEL}=${simId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => removeContainer(docker, c.Id)));
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all((Volumes ?? []).map((v) => removeVolume(docker, v.Name)));
  return { containers: containers.length, volumes: (Volumes ?? []).length };
}

/** Containers and volumes still carrying the label (tests assert none are left). */
export async function listLabelled(docker: Docker, simId: string): Promise<{ containers: string[]; volumes: string[] }> {
  const filters = JSON.stringify({ label: [`${SIM_LABEL}=${simId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return { containers: containers.map((c) => c.Names[0] ?? c.Id), volumes: (Volumes ?? []).map((v) => v.Name) };
}
