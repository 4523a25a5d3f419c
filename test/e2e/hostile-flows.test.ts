/**
 * Hostile or absurd flows, run as a user would: each one is refused with exit 2 and one located
 * line, before anything is stored, and no flow makes Harrier read a host file it was not given.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowFile, harrier, runJson, taskRun, tempStateDir } from '../support/harrier.ts';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `harrier validate` and `harrier run` both refuse the flow: exit 2, only `expected` on stderr, nothing stored. */
async function refused(yaml: string, expected: RegExp): Promise<void> {
  const flow = flowFile(yaml);
  const stateDir = tempStateDir();
  for (const args of [['validate', flow], ['run', flow, '--state-dir', stateDir]]) {
    const result = await harrier(args);
    assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], new RegExp(`^${escape(flow)}:\\d+:\\d+: `));
    assert.match(lines[0], expected);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  }
  assert.deepEqual(JSON.parse((await harrier(['executions', '--json', '--state-dir', stateDir])).stdout), []);
}

const log = (message: string) => `id: f\nnamespace: test\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: ${JSON.stringify(message)}\n`;

test('a YAML alias bomb and an undefined alias are one located line, exit 2', async () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  }
  await refused(`id: f\nnamespace: test\nvariables:\n${levels.map((line) => `  ${line}`).join('\n')}\ntasks: [{id: t, type: Log, message: hi}]\n`,
    /:9:\d+: the YAML aliases expand to more than 100,000 nodes, the limit/);
  await refused('id: f\nnamespace: test\nvariables:\n  a: *nope\ntasks: [{id: t, type: Log, message: hi}]\n',
    /:4:6: the alias '\*nope' names no anchor/);
});

test('a flow over the size limit is refused at once, without being read', async () => {
  const flow = flowFile(`${log('hi')}# ${'x'.repeat(50 * 1024 * 1024)}\n`);
  const started = Date.now();
  const result = await harrier(['validate', flow]);
  assert.equal(result.code, 2);
  assert.match(result.stderr.trim(), new RegExp(`^${escape(flow)}:1:1: the flow file has 52,428,9\\d\\d bytes, more than the limit of 4,194,304 bytes \\(4 MiB\\)`));
  assert.ok(Date.now() - started < 5_000, 'refused without parsing');
});

test('too many tasks, and a string over the length limit, are located', async () => {
  const tasks = Array.from({ length: 5_001 }, (_, i) => `  - {id: t${i}, type: Log, message: hi}`).join('\n');
  await refused(`id: f\nnamespace: test\ntasks:\n${tasks}\n`, /:5004:5: tasks\[5000\]: the flow has more than 5,000 tasks/);
  await refused(log('a'.repeat(1024 * 1024 + 1)), /:6:14: tasks\[0\]\.message: this string has 1,048,577 characters/);
});

test('an expression deeper than the evaluator allows fails validate, not the run', async () => {
  await refused(log(`{{ ${Array(100_000).fill('1').join(' + ')} }}`), /:6:\d+: tasks\[0\]\.message: invalid expression: the expression chains or nests more than 500 operations/);
  await refused(log(`{{ 'a'${' | upper'.repeat(50_000)} }}`), /:6:\d+: tasks\[0\]\.message: invalid expression: the expression chains or nests more than 500 operations/);
});

test('inputFiles names and outputFiles patterns that leave the working directory fail validate, as they fail run', async () => {
  for (const [name, at] of [['../x', '7:7'], ['/etc/x', '7:7'], ['a/../../x', '7:7'], ['..\\\\x', '7:7']]) {
    await refused(`id: f\nnamespace: test\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    inputFiles:\n      "${name}": hi\n    commands: [ls]\n`,
      new RegExp(`:${at}: tasks\\[0\\]\\.inputFiles\\[.*\\]: '.*' must be a relative file name inside the working directory`));
  }
  for (const pattern of ['../*.csv', '/etc/*', 'regex:/etc/.*', 'a/../../b']) {
    await refused(`id: f\nnamespace: test\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    outputFiles: ['${pattern}']\n    commands: [ls]\n`,
      /:6:19: tasks\[0\]\.outputFiles\[0\]: '.*' reaches outside the working directory/);
  }
});

test('a FILE input with defaults is refused: a flow cannot make Harrier read a host file', async () => {
  for (const defaults of ['/etc/shadow', 'file:///etc/shadow', '../../etc/hostname']) {
    await refused(`id: f\nnamespace: test\ninputs:\n  - id: f\n    type: FILE\n    defaults: "${defaults}"\ntasks: [{id: t, type: Log, message: hi}]\n`,
      /:6:5: inputs\[0\]\.defaults: a FILE input cannot have 'defaults': a flow may not choose which host file Harrier reads \(remove it, and pass the file with --input f=@path\)/);
  }
});

test('an inputFiles storage URI cannot reach a host file, by its path or through a symlink inside storage', async () => {
  const stateDir = tempStateDir();
  mkdirSync(join(stateDir, 'storage'), { recursive: true });
  const secret = join(tempStateDir('harrier-secret-'), 'secret.txt');
  writeFileSync(secret, 'top secret\n');
  symlinkSync(secret, join(stateDir, 'storage', 'link.txt'));
  for (const uri of ['kestra:///link.txt', `kestra:///../..${secret}`]) {
    const flow = flowFile(`id: f\nnamespace: test\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    inputFiles:\n      x.txt: "${uri}"\n    commands: [cat x.txt]\n`);
    const { doc, code, stdout, stderr } = await runJson(flow, stateDir);
    assert.equal(code, 1);
    assert.equal(doc.state, 'FAILED');
    assert.match(taskRun(doc, 't').attempts[0].error ?? '', /outside the folders a flow may read|leaves the storage folder/);
    assert.doesNotMatch(stdout + stderr, /top secret/);
  }
});

test('namespace files: a symlink in the namespace folder is not followed out of it', async () => {
  const stateDir = tempStateDir();
  const folder = join(stateDir, 'namespace-files', 'test');
  mkdirSync(folder, { recursive: true });
  const secret = join(tempStateDir('harrier-secret-'), 'secret.txt');
  writeFileSync(secret, 'top secret\n');
  writeFileSync(join(folder, 'plain.txt'), 'plain\n');
  symlinkSync(secret, join(folder, 'link.txt'));
  symlinkSync(join(secret, '..'), join(folder, 'linked-dir'));
  const flow = flowFile('id: f\nnamespace: test\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    namespaceFiles: {enabled: true}\n    commands: ["cat plain.txt", "ls -R"]\n');
  const { doc, code, stderr } = await runJson(flow, stateDir);
  assert.equal(code, 0, stderr);
  assert.equal(doc.state, 'SUCCESS');
  assert.match(stderr, /\[t\] plain/);
  assert.doesNotMatch(stderr, /top secret|link\.txt|linked-dir|secret\.txt/);
});
