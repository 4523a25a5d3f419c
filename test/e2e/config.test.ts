/** `harrier config` and the configuration file as the commands read it. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { harrier, REPO_ROOT } from '../support/harrier.ts';

function configHome(text: string): string {
  const home = mkdtempSync(join(tmpdir(), 'harrier-config-home-'));
  mkdirSync(join(home, 'harrier'));
  writeFileSync(join(home, 'harrier', 'config.yaml'), text);
  return home;
}

test('harrier config shows each value and where it came from: flag, env, file, default', async () => {
  const home = configHome('secretsFile: secrets.yaml\nnamespaceFiles: /srv/ns\n');
  const result = await harrier(['config', '-o', 'json'], { env: { XDG_CONFIG_HOME: home, HARRIER_NAMESPACE_FILES: '/env/ns' } });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  assert.deepEqual(doc.configFile, { path: join(home, 'harrier', 'config.yaml'), exists: true });
  assert.deepEqual(doc.settings.secretsFile, { value: join(home, 'harrier', 'secrets.yaml'), source: 'file', from: `${join(home, 'harrier', 'config.yaml')}:1:14` });
  assert.deepEqual(doc.settings.namespaceFiles, { value: '/env/ns', source: 'env', from: 'HARRIER_NAMESPACE_FILES' });
  assert.equal(doc.settings.stateDir.source, 'default');
  assert.deepEqual(doc.settings.serverUrl, { value: null, source: null, from: null });
  const text = await harrier(['config'], { env: { XDG_CONFIG_HOME: home } });
  assert.match(text.stdout, /^secretsFile\s+\S+secrets\.yaml\s+file \(\S+config\.yaml:1:14\)$/m);
  const yaml = await harrier(['config', '-o', 'yaml'], { env: { XDG_CONFIG_HOME: home } });
  assert.match(yaml.stdout, /^settings:\n {2}stateDir:\n {4}value: /m);
});

test('the config file\'s stateDir and secretsFile are used by run, and a flag still wins', async () => {
  const home = configHome('stateDir: ../state-from-file\nsecretsFile: ../secrets.yaml\n');
  writeFileSync(join(home, 'secrets.yaml'), 'GREETING: configured\n');
  const flow = join(mkdtempSync(join(tmpdir(), 'harrier-flow-')), 'flow.yaml');
  writeFileSync(flow, 'id: s\nnamespace: t\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ secret(\'GREETING\') | length }}"\n');
  const run = await harrier(['run', flow], { env: { XDG_CONFIG_HOME: home } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /\[say\] 10/);
  assert.ok(existsSync(join(home, 'state-from-file', 'harrier.db')));
  const flagged = join(home, 'flagged');
  assert.equal((await harrier(['run', flow, '--state-dir', flagged], { env: { XDG_CONFIG_HOME: home } })).code, 0);
  assert.ok(existsSync(join(flagged, 'harrier.db')));
});

test('a bad config file stops every command with one located line and exit 2', async () => {
  const home = configHome('stateDir: ok\ntaskRuner: docker\n');
  for (const args of [['config'], ['executions'], ['run', join(REPO_ROOT, 'examples/hello.yaml')]]) {
    const result = await harrier(args, { env: { XDG_CONFIG_HOME: home } });
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /^error: \S+config\.yaml:2:1: unknown setting 'taskRuner' \(did you mean 'taskRunner'\?\)/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});
