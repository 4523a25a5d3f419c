/** Kestra's core triggers: Schedule, Flow, Webhook and the HTTP polling trigger. */
import { z } from 'zod';
import { anyMap, boolean, duration, expected, oneOf, string, stringMap, strictMap } from '../flow/schema-kit.ts';
import { executionStates, triggerInputs } from './common.ts';
import type { TriggerDescriptor } from './descriptor.ts';
import { cronExpression } from './cron.ts';

export const scheduleTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Schedule', 'io.kestra.core.models.triggers.types.Schedule', 'Schedule'],
  properties: () => ({
    cron: cronExpression().describe('When to run: a cron expression (minute hour day month weekday) or a macro like @daily. Example: "0 9 * * 1-5".'),
    withSeconds: boolean().default(false).describe('The cron expression has a sixth, first field for seconds.'),
    timezone: string().optional().describe('The time zone of the cron expression. Example: Europe/Paris.'),
    inputs: triggerInputs(),
    backfill: anyMap('a backfill map (start, end, ...)').optional().describe('Runs for past schedules: {start, end, inputs, labels}.'),
    lateMaximumDelay: duration().optional().describe('A schedule later than this is skipped (an ISO-8601 duration).'),
    recoverMissedSchedules: oneOf(['LAST', 'NONE', 'ALL'], 'any case').optional().describe('Which schedules missed while the scheduler was down run: LAST, NONE or ALL.'),
    scheduleConditions: z.array(anyMap(), { error: expected('a list of conditions') }).optional().describe('Conditions on the schedule\'s date (kept, not evaluated by Harrier).'),
  }),
};

const preconditionFlow = strictMap({
  namespace: string().describe('The namespace of the flows to watch.'),
  flowId: string().optional().describe('The flow to watch; every flow of the namespace when absent.'),
  states: executionStates().optional().describe('The end states that count. Example: [SUCCESS].'),
  labels: anyMap('a map of labels').optional().describe('Labels the watched executions must have.'),
}, 'a flow precondition (namespace, flowId, states, labels)');

const timeWindow = strictMap({
  type: oneOf(['DAILY_TIME_DEADLINE', 'DAILY_TIME_WINDOW', 'DURATION_WINDOW', 'SLIDING_WINDOW'], 'any case').default('DURATION_WINDOW')
    .describe('The kind of window the preconditions must be met in.'),
  window: duration().optional().describe('The window\'s length (DURATION_WINDOW, SLIDING_WINDOW). Example: PT1H.'),
  windowAdvance: duration().optional().describe('Where a DURATION_WINDOW starts, relative to the hour.'),
  deadline: string().optional().describe('The daily time by which the preconditions must be met (DAILY_TIME_DEADLINE). Example: "09:00:00".'),
  startTime: string().optional().describe('The daily window\'s start (DAILY_TIME_WINDOW). Example: "06:00:00".'),
  endTime: string().optional().describe('The daily window\'s end (DAILY_TIME_WINDOW). Example: "09:00:00".'),
}, 'a time window (type, window, deadline, ...)');

export const flowTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Flow', 'io.kestra.core.models.triggers.types.Flow'],
  properties: () => ({
    inputs: triggerInputs(),
    states: executionStates().default(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'RETRIED'])
      .describe('The end states of the upstream executions that start this flow.'),
    preconditions: strictMap({
      id: string().optional().describe('The preconditions\' id.'),
      flows: z.array(preconditionFlow, { error: expected('a list of flow preconditions') }).optional().describe('Flows that must all have ended in the states given.'),
      where: z.array(anyMap(), { error: expected('a list of filters') }).optional().describe('Filters on the upstream executions (id, filters).'),
      timeWindow: timeWindow.optional().describe('The window within which every precondition must be met.'),
      resetOnSuccess: boolean().default(true).describe('Start counting again once the preconditions were met.'),
    }, 'a preconditions map (id, flows, where, timeWindow, resetOnSuccess)').optional().describe('Which upstream executions must have ended, within which time window.'),
  }),
};

export const webhookTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.trigger.Webhook', 'io.kestra.core.models.triggers.types.Webhook', 'Webhook'],
  properties: () => ({
    key: string().describe('The secret part of the webhook\'s URL. Example: "{{ secret(\'WEBHOOK_KEY\') }}".'),
    inputs: triggerInputs(),
    wait: boolean().default(false).describe('The HTTP call waits for the execution to end.'),
    returnOutputs: boolean().default(false).describe('The HTTP answer carries the execution\'s outputs (with wait).'),
  }),
};

export const httpTrigger: TriggerDescriptor = {
  types: ['io.kestra.plugin.core.http.Trigger'],
  properties: () => ({
    uri: string().describe('The URL polled. Example: https://api.example.com/status.'),
    method: oneOf(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], 'any case').default('GET').describe('The HTTP method.'),
    body: string().optional().describe('The request body.'),
    formData: anyMap('a map of form fields').optional().describe('Form fields sent as the body.'),
    contentType: string().optional().describe('The body\'s content type. Example: application/json.'),
    headers: stringMap('a map of header names to values').optional().describe('Request headers. Example: {Authorization: "Bearer {{ secret(\'TOKEN\') }}"}.'),
    params: anyMap('a map of query parameters').optional().describe('Query parameters added to the URL.'),
    options: anyMap('a map of HTTP options').optional().describe('HTTP client options (timeouts, proxy, authentication).'),
    sslOptions: anyMap('a map of SSL options').optional().describe('TLS options of the HTTP client.'),
    encryptBody: boolean().default(false).describe('Store the response body encrypted in the trigger\'s outputs.'),
    responseCondition: string().default('{{ response.statusCode < 400 }}').describe('An expression on the response; when true, an execution starts.'),
    interval: duration().default('PT1M').describe('How often the URL is polled (an ISO-8601 duration).'),
  }),
};
