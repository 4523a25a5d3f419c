import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { resolveSettings } from '../../../src/cli/config.ts';
import { engineFilesOf } from '../../../src/cli/context.ts';
import { sharedFilesWarning } from '../../../src/cli/commands/service-options.ts';
import { defaultStorageDir, InternalStorage } from '../../../src/store/internal-storage.ts';

test('--storage-dir, else HARRIER_STORAGE_DIR, else the config file names internal storage; else it is left to the default <state dir>/storage', () => {
  const env = { HOME: '/home/ada', HARRIER_STATE_DIR: '/var/harrier' };
  const file = { storageDir: { value: '/mnt/from-file', at: 'config.yaml:1:13' } };
  assert.equal(resolveSettings({}, env, undefined).storageDir.value, undefined);
  assert.deepEqual(resolveSettings({}, { ...env, HARRIER_STORAGE_DIR: '/mnt/shared' }, file).storageDir, { value: '/mnt/shared', source: 'env', from: 'HARRIER_STORAGE_DIR' });
  assert.equal(resolveSettings({ storageDir: 'shared' }, { ...env, HARRIER_STORAGE_DIR: '/mnt/other' }, file).storageDir.value, resolve('shared'), 'the flag wins, made absolute');
  assert.equal(resolveSettings({}, env, file).storageDir.value, '/mnt/from-file');

  assert.deepEqual(engineFilesOf({}, env), { stateDir: '/var/harrier', storageDir: undefined, namespaceFilesRoot: undefined, secretKey: undefined });
  const given = engineFilesOf({ storageDir: 'shared', namespaceFiles: '/mnt/ns' }, env);
  assert.deepEqual([given.storageDir, given.namespaceFilesRoot], [resolve('shared'), '/mnt/ns']);
  assert.equal(defaultStorageDir('/var/harrier'), '/var/harrier/storage');
  const key = randomBytes(32).toString('base64');
  const withKey: Record<string, string | undefined> = { ...env, HARRIER_SECRET_KEY: key };
  assert.deepEqual(engineFilesOf({}, withKey).secretKey?.bytes, Buffer.from(key, 'base64'));
  assert.equal('HARRIER_SECRET_KEY' in withKey, false, 'taken out of the environment tasks inherit');
  assert.throws(() => engineFilesOf({}, { ...env, HARRIER_SECRET_KEY: 'short' }), /HARRIER_SECRET_KEY must be the base64 of 32 random bytes/);
});

test('internal storage rooted in a shared folder: a file put by one process resolves by its URI in another', async () => {
  const shared = mkdtempSync(join(tmpdir(), 'harrier-shared-storage-'));
  const source = join(mkdtempSync(join(tmpdir(), 'harrier-src-')), 'out.txt');
  writeFileSync(source, 'from machine B\n');
  const onB = new InternalStorage(shared);
  const scope = { namespace: 'company.team', flowId: 'f', executionId: 'e1' };
  const stored = await onB.put(onB.taskFileKey(scope, 't', 'r', 'out.txt'), source);
  assert.ok(stored.path.startsWith(`${shared}/company/team/f/executions/e1/`), stored.path);
  const onA = new InternalStorage(shared);
  assert.equal(readFileSync(await onA.resolveUri(stored.uri), 'utf8'), 'from machine B\n');
  await assert.rejects(new InternalStorage(mkdtempSync(join(tmpdir(), 'harrier-other-'))).resolveUri(stored.uri), (error: any) => /no file at/.test(error.message) && /shared --storage-dir/.test(error.userMessage()));
});

test('a server or worker on PostgreSQL without a shared storage dir, namespace files or key is warned, once, of what other machines need', () => {
  const files = { stateDir: '/var/harrier' };
  const key = { bytes: randomBytes(32), origin: 'HARRIER_SECRET_KEY' };
  const complete = { ...files, storageDir: '/mnt/s', namespaceFilesRoot: '/mnt/ns', secretKey: key };
  assert.equal(sharedFilesWarning(undefined, files), undefined, 'the embedded store');
  assert.equal(sharedFilesWarning('/some/state', files), undefined);
  const all = sharedFilesWarning('postgresql://harrier:pw@db/harrier', files)!;
  assert.match(all, /^WARN: .*--storage-dir .*--namespace-files .*HARRIER_SECRET_KEY/);
  assert.equal(all.split('\n').length, 1);
  assert.ok(!all.includes('pw'), 'never the URL');
  assert.deepEqual(sharedFilesWarning('postgres://db/h', { ...complete, storageDir: undefined })!.match(/--storage-dir|--namespace-files|HARRIER_SECRET_KEY/g), ['--storage-dir']);
  assert.deepEqual(sharedFilesWarning('postgres://db/h', { ...complete, namespaceFilesRoot: undefined })!.match(/--storage-dir|--namespace-files|HARRIER_SECRET_KEY/g), ['--namespace-files']);
  assert.deepEqual(sharedFilesWarning('postgres://db/h', { ...complete, secretKey: undefined })!.match(/--storage-dir|--namespace-files|HARRIER_SECRET_KEY/g), ['HARRIER_SECRET_KEY']);
  assert.equal(sharedFilesWarning('postgresql://db/h', complete), undefined);
});
