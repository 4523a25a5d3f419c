/** The commands users expect: one exit-code rule for all, -o json|yaml, executions show, --help, completion. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { flowFile, harrier, REPO_ROOT, startHarrier, tempStateDir, waitForOutput } from '../support/harrier.ts';

const HELLO = join(REPO_ROOT, 'examples/hello.yaml');
const FAILS = flowFile('id: fails\nnamespace: t\ntasks:\n  - id: bad\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["exit 3"]\n');
const INVALID = flowFile('id: invalid\nnamespace: t\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n    mesage: hi\n');
const WITH_FILES = flowFile(`id: files
namespace: t
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: ["report.txt"]
    commands:
      - echo made > report.txt
      - echo the report is made
      - echo '::{"outputs":{"rows":42}}::'
outputs:
  - id: total
    type: STRING
    value: "{{ outputs.make.vars.rows }}"
`);

/** One state dir with one successful execution of WITH_FILES, shared by the read-only checks. */
const shared = tempStateDir();
let sharedId: string;
test.before(async () => {
  const run = await harrier(['run', WITH_FILES, '-o', 'json', '--state-dir', shared]);
  assert.equal(run.code, 0, run.stderr);
  sharedId = JSON.parse(run.stdout).id;
});

test('exit codes: 0 success, 1 failed execution, 2 invalid flows, inputs, usage and missing files, for each command', async () => {
  const state = ['--state-dir', shared];
  const missingSecrets = join(tmpdir(), 'harrier-no-such-secrets.yaml');
  const badConfig = mkdtempSync(join(tmpdir(), 'harrier-config-'));
  spawnSync('mkdir', ['-p', join(badConfig, 'harrier')]);
  writeFileSync(join(badConfig, 'harrier', 'config.yaml'), 'nope: 1\n');
  const cases: [string[], number, Record<string, string>?][] = [
    [['run', HELLO, ...state], 0],
    [['run', FAILS, ...state], 1],
    [['run', INVALID, ...state], 2],
    [['run', '/no/such/flow.yaml', ...state], 2],
    [['run', HELLO, '--secrets-file', missingSecrets, ...state], 2],
    [['run', HELLO, '--input', 'nope=1', ...state], 2],
    [['run', HELLO, '--task-runner', 'nope', ...state], 2],
    [['resume', 'NOSUCHID', ...state], 2],
    [['kill', 'NOSUCHID', ...state], 2],
    [['executions', ...state], 0],
    [['executions', '--limit', 'x', ...state], 2],
    [['executions', 'show', sharedId, ...state], 0],
    [['executions', 'show', 'NOSUCHID', ...state], 2],
    [['logs', sharedId, ...state], 0],
    [['logs', 'NOSUCHID', ...state], 2],
    [['validate', HELLO], 0],
    [['validate', INVALID], 2],
    [['validate', '/no/such/flow.yaml'], 2],
    [['schema'], 0],
    [['config'], 0],
    [['config'], 2, { XDG_CONFIG_HOME: badConfig }],
    [['completion', 'bash'], 0],
    [['completion', 'tcsh'], 2],
    [['run'], 2],
    [['frobnicate'], 2],
    [['--version'], 0],
    [['--help'], 0],
    [['run', '--help'], 0],
  ];
  for (const [args, code, env] of cases) {
    const result = await harrier(args, { env });
    assert.equal(result.code, code, `harrier ${args.join(' ')}: ${result.stderr}`);
    if (code === 2) assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace: harrier ${args.join(' ')}`);
  }
});

test('bare harrier prints the help on stderr and exits 2 (usage)', async () => {
  const result = await harrier([]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^Usage: harrier \[options\] \[command\]/);
  assert.match(result.stderr, /Exit codes:/);
});

test('Ctrl-C (SIGINT) during a run exits 130, the execution stored KILLED', async () => {
  const stateDir = tempStateDir();
  const child = startHarrier(['run', flowFile('id: long\nnamespace: t\ntasks:\n  - id: wait\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: ["echo waiting", "sleep 60"]\n'), '--state-dir', stateDir]);
  const id = (await waitForOutput(child, /Execution (\S+) started/)).split(' ')[1];
  await waitForOutput(child, /\[wait\] waiting/);
  child.kill('SIGINT');
  const result = await child.result;
  assert.equal(result.code, 130, result.stderr);
  const shown = await harrier(['executions', 'show', id, '-o', 'json', '--state-dir', stateDir]);
  assert.equal(JSON.parse(shown.stdout).state, 'KILLED');
});

test('-o json and -o yaml print the same document, on every command that prints data; --json stays an alias', async () => {
  const state = ['--state-dir', shared];
  for (const args of [['executions', ...state], ['executions', 'show', sharedId, ...state], ['validate', HELLO, INVALID], ['config'], ['kill', sharedId, ...state]]) {
    const json = await harrier([...args, '-o', 'json']);
    const yaml = await harrier([...args, '-o', 'yaml']);
    const alias = await harrier([...args, '--json']);
    assert.ok(json.stdout, `${args.join(' ')} -o json printed nothing: ${json.stderr}`);
    assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout), args.join(' '));
    assert.equal(alias.stdout, json.stdout, args.join(' '));
  }
  const run = await harrier(['run', HELLO, '-o', 'yaml', ...state]);
  assert.equal(parseYaml(run.stdout).state, 'SUCCESS');
  assert.match(run.stderr, /\[greet\] Hello/, 'logs go to stderr');
  const schema = await harrier(['schema', '-o', 'yaml']);
  assert.deepEqual(parseYaml(schema.stdout), JSON.parse((await harrier(['schema'])).stdout));
  const logs = await harrier(['logs', sharedId, '-o', 'json', ...state]);
  const records = logs.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.ok(records.some((record) => record.taskId === 'make' && typeof record.timestamp === 'string' && 'level' in record), logs.stdout);
  const validated = JSON.parse((await harrier(['validate', HELLO, INVALID, '-o', 'json'])).stdout);
  assert.deepEqual(validated.map((v: { valid: boolean }) => v.valid), [true, false]);
  assert.ok(validated[1].problems.some((problem: { message: string; line: number }) => /mesage/.test(problem.message) && problem.line === 6), JSON.stringify(validated[1]));
});

test('executions show prints the state, inputs, outputs, task outputs and output files', async () => {
  const shown = await harrier(['executions', 'show', sharedId, '--state-dir', shared]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Execution ${sharedId} SUCCESS in \\S+ \\(flow t\\.files\\)`));
  assert.match(shown.stdout, /^outputs:\n {2}total: 42$/m);
  assert.match(shown.stdout, /^make outputs:\n {2}vars: \{"rows":42\}$/m);
  assert.match(shown.stdout, /^Output files:\n {2}make\s+report\.txt\s+\/\S+report\.txt$/m);
  const doc = JSON.parse((await harrier(['executions', 'show', sharedId.slice(0, 8), '-o', 'json', '--state-dir', shared])).stdout);
  assert.equal(doc.outputs.total, '42');
  assert.match(doc.taskRuns[0].outputFiles['report.txt'].uri, /^kestra:\/\/\/t\/files\/executions\//);
});

test('--help of each command has examples, exit codes and environment variables', async () => {
  for (const command of [[], ['run'], ['resume'], ['kill'], ['executions'], ['executions', 'show'], ['logs'], ['validate'], ['config'], ['completion']]) {
    const help = await harrier([...command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /\nExamples:\n {2}\$ .*harrier /, command.join(' '));
    assert.match(help.stdout, /\nExit codes:\n {2}0 /, command.join(' '));
    if (command[0] !== 'completion') assert.match(help.stdout, /\nEnvironment:\n {2}\S+/, command.join(' '));
  }
  const run = (await harrier(['run', '--help'])).stdout;
  for (const code of ['0', '1', '2', '130']) assert.match(run, new RegExp(`^ {2}${code} +\\S`, 'm'));
  assert.match(run, /^ {2}HARRIER_STATE_DIR +/m);
});

/** The candidates the bash completion offers for a command line ending in `words`' last word. */
function bashComplete(script: string, words: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'harrier-completion-')), 'harrier.bash');
  writeFileSync(file, script);
  const line = words.map((word) => `'${word}'`).join(' ');
  const result = spawnSync('bash', ['--norc', '-c', `source ${file}; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _harrier; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean).sort();
}

test('bash completion, generated from the command tree: commands, sub-commands, options and their choices', async () => {
  const script = (await harrier(['completion', 'bash'])).stdout;
  assert.deepEqual(bashComplete(script, ['harrier', '']), ['completion', 'config', 'executions', 'kill', 'logs', 'resume', 'run', 'schema', 'server', 'validate', 'worker']);
  assert.deepEqual(bashComplete(script, ['harrier', 'ru']), ['run']);
  assert.deepEqual(bashComplete(script, ['harrier', 'executions', 's']), ['show']);
  assert.deepEqual(bashComplete(script, ['harrier', 'run', 'flow.yaml', '--task-runner', '']), ['docker', 'kubernetes', 'process']);
  assert.deepEqual(bashComplete(script, ['harrier', 'run', '--state-dir', '/tmp', '--ta']), ['--task-runner']);
  assert.deepEqual(bashComplete(script, ['harrier', 'executions', 'show', 'ID', '-o', '']), ['json', 'yaml']);
  assert.deepEqual(bashComplete(script, ['harrier', 'executions', 'show', 'ID', '--st']), ['--state-dir']);
  assert.deepEqual(bashComplete(script, ['harrier', 'completion', '']), ['bash', 'fish', 'zsh']);
  assert.ok(bashComplete(script, ['harrier', 'run', `${REPO_ROOT}/examples/hel`]).includes(`${REPO_ROOT}/examples/hello.yaml`));
});

test('zsh and fish scripts: loaded by the shell when it is installed', async (t) => {
  const zsh = (await harrier(['completion', 'zsh'])).stdout;
  const fish = (await harrier(['completion', 'fish'])).stdout;
  assert.match(zsh, /bashcompinit/);
  assert.match(fish, /^complete -c harrier -n '__fish_use_subcommand' -a 'run' -d /m);
  assert.match(fish, /-l task-runner -x -a 'process docker kubernetes'/);
  for (const [shell, script, check] of [['zsh', zsh, 'autoload -U compinit && compinit -u; source'], ['fish', fish, 'source']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${shell}`]).status !== 0) {
      t.diagnostic(`${shell} is not installed here: its script was checked as text only`);
      continue;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'harrier-completion-')), `harrier.${shell}`);
    writeFileSync(file, script);
    const loaded = spawnSync(shell, ['-c', `${check} ${file}`], { encoding: 'utf8' });
    assert.equal(loaded.status, 0, loaded.stderr);
  }
});
