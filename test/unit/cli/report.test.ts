import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine } from '../../../src/cli/report.ts';
import type { LogRecord } from '../../../src/store/index.ts';

const record = (line: string, extra: Partial<LogRecord> = {}): LogRecord =>
  ({ executionId: 'e', taskId: 'pair', level: 'INFO', stream: 'stdout', timestamp: '2024-01-01T00:00:01Z', line, ...extra });

test('a line of one of several containers is shown after its container; main and single containers go without', () => {
  assert.equal(formatLogLine(record('tick 1', { container: 'helper' }), false), '[pair] [helper] tick 1');
  assert.equal(formatLogLine(record('line 1', { container: 'main' }), false), '[pair] line 1');
  assert.equal(formatLogLine(record('[helper] not a prefix'), false), '[pair] [helper] not a prefix');
  assert.equal(formatLogLine(record('::{"outputs":{}}::', { level: 'TRACE', container: 'helper' }), false), '[pair] TRACE [helper] ::{"outputs":{}}::');
});

test('a log line of a ForEach iteration names the task and its value', () => {
  const line = formatLogLine({ executionId: 'e', taskId: 'work', taskRunValue: 'eu', level: 'INFO', stream: 'stdout', timestamp: 't', line: 'hi' }, false);
  assert.equal(line, '[work eu] hi');
});
