import { z } from 'zod';
import type { TaskBase } from '../../flow/model.ts';
import { anyMap, boolean, either, integer, isList, isMap, oneOf, strictMap, text } from '../../flow/schema-kit.ts';
import type { TaskDescriptor } from '../descriptor.ts';

/** Runs another flow as a child execution, and (by default) waits for it. */
export interface SubflowTask extends TaskBase {
  kind: 'subflow';
  namespace: string;
  flowId: string;
  /** The deployed revision to run (on a server); a flow file runs as it is. */
  revision?: number;
  inputs: Record<string, unknown>;
  labels: Record<string, string>;
  wait: boolean;
  transmitFailed: boolean;
  inheritLabels: boolean;
  /** Kestra's scheduleDate: the child starts no earlier than this ISO-8601 date-time (rendered). */
  scheduleDate?: string;
  /** On a restart of the parent: restart the failed child (RETRY_FAILED, Kestra's default) or make a new one. */
  restartBehavior: 'RETRY_FAILED' | 'NEW_EXECUTION';
}

const labels = () => either('a map of label names to values, or a list of {key, value}',
  { accepts: isMap, schema: z.record(z.string(), text()) },
  { accepts: isList, schema: z.array(strictMap({ key: text().describe('The label name.'), value: text().describe('The label value.') }, 'a label map (key, value)')) });

export const subflowTask: TaskDescriptor<SubflowTask> = {
  kind: 'subflow',
  variants: [{
    types: [['io.kestra.plugin.core.flow.Subflow', 'Subflow', 'io.kestra.core.tasks.flows.Subflow', 'io.kestra.core.tasks.flows.Flow']],
    properties: () => ({
      namespace: text().describe('The namespace of the flow to run.'),
      flowId: text().describe('The id of the flow to run: on a server, a deployed flow; else its file, looked for next to this flow or in --flows folders.'),
      revision: integer('a positive integer', 1).optional().describe('On a server, the deployed revision to run (default: the latest); a flow file runs as it is.'),
      inputs: anyMap('a map of input names to values').default({}).describe('The inputs of the subflow (rendered).'),
      labels: labels().optional().describe('Labels added to the subflow execution (rendered).'),
      wait: boolean().default(true).describe('Wait for the subflow execution to end before going on.'),
      transmitFailed: boolean().default(true).describe('With wait: a FAILED or KILLED subflow fails this task, a WARNING one warns it.'),
      inheritLabels: boolean().default(false).describe('Give the subflow all of this execution\'s labels (by default only the system ones).'),
      scheduleDate: text().optional().describe('The subflow execution starts no earlier than this ISO-8601 date-time (rendered).'),
      restartBehavior: oneOf(['RETRY_FAILED', 'NEW_EXECUTION']).default('RETRY_FAILED')
        .describe('On a restart of the parent, with wait: restart the failed subflow execution (its failed tasks run again), or make a new one.'),
    }),
  }],
  model: ({ properties }, common) => {
    const given = properties.labels as Record<string, string> | Array<{ key: string; value: string }> | undefined;
    return {
      ...common,
      kind: 'subflow',
      namespace: properties.namespace as string,
      flowId: properties.flowId as string,
      revision: properties.revision as number | undefined,
      inputs: properties.inputs as Record<string, unknown>,
      labels: Array.isArray(given) ? Object.fromEntries(given.map(({ key, value }) => [key, value])) : given ?? {},
      wait: properties.wait as boolean,
      transmitFailed: properties.transmitFailed as boolean,
      inheritLabels: properties.inheritLabels as boolean,
      scheduleDate: properties.scheduleDate as string | undefined,
      restartBehavior: properties.restartBehavior as SubflowTask['restartBehavior'],
    };
  },
  load: async () => (await import('./subflow-task.ts')).runSubflowTask,
  attemptDir: false,
  // The child execution's id is saved before it starts: a resumed attempt goes on with that execution.
  reattaches: () => true,
};
