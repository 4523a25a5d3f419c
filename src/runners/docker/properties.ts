/**
 * The Docker runner's `taskRunner` properties: the flow's schema (Kestra's names and defaults)
 * applied to the rendered values, plus the size arithmetic the Docker Engine API needs.
 */
import { type DockerRunnerProperties, dockerRunnerPropertiesSchema } from './schema.ts';
import { RunnerError } from '../../shared/errors.ts';

export type DockerProperties = DockerRunnerProperties;

export function parseDockerProperties(raw: Record<string, unknown>): DockerProperties {
  // `type` selects the runner; a caller may pass the whole taskRunner map.
  const { type: _type, ...properties } = raw;
  const parsed = dockerRunnerPropertiesSchema.safeParse(properties);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `taskRunner.${issue.path.join('.')}` : 'taskRunner';
  throw new RunnerError(`Docker runner: ${where}: ${issue.message.split('\n')[0]}`, { code: 'RUNNER_PROPERTIES_INVALID', hint: 'fix the task runner properties in the flow' });
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
    code: 'RUNNER_PROPERTIES_INVALID',
    hint: 'write a number of bytes or a number with a unit, e.g. 512m, 1g, 64Mi, 512MB',
  });
}

