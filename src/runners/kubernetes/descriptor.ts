import { defineRunner } from '../descriptor.ts';
import { kubernetesRunnerObject, kubernetesRunnerPropertiesSchema } from './schema.ts';

export const kubernetesRunner = defineRunner({
  kind: 'kubernetes',
  types: ['io.kestra.plugin.ee.kubernetes.runner.Kubernetes', 'io.kestra.plugin.kubernetes.runner.Kubernetes', 'Kubernetes'],
  properties: kubernetesRunnerObject,
  schema: kubernetesRunnerPropertiesSchema,
  reattaches: true,
  load: async () => (await import('./index.ts')).createKubernetesRunner(),
});
