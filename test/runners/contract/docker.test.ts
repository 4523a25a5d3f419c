/** The runner contract against the Docker runner on the local engine. */
import Docker from 'dockerode';
import { dockerUnavailable } from '../../support/docker.ts';
import { ensureBusyboxImage } from '../../support/images.ts';
import { localProcesses } from './backend.ts';
import { runnerContractSuite } from './suite.ts';

runnerContractSuite('docker', async () => {
  const unavailable = dockerUnavailable();
  if (unavailable) return { unavailable };
  const docker = new Docker();
  return {
    runner: { module: new URL('../../../src/runners/docker/index.ts', import.meta.url).href, factory: 'createDockerRunner' },
    containerImage: ensureBusyboxImage(),
    properties: { pullPolicy: 'NEVER' },
    separatesStreams: true,
    leftovers: async (job) => {
      const label = `harrier.io/execution-id=${job.identity.executionId}`;
      const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
      const volumes = (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? [];
      return [
        ...containers.map((container) => `container ${container.Id.slice(0, 12)} (${container.State})`),
        ...volumes.map((volume) => `volume ${volume.Name}`),
        // The engine runs containers on this machine: a removed container has no process left.
        ...localProcesses(job),
      ];
    },
    removeLeftovers: async (job) => {
      const label = `harrier.io/execution-id=${job.identity.executionId}`;
      for (const container of await docker.listContainers({ all: true, filters: { label: [label] } })) await docker.getContainer(container.Id).remove({ force: true, v: true });
      for (const volume of (await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []) await docker.getVolume(volume.Name).remove();
    },
    close: async () => undefined,
  };
});
