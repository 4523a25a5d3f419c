/** Kestra's core triggers: Schedule, Flow, Webhook and the HTTP polling trigger. */
import { z } from 'zod';
import { anyMap, boolean, duration, expected, oneOf, string, stringMap, strictMap } from '../flow/schema-kit.ts';
import { executionStates, triggerInputs } from './common.ts';
import type { TriggerDescriptor } from './descriptor.ts';
import { cronExpression } from './cron.ts';

export const scheduleTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Schedule', 'io.kestra.core.models.triggers.types.Schedule', 'Schedule'],
  properties: () => ({
    cron: cronExpression(),
    withSeconds: boolean().default(false),
    timezone: string().optional(),
    inputs: triggerInputs(),
    backfill: anyMap('a backfill map (start, end, ...)').optional(),
    lateMaximumDelay: duration().optional(),
    recoverMissedSchedules: oneOf(['LAST', 'NONE', 'ALL'], (value) => value.toUpperCase()).optional(),
    scheduleConditions: z.array(anyMap(), { error: expected('a list of conditions') }).optional(),
  }),
};

const preconditionFlow = strictMap({
  namespace: string(),
  flowId: string().optional(),
  states: executionStates().optional(),
  labels: anyMap('a map of labels').optional(),
}, 'a flow precondition (namespace, flowId, states, labels)');

const timeWindow = strictMap({
  type: oneOf(['DAILY_TIME_DEADLINE', 'DAILY_TIME_WINDOW', 'DURATION_WINDOW', 'SLIDING_WINDOW'], (value) => value.toUpperCase()).default('DURATION_WINDOW'),
  window: duration().optional(),
  windowAdvance: duration().optional(),
  deadline: string().optional(),
  startTime: string().optional(),
  endTime: string().optional(),
}, 'a time window (type, window, deadline, ...)');

export const flowTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Flow', 'io.kestra.core.models.triggers.types.Flow'],
  properties: () => ({
    inputs: triggerInputs(),
    states: executionStates().default(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'RETRIED']),
    preconditions: strictMap({
      id: string().optional(),
      flows: z.array(preconditionFlow, { error: expected('a list of flow preconditions') }).optional(),
      where: z.array(anyMap(), { error: expected('a list of filters') }).optional(),
      timeWindow: timeWindow.optional(),
      resetOnSuccess: boolean().default(true),
    }, 'a preconditions map (id, flows, where, timeWindow, resetOnSuccess)').optional(),
  }),
};

export const webhookTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Webhook', 'io.kestra.core.models.triggers.types.Webhook', 'Webhook'],
  properties: () => ({
    key: string(),
    inputs: triggerInputs(),
    wait: boolean().default(false),
    returnOutputs: boolean().default(false),
  }),
};

export const httpTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.http.Trigger'],
  properties: () => ({
    uri: string(),
    method: oneOf(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], (value) => value.toUpperCase()).default('GET'),
    body: string().optional(),
    formData: anyMap('a map of form fields').optional(),
    contentType: string().optional(),
    headers: stringMap('a map of header names to values').optional(),
    params: anyMap('a map of query parameters').optional(),
    options: anyMap('a map of HTTP options').optional(),
    sslOptions: anyMap('a map of SSL options').optional(),
    encryptBody: boolean().default(false),
    responseCondition: string().default('{{ response.statusCode < 400 }}'),
    interval: duration().default('PT1M'),
  }),
};
