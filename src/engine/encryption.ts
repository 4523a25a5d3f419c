import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError, UsageError } from '../shared/errors.ts';

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

/** The variable that gives every server and worker the same key, as Kestra's `kestra.encryption.secret-key`. */
export const SECRET_KEY_VARIABLE = 'HARRIER_SECRET_KEY';

/** A key given from outside the state directory, and where it came from (for messages, never the key). */
export interface GivenKey {
  bytes: Buffer;
  origin: string;
}

/** The key in `text` (base64 of 32 bytes, as `openssl rand -base64 32` prints); anything else is a one-line usage error. */
export function parseSecretKey(text: string, origin = SECRET_KEY_VARIABLE): GivenKey {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  // Buffer.from skips what is not base64: a round trip tells a real key from one with stray characters.
  const canonical = bytes.toString('base64').replace(/=+$/, '') === trimmed.replace(/=+$/, '');
  if (!canonical || bytes.length !== KEY_BYTES) {
    const found = canonical ? `it decodes to ${bytes.length} bytes` : 'it is not base64';
    throw new UsageError(`${origin} must be the base64 of ${KEY_BYTES} random bytes, but ${found}`, {
      hint: `make one with \`openssl rand -base64 ${KEY_BYTES}\`, and give every server and worker the same one`,
    });
  }
  return { bytes, origin };
}

/** HARRIER_SECRET_KEY's key, or undefined when it is unset or empty (the state directory's key file is used). */
export function secretKeyFromEnv(env: NodeJS.ProcessEnv = process.env): GivenKey | undefined {
  const text = env[SECRET_KEY_VARIABLE];
  return text ? parseSecretKey(text) : undefined;
}

/**
 * Encrypts the secrets the store keeps (SECRET inputs, outputs that hold a secret) with one key per
 * state directory, made on first use, unless a key is given (HARRIER_SECRET_KEY: the same on every
 * machine that shares a store). Whoever can read the key can read those secrets: it is there so
 * that the database alone (a copy, a backup, a bug report) never reveals them.
 */
export class SecretCipher {
  private readonly keyPath: string;
  private readonly keyOrigin: string;
  private key: Buffer | undefined;

  constructor(stateDir: string, given?: GivenKey) {
    this.keyPath = join(stateDir, KEY_FILE_NAME);
    this.key = given?.bytes;
    this.keyOrigin = given?.origin ?? `the key in ${this.keyPath}`;
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
      throw new StoreError(`a secret in this store does not decrypt with ${this.keyOrigin}`, {
        code: 'SECRET_KEY_MISMATCH',
        hint: `every server and worker on one store needs the same key (set the same ${SECRET_KEY_VARIABLE} everywhere); else the key file was replaced or the store was copied without it: run the flow again`,
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
          code: 'SECRET_KEY_MISMATCH',
          hint: `restore the key file, or run the flow again; on several machines, give every server and worker the same ${SECRET_KEY_VARIABLE}`,
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
