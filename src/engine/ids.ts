import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Kestra-style random ids: 22 base-62 characters. */
export function newId(length = 22): string {
  const bytes = randomBytes(length * 2);
  let id = '';
  for (let i = 0; id.length < length; i++) {
    const byte = bytes[i % bytes.length];
    if (byte < 248) id += ALPHABET[byte % 62];
  }
  return id;
}
