import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ENCRYPTED_TYPE, isEncrypted, KEY_FILE_NAME, parseSecretKey, SecretCipher, secretKeyFromEnv } from '../../../src/engine/encryption.ts';
import { hasCode, StoreError } from '../../../src/shared/errors.ts';

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

test('HARRIER_SECRET_KEY: base64 of 32 bytes is the key of every state directory, and no key file is made', () => {
  const text = randomBytes(32).toString('base64');
  const key = secretKeyFromEnv({ HARRIER_SECRET_KEY: `${text}\n` });
  assert.ok(key);
  assert.equal(key.bytes.length, 32);
  const [machineA, machineB] = [stateDir(), stateDir()];
  const encrypted = new SecretCipher(machineA, key).encrypt('hunter2');
  assert.equal(new SecretCipher(machineB, parseSecretKey(text)).decrypt(encrypted), 'hunter2', 'another machine with the same key decrypts it');
  assert.equal(existsSync(join(machineA, KEY_FILE_NAME)), false);
  new SecretCipher(machineB).encrypt('B makes its own key file');
  assert.throws(() => new SecretCipher(machineB).decrypt(encrypted), /does not decrypt with the key in .*secret\.key/, 'without the variable, B\'s own key file does not fit');
  assert.throws(() => new SecretCipher(machineA, parseSecretKey(randomBytes(32).toString('base64'))).decrypt(encrypted), /does not decrypt with HARRIER_SECRET_KEY/);
  assert.equal(secretKeyFromEnv({}), undefined);
  assert.equal(secretKeyFromEnv({ HARRIER_SECRET_KEY: '' }), undefined);
});

test('a HARRIER_SECRET_KEY that is not base64 of 32 bytes is a usage error naming the variable and how to make one, never the value', () => {
  const cases: [string, RegExp][] = [
    [randomBytes(16).toString('base64'), /decodes to 16 bytes/],
    [randomBytes(33).toString('base64'), /decodes to 33 bytes/],
    ['not a key at all, not base64!', /is not base64/],
    [`${randomBytes(32).toString('base64')}*`, /is not base64/],
  ];
  for (const [value, reason] of cases) {
    assert.throws(() => secretKeyFromEnv({ HARRIER_SECRET_KEY: value }), (error: any) => {
      assert.ok(hasCode(error, 'USAGE'), String(error));
      const message = error.userMessage();
      assert.match(message, /^HARRIER_SECRET_KEY must be the base64 of 32 random bytes/);
      assert.match(message, reason);
      assert.match(message, /openssl rand -base64 32/);
      assert.ok(!message.includes(value), 'the value is never shown');
      assert.equal(message.split('\n').length, 1);
      return true;
    });
  }
});
