import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configFilePath, kubernetesDefaults, readConfigFile, resolveSettings } from '../../../src/cli/config.ts';
import { hasCode } from '../../../src/shared/errors.ts';

const KINDS = ['process', 'docker', 'kubernetes'];

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'harrier-config-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

test('the config file is $XDG_CONFIG_HOME/harrier/config.yaml, else ~/.config/harrier/config.yaml', () => {
  assert.equal(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/harrier/config.yaml');
  assert.equal(configFilePath({ HOME: '/h' }), '/h/.config/harrier/config.yaml');
  assert.equal(configFilePath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }), '/h/.config/harrier/config.yaml');
});

test('a flag wins over the variable, the variable over the file, the file over the default; file paths are relative to the file', () => {
  const path = configFile('stateDir: state\nsecretsFile: /abs/secrets.yaml\ntaskRunner: Docker\ncontext: kind-dev\n');
  const file = readConfigFile(path, KINDS);
  const env = { HOME: '/h', HARRIER_SECRETS_FILE: '/env/secrets', KUBECONFIG: '/a:/b' };
  const settings = resolveSettings({ taskRunner: 'process' }, env, file);
  assert.deepEqual(settings.stateDir, { value: join(path, '..', 'state'), source: 'file', from: `${path}:1:11` });
  assert.deepEqual(settings.secretsFile, { value: '/env/secrets', source: 'env', from: 'HARRIER_SECRETS_FILE' });
  assert.deepEqual(settings.taskRunner, { value: 'process', source: 'flag', from: '--task-runner' });
  assert.deepEqual(settings.kubeconfig, { value: '/a:/b', source: 'env', from: 'KUBECONFIG' });
  assert.equal(settings.context.value, 'kind-dev');
  assert.deepEqual(resolveSettings({}, { HOME: '/h' }, undefined).stateDir, { value: '/h/.local/state/harrier', source: 'default' });
  assert.deepEqual(resolveSettings({}, { HOME: '/h' }, undefined).serverUrl, { value: undefined });
});

test('an empty file or none sets nothing', () => {
  assert.deepEqual(readConfigFile(configFile(''), KINDS), {});
  assert.equal(readConfigFile('/nonexistent/harrier/config.yaml', KINDS), undefined);
});

test('bad files are one located line each: unknown setting (with a suggestion), wrong type, unknown runner, not a map, bad YAML', () => {
  const cases: [string, RegExp][] = [
    ['stateDir: a\nstatedri: b\n', /:2:1: unknown setting 'statedri' \(did you mean 'stateDir'\?\)/],
    ['namespaceFiles: [a, b]\n', /:1:17: 'namespaceFiles' must be a non-empty string/],
    ['taskRunner: dockr\n', /:1:13: 'taskRunner' must be one of process, docker, kubernetes, not 'dockr'/],
    ['- a\n', /:1:1: the configuration file must be a map of settings/],
    ['stateDir: [\n', /config\.yaml:\d+:\d+: /],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => readConfigFile(configFile(text), KINDS), (error: unknown) => {
      assert.ok(hasCode(error, 'CONFIG_INVALID'), String(error));
      assert.match((error as Error).message, expected);
      assert.equal((error as Error).message.split('\n').length, 1);
      return true;
    });
  }
});

test("run's --kubeconfig/--context defaults: the file's kubeconfig (KUBECONFIG is the runner's own), the context from the variable or the file", () => {
  const file = readConfigFile(configFile('kubeconfig: kube/config\ncontext: from-file\n'), KINDS);
  assert.deepEqual(kubernetesDefaults(resolveSettings({}, { HOME: '/h' }, file)), { kubeconfig: file!.kubeconfig!.value, context: 'from-file' });
  assert.deepEqual(kubernetesDefaults(resolveSettings({}, { HOME: '/h', KUBECONFIG: '/a:/b', HARRIER_KUBE_CONTEXT: 'env' }, file)), { context: 'env' });
  assert.deepEqual(kubernetesDefaults(resolveSettings({ kubeconfig: '/flag', context: 'flag' }, { HOME: '/h' }, file)), {});
});
