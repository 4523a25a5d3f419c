/**
 * The Docker runner's `taskRunner` properties, with Kestra's names and defaults. The runner parses
 * the rendered properties with this schema; at flow-parse time it checks the unrendered ones.
 * Only zod here: dockerode loads with the runner.
 */
import { z } from 'zod';
import {
  anyMap, boolean, either, expected, integer, isMap, isText, number, oneOf, string, stringList, stringMap, strictMap, text,
} from '../../flow/schema-kit.ts';

const dockerCredentials = strictMap({
  registry: string().optional().describe('The registry these credentials are for. Example: ghcr.io.'),
  username: string().optional().describe('The registry user.'),
  password: string().optional().describe('The registry password. Example: "{{ secret(\'REGISTRY_PASSWORD\') }}".'),
  auth: string().optional().describe('The base64 of user:password, as in a docker config.json.'),
  identityToken: string().optional().describe('An identity token for the registry.'),
  registryToken: string().optional().describe('A bearer token for the registry.'),
}, 'a map of registry credentials');

const deviceRequest = strictMap({
  driver: string().optional().describe('The device driver. Example: nvidia.'),
  count: integer().optional().describe('How many devices; -1 for all.'),
  deviceIds: stringList().optional().describe('The ids of the devices to use.'),
  capabilities: z.array(stringList(), { error: expected('a list of lists of strings') }).optional().describe('Capabilities the devices need. Example: [[gpu]].'),
  options: stringMap().optional().describe('Options for the driver.'),
}, 'a device request map');

export const dockerRunnerPropertiesSchema = strictMap({
  host: string().optional().describe('The Docker Engine\'s address; else DOCKER_HOST; else the local socket. Example: tcp://docker:2375.'),
  config: either(
    'a docker config.json (text or a map)',
    { accepts: isText, schema: string() },
    { accepts: isMap, schema: anyMap() },
  ).optional().describe('A docker config.json (auths for private registries), as text or as a map.'),
  credentials: dockerCredentials.optional().describe('Credentials for pulling the image from a private registry.'),
  user: string().optional().describe('The user the commands run as in the container. Example: "1000:1000".'),
  entryPoint: stringList().default(['']).describe('The container\'s entry point; [""] (the default) clears the image\'s own.'),
  networkMode: string().optional().describe('The container\'s network: bridge, host, none or a network\'s name.'),
  extraHosts: stringList().optional().describe('Extra /etc/hosts entries. Example: ["db:10.0.0.5"].'),
  portBindings: stringList().optional().describe('Ports published on the host. Example: ["8080:80"].'),
  volumes: stringList().optional().describe('Host folders mounted into the container (host:container); refused unless HARRIER_DOCKER_VOLUMES_ENABLED=true.'),
  pullPolicy: oneOf(['ALWAYS', 'IF_NOT_PRESENT', 'NEVER'], 'any case, underscores ignored').default('ALWAYS')
    .describe('When the image is pulled: ALWAYS (a failed pull falls back to a local image), IF_NOT_PRESENT, NEVER; Always / IfNotPresent / Never too.'),
  cpu: strictMap({ cpus: number().optional().describe('How many CPUs the container may use. Example: 1.5.') }, 'a map with cpus').optional()
    .describe('CPU limits of the container.'),
  memory: strictMap({
    memory: text().optional().describe('The memory limit. Example: 512m.'),
    memorySwap: text().optional().describe('Memory plus swap the container may use; -1 for unlimited swap.'),
    memorySwappiness: text().optional().describe('How readily the container\'s pages are swapped (0 to 100).'),
    memoryReservation: text().optional().describe('A soft memory limit, below memory.'),
    kernelMemory: text().optional().describe('The kernel memory limit (ignored by recent engines).'),
    oomKillDisable: boolean().optional().describe('Do not kill the container when it runs out of memory.'),
  }, 'a map of memory settings').optional().describe('Memory limits of the container.'),
  shmSize: text().optional().describe('The size of /dev/shm. Example: 256m.'),
  privileged: boolean().default(false).describe('Run the container privileged; refused unless HARRIER_DOCKER_PRIVILEGED_ENABLED=true.'),
  deviceRequests: z.array(deviceRequest, { error: expected('a list of device requests') }).optional()
    .describe('Devices (GPUs) given to the container. Example: [{driver: nvidia, count: -1, capabilities: [[gpu]]}].'),
  fileHandlingStrategy: oneOf(['VOLUME', 'MOUNT'], 'any case').default('VOLUME')
    .describe('How files reach the container: VOLUME (one tar stream each way into a labelled volume) or MOUNT (a bind mount of the working directory).'),
  delete: boolean().default(true).describe('Remove the container when the task ends.'),
  wait: boolean().default(true).describe('Wait for the container to end; false starts it and leaves it running.'),
}, 'a map of Docker runner properties');

export type DockerRunnerProperties = z.output<typeof dockerRunnerPropertiesSchema>;
