/**
 * Every trigger type, declared once: a new trigger is its descriptor and one line here. The flow
 * checker and the JSON Schema derive from this list.
 */
import { flowTrigger, httpTrigger, scheduleTrigger, webhookTrigger } from './core.ts';
import type { TriggerDescriptor } from './descriptor.ts';
import { scriptTrigger } from './scripts.ts';

export const TRIGGERS: readonly TriggerDescriptor[] = [
  scheduleTrigger,
  flowTrigger,
  webhookTrigger,
  httpTrigger,
  scriptTrigger('shell', 'Commands'),
  scriptTrigger('shell', 'Script'),
  scriptTrigger('python', 'Commands'),
  scriptTrigger('python', 'Script'),
  scriptTrigger('node', 'Commands'),
  scriptTrigger('node', 'Script'),
];

const BY_NAME = new Map(TRIGGERS.flatMap((trigger) => trigger.types.map((name) => [name, trigger] as const)));

export const TRIGGER_TYPE_NAMES: readonly string[] = [...BY_NAME.keys()];

export function lookupTriggerType(type: string): TriggerDescriptor | undefined {
  return BY_NAME.get(type);
}
