/**
 * The script plugins' polling triggers (`io.kestra.plugin.scripts.<language>.CommandsTrigger` and
 * `ScriptTrigger`): a script task's properties plus how often it runs and which exit fires it.
 */
import { z } from 'zod';
import { boolean, duration, string } from '../flow/schema-kit.ts';
import { commandsProperties, pythonProperties, scriptProperties } from '../tasks/script/schema.ts';
import type { TaskSlots } from '../tasks/descriptor.ts';
import type { TriggerDescriptor } from './descriptor.ts';

/** The task runner is checked apart from the schema, like a task's. */
const noChildren = (): z.ZodType => z.never();
const slots: TaskSlots = {
  tasks: noChildren, optionalTasks: noChildren, taskMap: noChildren, dagTasks: noChildren,
  taskRunner: (description) => z.unknown().optional().describe(description), settings: (schema) => schema.optional(),
};

function polling() {
  return {
    interval: duration().default('PT1M').describe('How often the script runs (an ISO-8601 duration).'),
    exitCondition: string().describe('The exit of the script that starts an execution, as `exit N`. Example: "exit 0".'),
    edge: boolean().default(false).describe('Start an execution only when the condition starts holding, not on every poll while it holds.'),
  };
}

export function scriptTrigger(language: 'shell' | 'python' | 'node', mode: 'Commands' | 'Script'): TriggerDescriptor {
  const name = `${mode}Trigger`;
  return {
    types: [`io.kestra.plugin.scripts.${language}.${name}`, `${language}.${name}`],
    properties: () => ({
      ...(mode === 'Commands' ? commandsProperties(slots) : scriptProperties(slots)),
      ...(language === 'python' ? pythonProperties() : {}),
      ...polling(),
    }),
  };
}
