/**
 * The Docker runner's `taskRunner` properties, with Kestra's names and defaults. The runner parses
 * the rendered properties with this schema; at flow-parse time it checks the unrendered ones.
 * Only zod here: dockerode loads with the runner.
 */
import { z } from 'zod';
import {
  anyMap, boolean, either, expected, integer, isMap, isText, number, oneOf, string, stringList, stringMap, strictMap, text,
} from '../../flow/schema-kit.ts';

/** `Always`, `IfNotPresent`, `if_not_present` → `ALWAYS`, `IF_NOT_PRESENT`. */
function dockerPullPolicy(value: string): string {
  const squashed = value.replaceAll('_', '').toLowerCase();
  return ({ always: 'ALWAYS', ifnotpresent: 'IF_NOT_PRESENT', never: 'NEVER' } as Record<string, string>)[squashed] ?? value;
}

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

export const dockerRunnerPropertiesSchema = strictMap({
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

export type DockerRunnerProperties = z.output<typeof dockerRunnerPropertiesSchema>;
