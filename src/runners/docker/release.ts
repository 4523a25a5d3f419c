/**
 * What a Docker attempt's resume handle names, and its removal once the engine stored the
 * attempt's end (TaskRunner.release). A handle is saved before anything exists, so it may name a
 * container or volume that was never made: gone counts as removed.
 */
import type { ResumeHandle } from '../contract.ts';
import { connectDocker, dockerError, statusOf, type DockerClient } from './docker-client.ts';

export interface ContainerHandle {
  /** The engine the container runs on, as connectDocker resolved it when the attempt started. */
  host: string;
  containerName?: string;
  containerId?: string;
  volume?: string;
  /** `delete: false`, or `wait: false` once the container started: the task keeps them. */
  keep?: boolean;
}

export function containerHandle(handle: ContainerHandle): ResumeHandle {
  return Object.fromEntries(Object.entries(handle).filter(([, value]) => value !== undefined)) as ResumeHandle;
}

/** The container as a handle names it: its id once it was created, else its name. */
export function containerReference(handle: ResumeHandle): string | undefined {
  if (typeof handle.containerId === 'string') return handle.containerId;
  return typeof handle.containerName === 'string' ? handle.containerName : undefined;
}

export async function releaseContainer(handle: ResumeHandle): Promise<void> {
  if (handle.keep === true) return;
  const client = connectDocker(typeof handle.host === 'string' ? handle.host : undefined);
  const container = containerReference(handle);
  if (container) await removeIgnoringGone(client, `removing container ${container.slice(0, 12)}`, () => client.docker.getContainer(container).remove({ force: true, v: true }));
  const volume = handle.volume;
  if (typeof volume === 'string') await removeIgnoringGone(client, `removing volume ${volume}`, () => client.docker.getVolume(volume).remove());
}

async function removeIgnoringGone(client: DockerClient, doing: string, remove: () => Promise<void>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (statusOf(error) !== 404) throw dockerError(client, doing, error);
  }
}
