/** `harrier kill ID`: of an execution whose harrier process died, and of one still running. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { dockerOrSkip } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { flowFile, harrier, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';

function dockerObjectsOf(executionId: string): string[] {
  const filter = `label=harrier.io/execution-id=${executionId}`;
  const containers = execFileSync('docker', ['ps', '-a', '--filter', filter, '--format', 'container {{.ID}}'], { encoding: 'utf8' });
  const volumes = execFileSync('docker', ['volume', 'ls', '--filter', filter, '--format', 'volume {{.Name}}'], { encoding: 'utf8' });
  return `${containers}${volumes}`.split('\n').filter(Boolean);
}

async function startedThenCrashed(flow: string, stateDir: string, ready: RegExp): Promise<string> {
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, ready);
  child.kill('SIGKILL');
  await child.result;
  return id;
}

async function stateOf(id: string, stateDir: string): Promise<{ state: string; taskRuns: { taskId: string; state: string; attempts: { state: string }[] }[] }> {
  const shown = await harrier(['executions', 'show', id, '-o', 'json', '--state-dir', stateDir]);
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout);
}

test('kill of an execution whose harrier died removes its container and volume and stores it KILLED', async (t) => {
  if (!dockerOrSkip(t)) return;
  const image = ensureBusyboxImage();
  const flow = flowFile(`id: orphan
namespace: test
tasks:
  - id: sleeper
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ${image}
    taskRunner: {type: Docker, pullPolicy: NEVER}
    commands: ["echo started", "sleep 120"]
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: must not run
`);
  const stateDir = tempStateDir();
  const id = await startedThenCrashed(flow, stateDir, /\[sleeper\] started/);
  assert.notDeepEqual(dockerObjectsOf(id), [], 'the crash left the container running');
  const killed = await harrier(['kill', id, '--state-dir', stateDir]);
  assert.equal(killed.code, 0, killed.stderr);
  assert.match(killed.stderr, /no harrier process runs execution \S+: removing what it left running/);
  assert.match(killed.stdout, /Execution \S+ KILLED/);
  assert.deepEqual(dockerObjectsOf(id), []);
  const doc = await stateOf(id, stateDir);
  assert.equal(doc.state, 'KILLED');
  assert.deepEqual(doc.taskRuns.map((taskRun) => [taskRun.taskId, taskRun.state]), [['sleeper', 'KILLED']]);
  const again = await harrier(['kill', id, '--state-dir', stateDir]);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /already ended KILLED: nothing to kill/);
});

test('kill of a process flow whose harrier died stores it KILLED; resume then refuses it', async () => {
  const flow = flowFile('id: orphan\nnamespace: test\ntasks:\n  - id: wait\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["echo waiting", "sleep 60"]\n');
  const stateDir = tempStateDir();
  const id = await startedThenCrashed(flow, stateDir, /\[wait\] waiting/);
  const killed = await harrier(['kill', id, '-o', 'json', '--state-dir', stateDir]);
  assert.equal(killed.code, 0, killed.stderr);
  assert.equal(JSON.parse(killed.stdout).state, 'KILLED');
  const resumed = await harrier(['resume', id, '--state-dir', stateDir]);
  assert.match(resumed.stderr, /already ended in KILLED/);
});

test('kill of an execution another harrier runs signals that process, which cleans up and ends it KILLED', async () => {
  const flow = flowFile('id: running\nnamespace: test\ntasks:\n  - id: wait\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["echo waiting", "sleep 60"]\n');
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flow, '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[wait\] waiting/);
  const killed = await harrier(['kill', id, '--state-dir', stateDir]);
  assert.equal(killed.code, 0, killed.stderr);
  assert.match(killed.stderr, new RegExp(`is run by harrier process ${child.pid}: sending it SIGTERM`));
  assert.match(killed.stdout, /Execution \S+ KILLED/);
  const run = await child.result;
  assert.equal(run.code, 1, 'the run ends with its killed execution');
  assert.match(run.stderr, /SIGTERM received/);
});

test('kill of an unknown id is exit 2 with one line', async () => {
  const stateDir = tempStateDir();
  await harrier(['run', flowFile('id: a\nnamespace: t\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n'), '--state-dir', stateDir]);
  const result = await harrier(['kill', 'NOSUCHID', '--state-dir', stateDir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: no execution 'NOSUCHID' in /);
});
