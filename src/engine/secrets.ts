import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ExpressionError, HarrierError } from '../shared/errors.ts';

/**
 * Where `secret('NAME')` values come from: `--secrets-file` (YAML/JSON map, or NAME=value lines),
 * else the environment variable SECRET_NAME holding base64, as Kestra's open-source edition reads them.
 */
export class Secrets {
  private readonly fromFile: Map<string, string>;

  constructor(fromFile: Map<string, string> = new Map()) {
    this.fromFile = fromFile;
  }

  static load(secretsFile: string | undefined): Secrets {
    return new Secrets(secretsFile ? readSecretsFile(secretsFile) : new Map());
  }

  /** The value, or undefined when neither source defines the name. */
  lookup(name: string): string | undefined {
    return this.fromFile.get(name) ?? decodeEnvSecret(name);
  }

  get(name: string): string {
    const value = this.lookup(name);
    if (value === undefined) {
      throw new ExpressionError(`secret '${name}' is not defined`, {
        code: 'SECRET_UNDEFINED',
        hint: `set SECRET_${name} to its base64 value, or add ${name} to the --secrets-file`,
      });
    }
    return value;
  }
}

function decodeEnvSecret(name: string): string | undefined {
  const encoded = process.env[`SECRET_${name}`];
  if (encoded === undefined) return undefined;
  return Buffer.from(encoded.trim(), 'base64').toString('utf8');
}

function readSecretsFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HarrierError(`cannot read the secrets file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      code: 'SECRETS_FILE_INVALID',
      hint: 'check the --secrets-file path',
    });
  }
  const secrets = new Map<string, string>();
  const looksLikeEnvFile = text.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('#') || /^[A-Za-z_][\w.-]*=/.test(line.trim()));
  if (looksLikeEnvFile) {
    for (const line of text.split('\n')) {
      const match = /^\s*([A-Za-z_][\w.-]*)=(.*)$/.exec(line);
      if (match) secrets.set(match[1], match[2].replace(/^(['"])(.*)\1$/, '$2'));
    }
    return secrets;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new HarrierError(`the secrets file ${path} is neither NAME=value lines nor a YAML/JSON map: ${(error as Error).message.split('\n')[0]}`, { code: 'SECRETS_FILE_INVALID' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HarrierError(`the secrets file ${path} must be a map of NAME: value, or NAME=value lines`, { code: 'SECRETS_FILE_INVALID' });
  }
  for (const [key, value] of Object.entries(parsed)) secrets.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  return secrets;
}
