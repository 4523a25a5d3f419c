/**
 * The Docker runner's `taskRunner` properties, with Kestra's names and defaults.
 */
import { z } from 'zod';
import { RunnerError } from '../../shared/errors.ts';

const stringList = z.array(z.string());
const size = z.union([z.string(), z.number()]);

export const dockerPropertiesSchema = z.object({
  type: z.string().optional(),
  host: z.string().optional(),
  /** A Docker `config.json`, as an object or as its JSON text. */
  config: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  credentials: z
    .object({
      registry: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      auth: z.string().optional(),
      identityToken: z.string().optional(),
      registryToken: z.string().optional(),
    })
    .optional(),
  user: z.string().optional(),
  entryPoint: stringList.default(['']),
  networkMode: z.string().optional(),
  extraHosts: stringList.optional(),
  portBindings: stringList.optional(),
  volumes: stringList.optional(),
  pullPolicy: z.enum(['ALWAYS', 'IF_NOT_PRESENT', 'NEVER']).default('ALWAYS'),
  cpu: z.object({ cpus: z.union([z.number(), z.string()]).optional() }).optional(),
  memory: z
    .object({
      memory: size.optional(),
      memorySwap: size.optional(),
      memorySwappiness: z.union([z.number(), z.string()]).optional(),
      memoryReservation: size.optional(),
      kernelMemory: size.optional(),
      oomKillDisable: z.boolean().optional(),
    })
    .optional(),
  shmSize: size.optional(),
  privileged: z.boolean().optional(),
  deviceRequests: z
    .array(
      z.object({
        driver: z.string().optional(),
        count: z.number().optional(),
        deviceIds: stringList.optional(),
        capabilities: z.array(stringList).optional(),
        options: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  fileHandlingStrategy: z.enum(['VOLUME', 'MOUNT']).default('VOLUME'),
  delete: z.boolean().default(true),
  wait: z.boolean().default(true),
});

export type DockerProperties = z.infer<typeof dockerPropertiesSchema>;

export function parseDockerProperties(raw: Record<string, unknown>): DockerProperties {
  const parsed = dockerPropertiesSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `taskRunner.${issue.path.join('.')}` : 'taskRunner';
  throw new RunnerError(`Docker runner: ${where}: ${issue.message}`, { hint: 'fix the task runner properties in the flow' });
}

const UNIT_FACTORS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Bytes of a size such as `512MB`, `1g`, `64Mi`, `1.5GiB` or a plain number. Like the Docker CLI,
 * every unit is binary (`1g` = 1024³ bytes), whichever way it is written.
 */
export function parseByteSize(value: string | number, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(?:ib|i|b)?|b)?\s*$/i.exec(value) : null;
  if (match) return Math.round(Number(match[1]) * UNIT_FACTORS[(match[2] ?? '').toLowerCase()]);
  throw new RunnerError(`Docker runner: ${where}: '${value}' is not a size`, {
    hint: 'write a number of bytes or a number with a unit, e.g. 512m, 1g, 64Mi, 512MB',
  });
}

/** `64 MiB`, `1.5 GiB`: how a limit is shown in messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let unit = 0;
  while (unit < units.length - 1 && bytes >= 1024 ** (unit + 1)) unit += 1;
  const value = bytes / 1024 ** unit;
  return `${Number.isInteger(value) ? value : Number(value.toFixed(2))} ${units[unit]}`;
}
