import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keeps, LastLines, logFilterOf, parseSince } from '../../../src/cli/log-filter.ts';
import { statusLine, TaskStatusBoard, wholeSeconds } from '../../../src/cli/progress.ts';
import { formatLogLine } from '../../../src/cli/report.ts';
import { colourWanted, eraseLines } from '../../../src/cli/terminal.ts';
import { podProgress } from '../../../src/runners/kubernetes/pod-state.ts';
import type { LogRecord, TaskRunRecord } from '../../../src/store/index.ts';

const record = (line: string, extra: Partial<LogRecord> = {}): LogRecord =>
  ({ executionId: 'e', taskId: 't', level: 'INFO', stream: 'stdout', timestamp: '2026-12-01T10:00:00.123456789Z', line, ...extra });

test('status lines: elapsed whole seconds, the runner\'s phase and reason, a transfer\'s bytes and rate', () => {
  assert.deepEqual([wholeSeconds(999), wholeSeconds(7_400), wholeSeconds(65_000), wholeSeconds(7_380_000)], ['0s', '7s', '1m05s', '2h03m']);
  const since = 1_000_000;
  assert.equal(statusLine({ taskId: 'build', state: 'RUNNING', since }, since + 12_300), 'build  12s  running');
  assert.equal(statusLine({ taskId: 'pod', state: 'RUNNING', since, phase: { phase: 'Pending', reason: 'ContainerCreating' } }, since + 3000), 'pod  3s  Pending: ContainerCreating');
  assert.equal(statusLine({ taskId: 'pod', state: 'RUNNING', since, phase: { phase: 'Running' } }, since + 3000), 'pod  3s  Running');
  const transfer = { direction: 'upload' as const, bytes: 8 * 1024 * 1024, startedAt: since };
  assert.equal(statusLine({ taskId: 'pod', state: 'RUNNING', since, transfer }, since + 2000), 'pod  2s  sending input files: 8 MiB at 4 MiB/s');
});

test('the board follows task runs: a line while running, progress applied, gone once ended', () => {
  const board = new TaskStatusBoard();
  const run = (state: TaskRunRecord['state']) => ({ id: 'r1', taskId: 'pod', state, startedAt: new Date().toISOString() } as TaskRunRecord);
  board.taskRunChanged(run('RUNNING'));
  board.progress(run('RUNNING'), { kind: 'phase', phase: 'Pending', reason: 'PodInitializing' });
  assert.match(board.lines(false, 80)[0], /^… pod {2}0s {2}Pending: PodInitializing$/);
  board.progress(run('RUNNING'), { kind: 'transfer', direction: 'download', bytes: 2048, done: false });
  assert.match(board.lines(false, 80)[0], /collecting output files: 2 KiB/);
  board.progress(run('RUNNING'), { kind: 'transfer', direction: 'download', bytes: 4096, done: true });
  assert.match(board.lines(false, 80)[0], /Pending: PodInitializing$/);
  assert.equal(board.lines(false, 20)[0].length, 19, 'cut to the terminal width, never wrapped');
  board.taskRunChanged(run('RETRYING'));
  assert.match(board.lines(false, 80)[0], /^… pod {2}0s {2}retrying$/, 'the failed attempt\'s phase is gone');
  board.taskRunChanged(run('SUCCESS'));
  assert.deepEqual(board.lines(false, 80), []);
  board.progress(run('SUCCESS'), { kind: 'phase', phase: 'Running' });
  assert.deepEqual(board.lines(false, 80), [], 'a late word about an ended task run draws nothing');
  // A resumed task run is RUNNING already: its runner's progress brings its line, timed from its start.
  board.progress({ ...run('RUNNING'), id: 'r2', startedAt: new Date(Date.now() - 65_000).toISOString() }, { kind: 'phase', phase: 'Running' });
  assert.match(board.lines(false, 80)[0], /^… pod {2}1m0[5-6]s {2}Running$/);
});

test('a pod\'s phase and reason: unscheduled, the init container\'s wait, the task container\'s wait, running', () => {
  const pod = (status: object) => ({ status } as never);
  assert.deepEqual(podProgress(pod({ phase: 'Pending' }), ['main']), { phase: 'Pending', reason: 'waiting for a node' });
  assert.deepEqual(podProgress(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }), ['main']),
    { phase: 'Pending', reason: 'Unschedulable' });
  const scheduled = [{ type: 'PodScheduled', status: 'True' }];
  assert.deepEqual(podProgress(pod({ phase: 'Pending', conditions: scheduled, initContainerStatuses: [{ name: 'init-files', state: { waiting: { reason: 'ContainerCreating' } } }] }), ['main']),
    { phase: 'Pending', reason: 'ContainerCreating' });
  assert.deepEqual(podProgress(pod({ phase: 'Pending', conditions: scheduled, initContainerStatuses: [{ name: 'init-files', state: { running: {} } }] }), ['main']),
    { phase: 'Pending', reason: 'init-files running' });
  assert.deepEqual(podProgress(pod({ phase: 'Pending', conditions: scheduled, containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ErrImagePull' } } }] }), ['main']),
    { phase: 'Pending', reason: 'ErrImagePull' });
  assert.deepEqual(podProgress(pod({ phase: 'Running' }), ['main']), { phase: 'Running' });
});

test('colour: NO_COLOR turns it off, FORCE_COLOR on even in a pipe, else a terminal that is not dumb', () => {
  assert.equal(colourWanted(true, {}), true);
  assert.equal(colourWanted(false, {}), false);
  assert.equal(colourWanted(true, { NO_COLOR: '1' }), false);
  assert.equal(colourWanted(false, { FORCE_COLOR: '1' }), true);
  assert.equal(colourWanted(true, { FORCE_COLOR: '0' }), false);
  assert.equal(colourWanted(false, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
  assert.equal(colourWanted(true, { TERM: 'dumb' }), false);
  assert.equal(eraseLines(0), '');
  assert.equal(eraseLines(2), '\r\x1b[2K\x1b[1A\x1b[2K');
});

test('--timestamps puts the stored stamp, to the millisecond, before each line', () => {
  assert.equal(formatLogLine(record('hello'), false, true), '2026-12-01T10:00:00.123Z [t] hello');
  assert.equal(formatLogLine(record('hello'), false), '[t] hello');
});

test('logs filters: --level, --since as a time ago or a date-time, --tail keeping only the last lines', () => {
  const now = Date.parse('2026-12-01T10:10:00Z');
  assert.equal(parseSince('10m', now), Date.parse('2026-12-01T10:00:00Z'));
  assert.equal(parseSince('PT1H', now), Date.parse('2026-12-01T09:10:00Z'));
  assert.equal(parseSince('2026-12-01T09:00:00Z', now), Date.parse('2026-12-01T09:00:00Z'));
  assert.throws(() => parseSince('yesterday', now), { code: 'USAGE', message: /--since 'yesterday' is neither a time ago/ });
  const warn = logFilterOf({ level: 'warn' }, now);
  assert.equal(keeps(warn, record('x', { level: 'INFO' })), false);
  assert.equal(keeps(warn, record('x', { level: 'ERROR' })), true);
  assert.equal(keeps(logFilterOf({}, now), record('x', { level: 'DEBUG' })), false);
  assert.equal(keeps(logFilterOf({ all: true }, now), record('x', { level: 'TRACE' })), true);
  assert.equal(keeps(logFilterOf({ since: '5m' }, now), record('old')), false);
  assert.equal(keeps(logFilterOf({ since: '15m' }, now), record('new')), true);
  assert.throws(() => logFilterOf({ level: 'LOUD' }), { code: 'USAGE' });
  assert.throws(() => logFilterOf({ tail: '-1' }), { code: 'USAGE' });
  const last = new LastLines(3);
  for (let i = 1; i <= 10; i++) last.offer(record(`line ${i}`));
  assert.deepEqual(last.lines.map((r) => r.line), ['line 8', 'line 9', 'line 10']);
  const few = new LastLines(5);
  few.offer(record('only'));
  assert.deepEqual(few.lines.map((r) => r.line), ['only']);
  assert.deepEqual(new LastLines(0).lines, []);
});

test('a ForEach iteration\'s status line names its value', () => {
  const board = new TaskStatusBoard();
  board.taskRunChanged({ id: 'r2', taskId: 'work', value: 'eu', loopPath: '0', state: 'RUNNING', startedAt: new Date().toISOString() } as TaskRunRecord);
  assert.match(board.lines(false, 80)[0], /^… work eu {2}0s {2}running$/);
});
