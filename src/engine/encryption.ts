import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../shared/errors.ts';

/** Kestra's marker for an encrypted string (its `EncryptedString`), kept so stored values read the same. */
export const ENCRYPTED_TYPE = 'io.kestra.datatype:aes_encrypted';

/** A secret as the store keeps it: base64 of IV, AES-256-GCM ciphertext and tag. */
export interface EncryptedString {
  type: typeof ENCRYPTED_TYPE;
  value: string;
}

export function isEncrypted(value: unknown): value is EncryptedString {
  return typeof value === 'object' && value !== null && (value as EncryptedString).type === ENCRYPTED_TYPE
    && typeof (value as EncryptedString).value === 'string';
}

/** The key's file in the state directory, readable by its owner only. */
export const KEY_FILE_NAME = 'secret.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts the secrets the store keeps (SECRET inputs, outputs that hold a secret) with one key per
 * state directory, made on first use. Whoever can read the key file can read those secrets: it is
 * there so that the database alone (a copy, a backup, a bug report) never reveals them.
 */
export class SecretCipher {
  private readonly keyPath: string;
  private key: Buffer | undefined;

  constructor(stateDir: string) {
    this.keyPath = join(stateDir, KEY_FILE_NAME);
  }

  encrypt(text: string): EncryptedString {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(true), iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return { type: ENCRYPTED_TYPE, value: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
  }

  decrypt(encrypted: EncryptedString): string {
    const bytes = Buffer.from(encrypted.value, 'base64');
    try {
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', this.loadKey(false), bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`a secret stored in this state directory does not decrypt with the key in ${this.keyPath}`, {
        hint: 'the key file was replaced or the store was copied without it; run the flow again',
      });
    }
  }

  private loadKey(create: boolean): Buffer {
    if (this.key) return this.key;
    let text: string;
    try {
      text = readFileSync(this.keyPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.unreadable(error);
      if (!create) {
        throw new StoreError(`the key that encrypts this state directory's secrets is missing: ${this.keyPath}`, {
          hint: 'restore the key file, or run the flow again',
        });
      }
      text = this.createKey();
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new StoreError(`${this.keyPath} does not hold a ${KEY_BYTES}-byte base64 key`, { hint: 'restore the key file from a backup' });
    }
    this.key = key;
    return key;
  }

  /** Writes a new key unless another process just did; either way returns the key on disk. */
  private createKey(): string {
    const temporary = `${this.keyPath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      // A link never replaces an existing file, so two processes agree on the first key written.
      linkSync(temporary, this.keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw this.unreadable(error);
    } finally {
      rmSync(temporary, { force: true });
    }
    return readFileSync(this.keyPath, 'utf8');
  }

  private unreadable(error: unknown): StoreError {
    return new StoreError(`cannot use the key file ${this.keyPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'check that the state directory is writable and the key file readable by you',
      cause: error,
    });
  }
}
