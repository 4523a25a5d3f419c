import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveInputs } from '../../../src/engine/inputs.ts';
import { outputPatternProblem, relativeNameProblem } from '../../../src/flow/file-names.ts';
import { parseFlow } from '../../../src/flow/index.ts';
import { InputError } from '../../../src/shared/errors.ts';
import { allowedHostPath, namespaceFolder } from '../../../src/shared/host-paths.ts';
import { kubeConfigFromConnection } from '../../../src/runners/kubernetes/connection.ts';
import { assertSafeOutputPattern, safeRelativePath } from '../../../src/tasks/script/working-dir.ts';
import { flowWithTasks, issuesOf } from './helpers.ts';

test('one rule for inputFiles names, at validation and at run', () => {
  for (const bad of ['../x', '/etc/x', 'a/../../x', '..\\x', '.', '', ' ']) {
    assert.ok(relativeNameProblem(bad), bad);
    assert.throws(() => safeRelativePath(bad, "inputFiles['x']"), { message: `inputFiles['x']: ${relativeNameProblem(bad)}` });
  }
  for (const good of ['x', 'a/b.txt', 'a/../b.txt', 'a..b']) assert.equal(relativeNameProblem(good), undefined, good);
});

test('one rule for outputFiles patterns, at validation and at run', () => {
  for (const bad of ['../*.csv', '/etc/*', 'a/../../b', 'glob:../x', '..\\*.csv', 'regex:/etc/.*']) {
    assert.ok(outputPatternProblem(bad), bad);
    assert.throws(() => assertSafeOutputPattern(bad, 'outputFiles[0]'), { message: `outputFiles[0]: ${outputPatternProblem(bad)}` });
  }
  for (const good of ['*.txt', 'reports/**', 'regex:.*\\.csv', 'a..b.txt']) assert.equal(outputPatternProblem(good), undefined, good);
});

test('validate reports each bad literal name and pattern at its key or item; expressions are left to run time', () => {
  const flow = flowWithTasks([
    '  - id: t',
    '    type: io.kestra.plugin.scripts.shell.Commands',
    '    inputFiles:',
    '      ../x: a',
    '      ok.txt: b',
    '    outputFiles: ["/etc/*", "{{ inputs.dir }}/*.csv", "out/**"]',
    '    commands: [ls]',
    '  - id: pod',
    '    type: io.kestra.plugin.kubernetes.PodCreate',
    '    spec: {containers: []}',
    '    inputFiles:',
    '      /abs: c',
    '',
  ].join('\n'));
  assert.deepEqual(issuesOf(flow), [
    `7:7 tasks[0].inputFiles["../x"]: '../x' must be a relative file name inside the working directory (remove leading "/" and any ".." from the name)`,
    `9:19 tasks[0].outputFiles[0]: '/etc/*' reaches outside the working directory (write patterns relative to the working directory, e.g. "*.csv" or "reports/**")`,
    `15:7 tasks[1].inputFiles["/abs"]: '/abs' must be a relative file name inside the working directory (remove leading "/" and any ".." from the name)`,
  ]);
});

test('a FILE input with defaults is refused at validation, and at run for a flow that skipped it', async () => {
  const text = 'id: f\nnamespace: a\ninputs:\n  - id: data\n    type: FILE\n    defaults: /etc/shadow\ntasks:\n  - id: t\n    type: Log\n    message: hi\n';
  assert.deepEqual(issuesOf(text), [
    "6:5 inputs[0].defaults: a FILE input cannot have 'defaults': a flow may not choose which host file Harrier reads (remove it, and pass the file with --input data=@path)",
  ]);
  const flow = parseFlow(text.replace('    defaults: /etc/shadow\n', ''), 'f.yaml');
  const withDefault = { ...flow, inputs: [{ ...flow.inputs[0], defaults: '/etc/shadow' }] };
  await assert.rejects(resolveInputs(withDefault, {}), (error: unknown) => error instanceof InputError && /cannot have 'defaults'/.test(error.message));
});

test('allowedHostPath: inside a root, also through a symlink that stays inside; never through one that leads out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-hostpaths-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'sub', 'in.txt'), 'in');
  writeFileSync(join(dir, 'out.txt'), 'out');
  symlinkSync(join(root, 'sub', 'in.txt'), join(root, 'link-in'));
  symlinkSync(join(dir, 'out.txt'), join(root, 'link-out'));
  assert.equal(await allowedHostPath(join(root, 'sub', 'in.txt'), [root], 'x'), join(root, 'sub', 'in.txt'));
  assert.equal(await allowedHostPath(join(root, 'link-in'), [join(dir, 'other'), root], 'x'), join(root, 'sub', 'in.txt'));
  for (const path of [join(root, 'link-out'), join(dir, 'out.txt'), join(root, '..', 'out.txt'), '/etc/hostname']) {
    await assert.rejects(allowedHostPath(path, [root], "inputFiles['a']"), /^HarrierError: inputFiles\['a'\]: '.*' is outside the folders a flow may read/);
  }
});

test('namespaceFolder never leaves the namespace-files root, whatever the namespace says', () => {
  assert.equal(namespaceFolder('/ns', 'company.team'), '/ns/company.team');
  for (const bad of ['..', '../etc', 'a/../..', '.']) {
    assert.throws(() => namespaceFolder('/ns', bad), /does not name a folder inside the namespace files/, bad);
  }
});

test('Kubernetes connections cannot name host files: validate refuses them, and so does the connection at run time', () => {
  const flow = flowWithTasks([
    '  - id: t',
    '    type: io.kestra.plugin.scripts.shell.Commands',
    '    taskRunner:',
    '      type: io.kestra.plugin.ee.kubernetes.runner.Kubernetes',
    '      config: {masterUrl: "https://k", caCertFile: /etc/shadow}',
    '    commands: [ls]',
    '  - id: pod',
    '    type: io.kestra.plugin.kubernetes.PodCreate',
    '    spec: {containers: []}',
    '    connection:',
    '      clientCertFile: /etc/ssl/c.pem',
    '      clientKeyFile: /etc/ssl/k.pem',
    '',
  ].join('\n'));
  assert.deepEqual(issuesOf(flow), [
    "8:40 tasks[0].taskRunner.config.caCertFile: 'caCertFile' names a file on the host, which a flow may not make harrier read (give its content in 'caCertData', or connect through your kubeconfig)",
    "14:7 tasks[1].connection.clientCertFile: 'clientCertFile' names a file on the host, which a flow may not make harrier read (give its content in 'clientCertData', or connect through your kubeconfig)",
    "15:7 tasks[1].connection.clientKeyFile: 'clientKeyFile' names a file on the host, which a flow may not make harrier read (give its content in 'clientKeyData', or connect through your kubeconfig)",
  ]);
  assert.throws(() => kubeConfigFromConnection({ masterUrl: 'https://k', clientKeyFile: '/etc/shadow' }),
    /^RunnerError: Kubernetes connection: 'clientKeyFile' names a file on the host/);
  assert.equal(kubeConfigFromConnection({ masterUrl: 'https://k', caCertData: 'QUJD' }).getCurrentCluster()?.caData, 'QUJD');
});
