import type { TaskBase } from '../../flow/model.ts';
import { text } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';

/** Fails the task (and so the execution), always or when its condition renders truthy. */
export interface FailTask extends TaskBase {
  kind: 'fail';
  condition?: string;
  errorMessage: string;
}

export const failTask: TaskDescriptor<FailTask> = {
  kind: 'fail',
  variants: [{
    types: [['io.kestra.plugin.core.execution.Fail', 'Fail', 'io.kestra.core.tasks.executions.Fail']],
    properties: () => ({
      condition: text().optional().describe("Fail only when this renders truthy (false, 0, -0, '' and null are false); without it, always fail."),
      errorMessage: text().default('Task failure').describe('The message the task fails with (logged as an error when a condition holds).'),
    }),
  }],
  model: ({ properties }, common) => ({
    ...common, kind: 'fail', condition: properties.condition as string | undefined, errorMessage: properties.errorMessage as string,
  }),
  load: async () => (await import('./fail-task.ts')).runFailTask,
  attemptDir: false,
};
