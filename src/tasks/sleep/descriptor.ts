import type { TaskBase } from '../../flow/model.ts';
import { duration } from '../../flow/schema-kit.ts';
import { parseIsoDuration } from '../../shared/duration.ts';
import type { TaskDescriptor } from '../descriptor.ts';

/** Waits for a duration; a kill or the task's timeout ends the wait. */
export interface SleepTask extends TaskBase {
  kind: 'sleep';
  durationMs: number;
}

export const sleepTask: TaskDescriptor<SleepTask> = {
  kind: 'sleep',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Sleep', 'Sleep']],
    properties: () => ({ duration: duration().describe('How long to wait, as an ISO-8601 duration (PT5S).') }),
  }],
  model: ({ properties }, common) => ({ ...common, kind: 'sleep', durationMs: parseIsoDuration(properties.duration as string)! }),
  load: async () => (await import('./sleep-task.ts')).runSleepTask,
  attemptDir: false,
};
