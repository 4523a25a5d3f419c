import { defineRunner } from '../descriptor.ts';
import { processRunnerPropertiesSchema } from './schema.ts';

export const processRunner = defineRunner({
  kind: 'process',
  types: ['io.kestra.plugin.core.runner.Process', 'Process'],
  properties: processRunnerPropertiesSchema,
  schema: processRunnerPropertiesSchema,
  reattaches: false,
  load: async () => (await import('./index.ts')).createProcessRunner(),
});
