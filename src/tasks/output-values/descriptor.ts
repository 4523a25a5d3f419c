import type { TaskBase } from '../../flow/model.ts';
import { anyMap } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';

export interface OutputValuesTask extends TaskBase {
  kind: 'outputValues';
  values: Record<string, unknown>;
}

export const outputValuesTask: TaskDescriptor<OutputValuesTask> = {
  kind: 'outputValues',
  variants: [{
    types: [['io.kestra.plugin.core.output.OutputValues', 'OutputValues']],
    properties: () => ({ values: anyMap('a map of output names to values').describe('Outputs of the task, `{{ outputs.<id>.values.<name> }}`; expressions are rendered. Example: {greeting: "hello"}.') }),
  }],
  model: ({ properties }, common) => ({ ...common, kind: 'outputValues', values: properties.values as Record<string, unknown> }),
  load: async () => (await import('./output-values-task.ts')).runOutputValuesTask,
  attemptDir: false,
};
