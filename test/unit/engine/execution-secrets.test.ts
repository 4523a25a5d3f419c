import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isEncrypted, SecretCipher } from '../../../src/engine/encryption.ts';
import { ExecutionSecrets } from '../../../src/engine/execution-secrets.ts';
import { Secrets } from '../../../src/engine/secrets.ts';
import { renderTemplate } from '../../../src/expr/index.ts';

const SOURCE = new Secrets(new Map([['TOKEN', 's3cr3t-token'], ['OTHER', 'other-value'], ['LIST', 'alpha,beta']]));

function executionSecrets(usedNames: string[] = [], source = SOURCE) {
  const recorded: string[][] = [];
  const cipher = new SecretCipher(mkdtempSync(join(tmpdir(), 'harrier-exec-secrets-')));
  return { secrets: new ExecutionSecrets(source, cipher, usedNames, (names) => recorded.push(names)), recorded, cipher };
}

test('secret() reveals the value and records each new name once, before the value is used', () => {
  const { secrets, recorded } = executionSecrets();
  assert.equal(secrets.masker.mask('s3cr3t-token'), 's3cr3t-token');
  assert.equal(renderTemplate(`{{ secret('TOKEN') }}/{{ secret('TOKEN') }}`, {}, secrets.runtime), 's3cr3t-token/s3cr3t-token');
  assert.equal(secrets.masker.mask('x s3cr3t-token'), 'x ******');
  renderTemplate(`{{ secret('OTHER') }}`, {}, secrets.runtime);
  assert.deepEqual(recorded, [['TOKEN'], ['TOKEN', 'OTHER']]);
});

test('values that filters, operators and loops derive from a secret are masked; counts and tests are not', () => {
  const { secrets } = executionSecrets();
  const rendered = renderTemplate(
    `{{ secret('TOKEN') | upper }} {{ secret('TOKEN') | base64encode }} {{ 'Bearer ' ~ secret('OTHER') }} `
      + `{% for item in secret('LIST') | split(',') %}{{ item }};{% endfor %} {{ secret('TOKEN') | length }} {{ secret('TOKEN') is defined }}`,
    {}, secrets.runtime,
  );
  assert.equal(secrets.masker.mask(rendered), '****** ****** ****** ******;******; 12 true');
  assert.equal(secrets.masker.mask(Buffer.from('s3cr3t-token').toString('base64')), '******');
});

test('restore resolves again the names an earlier process read, and names those that no longer resolve', () => {
  const { secrets } = executionSecrets(['TOKEN', 'GONE']);
  assert.deepEqual(secrets.restore(), ['GONE']);
  assert.equal(secrets.masker.mask('s3cr3t-token'), '******');
});

test('seal encrypts the strings that hold a secret; open decrypts them, and reading one taints what is computed from it', () => {
  const first = executionSecrets();
  renderTemplate(`{{ secret('TOKEN') }}`, {}, first.secrets.runtime);
  const outputs = { vars: { url: 'https://me:s3cr3t-token@host', plain: 'public' }, list: ['s3cr3t-token'], exitCode: 0 };
  const sealed = first.secrets.seal(outputs) as { vars: Record<string, unknown>; list: unknown[]; exitCode: number };
  assert.ok(isEncrypted(sealed.vars.url));
  assert.ok(isEncrypted(sealed.list[0]));
  assert.equal(sealed.vars.plain, 'public');
  assert.doesNotMatch(JSON.stringify(sealed), /s3cr3t/);
  assert.deepEqual(first.secrets.redact(sealed), { vars: { url: '******', plain: 'public' }, list: ['******'], exitCode: 0 });

  // A later process of the same execution, which has not called secret() itself.
  const later = new ExecutionSecrets(new Secrets(), first.cipher, [], () => {});
  const opened = later.open(JSON.parse(JSON.stringify(sealed))) as typeof outputs;
  assert.deepEqual(JSON.parse(JSON.stringify(opened)), outputs);
  assert.equal(later.masker.mask('s3cr3t-token https://me:s3cr3t-token@host'), '****** ******');
  const rendered = renderTemplate('{{ outputs.t1.vars.url | upper }}', { outputs: { t1: opened } }, later.runtime);
  assert.equal(later.masker.mask(rendered), '******');
});
