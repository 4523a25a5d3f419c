import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENCRYPTED_TYPE, isEncrypted, KEY_FILE_NAME, SecretCipher } from '../../../src/engine/encryption.ts';
import { StoreError } from '../../../src/shared/errors.ts';

const stateDir = (): string => mkdtempSync(join(tmpdir(), 'harrier-cipher-'));

test('a secret encrypts to Kestra\'s encrypted-string shape and back, under a key file only its owner reads', () => {
  const dir = stateDir();
  const encrypted = new SecretCipher(dir).encrypt('hunter2-π');
  assert.equal(encrypted.type, ENCRYPTED_TYPE);
  assert.ok(isEncrypted(encrypted));
  assert.doesNotMatch(Buffer.from(encrypted.value, 'base64').toString('latin1'), /hunter2/);
  assert.equal(statSync(join(dir, KEY_FILE_NAME)).mode & 0o777, 0o600);
  assert.equal(new SecretCipher(dir).decrypt(encrypted), 'hunter2-π', 'another process reads it with the same key file');
  assert.notEqual(new SecretCipher(dir).encrypt('hunter2-π').value, encrypted.value, 'a fresh IV each time');
});

test('a tampered value, another key or a missing key file is a StoreError, never a wrong plaintext', () => {
  const dir = stateDir();
  const encrypted = new SecretCipher(dir).encrypt('hunter2');
  const bytes = Buffer.from(encrypted.value, 'base64');
  bytes[14] ^= 1;
  assert.throws(() => new SecretCipher(dir).decrypt({ ...encrypted, value: bytes.toString('base64') }), StoreError);
  const other = stateDir();
  new SecretCipher(other).encrypt('x');
  writeFileSync(join(dir, KEY_FILE_NAME), readFileSync(join(other, KEY_FILE_NAME)));
  assert.throws(() => new SecretCipher(dir).decrypt(encrypted), /does not decrypt with the key/);
  rmSync(join(dir, KEY_FILE_NAME));
  assert.throws(() => new SecretCipher(dir).decrypt(encrypted), /key that encrypts this state directory's secrets is missing/);
});
