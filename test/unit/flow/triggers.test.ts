import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import { cronProblem } from '../../../src/triggers/cron.ts';
import { TRIGGER_TYPE_NAMES } from '../../../src/triggers/table.ts';
import { issuesOf } from './helpers.ts';

function withTriggers(lines: string[]): string {
  return ['id: f', 'namespace: company.team', 'tasks:', '  - id: t', '    type: Log', '    message: hi', 'triggers:', ...lines, ''].join('\n');
}

test('Kestra triggers are checked and kept in the model with their defaults', () => {
  const flow = parseFlow(withTriggers([
    '  - id: nightly',
    '    type: io.kestra.plugin.core.trigger.Schedule',
    '    cron: "0 9 * * *"',
    '    stopAfter: [FAILED]',
    '  - id: hook',
    '    type: io.kestra.plugin.core.trigger.Webhook',
    '    key: abc',
    '    conditions:',
    '      - type: io.kestra.plugin.core.condition.ExpressionCondition',
    '        expression: "{{ trigger.body.hello == \'world\' }}"',
    '  - id: upstream',
    '    type: io.kestra.plugin.core.trigger.Flow',
    '    preconditions:',
    '      id: bronze',
    '      timeWindow: { type: DAILY_TIME_DEADLINE, deadline: "09:00:00" }',
    '      flows: [{ namespace: company.team, flowId: bronze, states: [SUCCESS] }]',
    '  - id: poll',
    '    type: io.kestra.plugin.scripts.python.CommandsTrigger',
    '    exitCondition: exit 1',
    '    commands: [python3 -c "raise Exception()"]',
    '    disabled: true',
  ]), 'flow.yaml');
  assert.deepEqual(flow.triggers.map(({ id, type, disabled }) => [id, type, disabled]), [
    ['nightly', 'io.kestra.plugin.core.trigger.Schedule', false],
    ['hook', 'io.kestra.plugin.core.trigger.Webhook', false],
    ['upstream', 'io.kestra.plugin.core.trigger.Flow', false],
    ['poll', 'io.kestra.plugin.scripts.python.CommandsTrigger', true],
  ]);
  assert.equal(flow.triggers[0].properties.cron, '0 9 * * *');
  assert.equal(flow.triggers[0].properties.withSeconds, false);
  assert.deepEqual(flow.triggers[0].properties.stopAfter, ['FAILED']);
  assert.deepEqual(flow.triggers[2].properties.states, ['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'RETRIED']);
  assert.equal(flow.triggers[3].properties.interval, 'PT1M');
  assert.equal(flow.triggers[3].properties.edge, false);
});

test('an unknown trigger type, a missing type, a bad cron and a duplicate id are located errors', () => {
  assert.deepEqual(issuesOf(withTriggers([
    '  - id: a',
    '    type: io.kestra.plugin.core.trigger.Schedul',
    '    cron: "* * * * *"',
    '  - id: b',
    '    cron: "0 11 * * 1"',
    '  - id: c',
    '    type: Schedule',
    '    cron: "0 11 * *"',
    '  - id: c',
    '    type: Webhook',
    '    keys: x',
  ])), [
    "9:11 triggers[0].type: unknown trigger type 'io.kestra.plugin.core.trigger.Schedul' (did you mean 'io.kestra.plugin.core.trigger.Schedule' or 'io.kestra.plugin.core.trigger.Flow'?)",
    "11:5 triggers[1].type: missing required key 'type'",
    '15:11 triggers[2].cron: expected a cron expression of 5 fields (minute hour day month weekday), got 4',
    "16:5 triggers[3].key: missing required key 'key'",
    "16:9 triggers[3].id: duplicate trigger id 'c'; trigger ids must be unique in the flow",
    "18:5 triggers[3].keys: unknown key 'keys' (did you mean 'key'?)",
  ]);
});

test('cron shapes: fields, seconds, macros', () => {
  assert.equal(cronProblem('*/15 * * * *'), undefined);
  assert.equal(cronProblem('0 0 9 * * MON-FRI'), undefined);
  assert.equal(cronProblem('@hourly'), undefined);
  assert.match(cronProblem('@often') ?? '', /unknown cron macro/);
  assert.match(cronProblem('0 9 * * % *') ?? '', /'%' is not a cron field/);
});

test('every trigger type has its full Kestra name in the table', () => {
  for (const name of ['io.kestra.plugin.core.http.Trigger', 'io.kestra.plugin.scripts.shell.ScriptTrigger', 'io.kestra.plugin.scripts.node.CommandsTrigger']) {
    assert.ok(TRIGGER_TYPE_NAMES.includes(name), name);
  }
});
