/** Where state lives: per user by default, HARRIER_STATE_DIR and --state-dir over it, never the current directory. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { harrier, REPO_ROOT } from '../support/harrier.ts';

const HELLO = join(REPO_ROOT, 'examples/hello.yaml');

function fresh(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function executionIdOf(stderr: string): string {
  return /Execution (\S+) started/.exec(stderr)![1];
}

test('by default state is per user ($XDG_STATE_HOME/harrier): a run from one folder is listed from another, and neither folder gets state', async () => {
  const xdg = fresh('harrier-xdg-');
  const [here, there] = [fresh('harrier-cwd-'), fresh('harrier-cwd-')];
  const env = { XDG_STATE_HOME: xdg };
  const run = await harrier(['run', HELLO], { cwd: here, env });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`state dir ${join(xdg, 'harrier')}\\)`));
  const listed = await harrier(['executions'], { cwd: there, env });
  assert.match(listed.stdout, new RegExp(executionIdOf(run.stderr)));
  assert.deepEqual([...readdirSync(here), ...readdirSync(there)], []);
  assert.ok(existsSync(join(xdg, 'harrier', 'harrier.db')));
});

test('without XDG_STATE_HOME (or with a relative one) the state dir is ~/.local/state/harrier', async () => {
  for (const XDG_STATE_HOME of [undefined, 'relative/state']) {
    const home = fresh('harrier-home-');
    const run = await harrier(['run', HELLO], { cwd: fresh('harrier-cwd-'), env: { HOME: home, XDG_STATE_HOME } });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(home, '.local', 'state', 'harrier', 'harrier.db')), String(XDG_STATE_HOME));
  }
});

test('HARRIER_STATE_DIR replaces the default, and --state-dir replaces both', async () => {
  const xdg = fresh('harrier-xdg-');
  const fromEnv = join(fresh('harrier-env-'), 'state');
  const fromFlag = join(fresh('harrier-flag-'), 'state');
  const byEnv = await harrier(['run', HELLO], { env: { XDG_STATE_HOME: xdg, HARRIER_STATE_DIR: fromEnv } });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  const byFlag = await harrier(['run', HELLO, '--state-dir', fromFlag], { env: { XDG_STATE_HOME: xdg, HARRIER_STATE_DIR: fromEnv } });
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.ok(existsSync(join(fromEnv, 'harrier.db')) && existsSync(join(fromFlag, 'harrier.db')));
  assert.equal(existsSync(join(xdg, 'harrier')), false);
  const inEnv = await harrier(['executions', '--json'], { env: { HARRIER_STATE_DIR: fromEnv } });
  assert.deepEqual(JSON.parse(inEnv.stdout).map((e: { id: string }) => e.id), [executionIdOf(byEnv.stderr)]);
});

test('read-only commands never create state: executions, logs, executions show (and kill of an unknown id) on a state dir that does not exist', async () => {
  const xdg = fresh('harrier-xdg-');
  const none = await harrier(['executions'], { env: { XDG_STATE_HOME: xdg } });
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /no executions in /);
  for (const args of [['logs', 'ABCDEFGH'], ['executions', 'show', 'ABCDEFGH'], ['kill', 'ABCDEFGH']]) {
    const result = await harrier(args, { env: { XDG_STATE_HOME: xdg } });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^error: no execution 'ABCDEFGH' in .*\n/);
  }
  assert.deepEqual(readdirSync(xdg), []);
});

test('a flow given by a relative path is stored by its absolute path, shown from any other folder', async () => {
  const xdg = fresh('harrier-xdg-');
  const project = fresh('harrier-project-');
  writeFileSync(join(project, 'flow.yaml'), 'id: rel\nnamespace: t\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n');
  const run = await harrier(['run', 'flow.yaml'], { cwd: project, env: { XDG_STATE_HOME: xdg } });
  assert.equal(run.code, 0, run.stderr);
  const shown = await harrier(['executions', 'show', executionIdOf(run.stderr)], { cwd: fresh('harrier-cwd-'), env: { XDG_STATE_HOME: xdg } });
  assert.match(shown.stdout, new RegExp(`^flow file: ${join(project, 'flow.yaml')}$`, 'm'));
});

test('--storage-dir (else HARRIER_STORAGE_DIR) holds a run\'s FILE inputs and output files instead of <state dir>/storage', async () => {
  const flow = join(fresh('harrier-flow-'), 'files.yaml');
  writeFileSync(flow, `id: files
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: copy
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["copy.txt"]
    commands:
      - cat "{{ inputs.data }}" > copy.txt
`);
  const input = join(fresh('harrier-input-'), 'data.txt');
  writeFileSync(input, 'some data\n');
  for (const given of ['flag', 'env'] as const) {
    const [stateDir, storageDir] = [fresh('harrier-state-'), fresh('harrier-storage-')];
    const args = ['run', flow, '--json', '--state-dir', stateDir, '-i', `data=@${input}`, ...(given === 'flag' ? ['--storage-dir', storageDir] : [])];
    const run = await harrier(args, { env: given === 'env' ? { HARRIER_STORAGE_DIR: storageDir } : {} });
    assert.equal(run.code, 0, run.stderr);
    const copy = JSON.parse(run.stdout).taskRuns[0].outputFiles['copy.txt'];
    assert.ok(copy.path.startsWith(`${storageDir}/company/team/files/executions/`), `${given}: ${copy.path}`);
    assert.equal(existsSync(join(stateDir, 'storage')), false, given);
  }
});
