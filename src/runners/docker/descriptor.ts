import { defineRunner } from '../descriptor.ts';
import { dockerRunnerPropertiesSchema } from './schema.ts';

export const dockerRunner = defineRunner({
  kind: 'docker',
  types: ['io.kestra.plugin.scripts.runner.docker.Docker', 'Docker'],
  properties: dockerRunnerPropertiesSchema,
  schema: dockerRunnerPropertiesSchema,
  reattaches: true,
  load: async () => (await import('./index.ts')).createDockerRunner(),
});
