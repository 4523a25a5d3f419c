/**
 * A state directory on a 5 MiB tmpfs and a task printing a million lines: the disk fills within a
 * second. Harrier stops the task with one line, ends the execution FAILED with that reason, keeps
 * the store sound, and `harrier resume` finishes the execution once there is room again.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { flowFile, harrier, runJson, taskRun } from '../support/harrier.ts';
import { mountTmpfs, resizeTmpfs } from '../support/tmpfs.ts';

const FLOW = `id: million
namespace: test
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: before
  - id: noisy
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - seq 1 1000000 | sed 's/^/line /'
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
`;

test('a full disk stops the task with one line, fails the execution with that reason, and resume finishes it once there is room', async (t) => {
  const mount = mountTmpfs(t, 5);
  if (!mount) return;
  const stateDir = join(mount, 'state');
  const flow = flowFile(FLOW);

  const started = Date.now();
  const full = await harrier(['run', flow, '--state-dir', stateDir]);
  assert.equal(full.code, 1, full.stderr);
  assert.ok(Date.now() - started < 60_000, 'stopped, not left to print a million lines into nothing');
  const output = full.stdout + full.stderr;
  assert.doesNotMatch(output, /internal error|\n\s+at |cannot rollback/);
  const reason = new RegExp(`no space left on device at ${stateDir.replace(/[.]/g, '\\.')}, ([\\d,]+) lines stored`);
  const told = output.split('\n').filter((line) => reason.test(line) && !/^\s+noisy: /.test(line));
  assert.equal(told.length, 1, `one line tells why, got:\n${told.join('\n')}`);
  const storedLines = Number(reason.exec(told[0])![1].replace(/,/g, ''));
  assert.ok(storedLines > 0 && storedLines < 1_000_000, told[0]);

  const [listed] = JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout) as { id: string; state: string }[];
  assert.equal(listed.state, 'FAILED');

  // The store is sound and holds what it said it holds.
  const db = new DatabaseSync(join(stateDir, 'harrier.db'), { readOnly: true });
  assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  const row = db.prepare('SELECT failure_json, state FROM executions WHERE id = ?').get(listed.id) as { failure_json: string; state: string };
  db.close();
  assert.equal(row.state, 'FAILED');
  assert.deepEqual(JSON.parse(row.failure_json), { code: 'STORE_DISK_FULL', message: told[0].replace(/^\[\w+\] ERROR (attempt 1 failed: )?/, '') });
  const logs = await harrier(['logs', listed.id, '--state-dir', stateDir]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout.split('\n').filter((line) => /^\[noisy\] line \d+$/.test(line)).length, storedLines - 1, 'every stored line but the first task\'s');

  resizeTmpfs(mount, 400);
  const resumed = await harrier(['resume', listed.id, '--json', '--state-dir', stateDir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout);
  assert.equal(doc.state, 'SUCCESS');
  assert.equal(doc.failure, null);
  assert.deepEqual(taskRun(doc, 'first').attempts.map((a) => a.state), ['SUCCESS'], 'finished tasks do not run again');
  assert.deepEqual(taskRun(doc, 'noisy').attempts.map((a) => a.state), ['FAILED', 'SUCCESS']);
  assert.match(taskRun(doc, 'noisy').attempts[0].error ?? '', reason);
  assert.equal(taskRun(doc, 'after').state, 'SUCCESS');
});

test('an execution FAILED by its own task stays final: resume refuses it', async () => {
  const stateDir = join(flowFile('').replace(/flow\.yaml$/, ''), 'state');
  const { doc } = await runJson(flowFile('id: f\nnamespace: test\ntasks:\n  - id: boom\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["exit 3"]\n'), stateDir);
  assert.equal(doc.state, 'FAILED');
  assert.equal(doc.failure, null);
  const resume = await harrier(['resume', doc.id, '--state-dir', stateDir]);
  assert.equal(resume.code, 1);
  assert.match(resume.stderr, /already ended in FAILED; there is nothing to resume/);
});

test('a FILE input that does not fit in the state directory is one line, not an internal error', async (t) => {
  const mount = mountTmpfs(t, 1);
  if (!mount) return;
  const input = join(flowFile('').replace(/flow\.yaml$/, ''), 'big.bin');
  writeFileSync(input, Buffer.alloc(3 * 1024 * 1024, 1));
  const flow = flowFile('id: f\nnamespace: test\ninputs:\n  - id: data\n    type: FILE\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n');
  const result = await harrier(['run', flow, '--state-dir', join(mount, 'state'), '--input', `data=@${input}`]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^error: no space left on device at ${join(mount, 'state', 'storage').replace(/[.]/g, '\\.')} \\(free some space, or choose another --storage-dir\\)`));
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
});
