import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCommandLine, scriptCommand, shellQuote } from '../../../src/tasks/script/command-line.ts';
import { parseProtocolLine } from '../../../src/tasks/script/protocol.ts';
import { assertSafeOutputPattern, safeRelativePath, writeInputFiles } from '../../../src/tasks/script/working-dir.ts';
import { InternalStorage } from '../../../src/store/index.ts';

test('the command line is the interpreter plus one argument: set -e, beforeCommands, commands', () => {
  assert.deepEqual(buildCommandLine({ interpreter: ['/bin/sh', '-c'], beforeCommands: ['cd x'], commands: ['a', 'b'], failFast: true }),
    ['/bin/sh', '-c', 'set -e\ncd x\na\nb']);
  assert.deepEqual(buildCommandLine({ interpreter: ['bash', '-lc'], beforeCommands: [], commands: ['a'], failFast: false }), ['bash', '-lc', 'a']);
});

test('script files run with the language program, quoted', () => {
  assert.equal(scriptCommand('python', '/w/.harrier/script.py'), 'python3 /w/.harrier/script.py');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
});

test('protocol lines carry outputs, metrics and logs; other lines are ordinary', () => {
  assert.equal(parseProtocolLine('hello'), undefined);
  assert.equal(parseProtocolLine(' ::{"outputs":{}}::'), undefined, 'the whole line must be the message');
  assert.deepEqual(parseProtocolLine('::{"outputs":{"k":"v","n":1}}::'), { kind: 'message', outputs: { k: 'v', n: 1 }, metrics: [], logs: [] });
  const metrics = parseProtocolLine('::{"metrics":[{"name":"rows","type":"counter","value":5,"tags":{"a":1}}]}::');
  assert.deepEqual(metrics, { kind: 'message', outputs: undefined, metrics: [{ name: 'rows', type: 'counter', value: 5, tags: { a: '1' } }], logs: [] });
  const logs = parseProtocolLine('::{"logs":[{"level":"warn","message":"careful"}]}::');
  assert.deepEqual(logs, { kind: 'message', outputs: undefined, metrics: [], logs: [{ level: 'WARN', message: 'careful' }] });
  assert.equal(parseProtocolLine('::{not json}::')?.kind, 'invalid');
  assert.equal(parseProtocolLine('::{"metrics":[{"name":"x","type":"gauge","value":1}]}::')?.kind, 'invalid');
});

test('file names can never leave the working directory', () => {
  assert.equal(safeRelativePath('a/b.txt', 'p'), 'a/b.txt');
  assert.equal(safeRelativePath('a/../b.txt', 'p'), 'b.txt');
  for (const bad of ['../x', '/etc/passwd', 'a/../../x', '', '.']) {
    assert.throws(() => safeRelativePath(bad, "inputFiles['x']"), /inputFiles\['x'\]: .* must be a relative file name inside the working directory/);
  }
});

test('input files are not written through a symlink that points outside', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-wd-'));
  const outside = mkdtempSync(join(tmpdir(), 'harrier-outside-'));
  symlinkSync(outside, join(dir, 'link'));
  mkdirSync(join(dir, 'real'));
  const storage = new InternalStorage(mkdtempSync(join(tmpdir(), 'harrier-st-')));
  await writeInputFiles(dir, { 'real/ok.txt': 'fine' }, storage);
  await assert.rejects(writeInputFiles(dir, { 'link/evil.txt': 'x' }, storage), /goes through a symbolic link/);
});

test('output patterns that reach outside the working directory are rejected', () => {
  for (const ok of ['*.txt', 'reports/**', 'regex:.*\\.csv', 'a..b.txt']) assertSafeOutputPattern(ok, 'outputFiles[0]');
  for (const bad of ['../*.txt', '/etc/*', 'a/../../b', 'glob:/tmp/*']) {
    assert.throws(() => assertSafeOutputPattern(bad, 'outputFiles[0]'), /outputFiles\[0\]: .* reaches outside the working directory/);
  }
});
