import type { ExprRuntime } from '../expr/index.ts';
import { isEncrypted, type SecretCipher } from './encryption.ts';
import { MASK, Masker } from './masker.ts';
import type { Secrets } from './secrets.ts';

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The secrets of one execution. It resolves `secret()` for the execution's expressions, records the
 * names it resolved (never the values) so a later process can resolve them again, and knows every
 * secret value that reached the execution, so `masker` hides them wherever data leaves the engine.
 * What the store keeps of a secret (a SECRET input, an output that holds one) is encrypted.
 */
export class ExecutionSecrets {
  readonly masker = new Masker();
  private readonly source: Secrets;
  private readonly cipher: SecretCipher;
  private readonly names: Set<string>;
  private readonly onNewName: (names: string[]) => void;
  /** Secret values read so far; an expression block during which it grows computed something from a secret. */
  private reads = 0;

  readonly runtime: ExprRuntime = {
    secret: (name) => this.secret(name),
    secretReads: () => this.reads,
    derivedFromSecret: (value) => this.masker.revealDerived(value),
  };

  /** `onNewName` hears the whole list of names each time an expression resolves a new one. */
  constructor(source: Secrets, cipher: SecretCipher, usedNames: readonly string[], onNewName: (names: string[]) => void) {
    this.source = source;
    this.cipher = cipher;
    this.names = new Set(usedNames);
    this.onNewName = onNewName;
  }

  /**
   * Resolves again the secrets that earlier processes of this execution read, so that their values
   * are masked after a resume too. Returns the names that no longer resolve.
   */
  restore(): string[] {
    const missing: string[] = [];
    for (const name of this.names) {
      const value = this.source.lookup(name);
      if (value === undefined) missing.push(name);
      else this.masker.reveal(value);
    }
    return missing;
  }

  /** What the store keeps: every string that holds a secret value is encrypted (inside objects and lists too). */
  seal(value: unknown): unknown {
    if (typeof value === 'string') return this.masker.holdsSecret(value) ? this.cipher.encrypt(value) : value;
    if (!isContainer(value) || isEncrypted(value)) return value;
    return this.copy(value, (item) => this.seal(item));
  }

  /**
   * What the store kept, for expressions: encrypted strings are decrypted and known as secrets from
   * now on, and reading one from an expression counts as reading a secret, so that what the
   * expression computes from it is masked too.
   */
  open<T>(value: T): T {
    if (isEncrypted(value)) return this.decrypt(value) as T;
    if (!isContainer(value)) return value;
    const out: Container = Array.isArray(value) ? [] : {};
    for (const [key, item] of Object.entries(value)) {
      if (isEncrypted(item)) {
        const plain = this.decrypt(item);
        Object.defineProperty(out, key, {
          enumerable: true,
          configurable: true,
          get: () => {
            this.reads++;
            return plain;
          },
        });
      } else {
        (out as Record<string, unknown>)[key] = this.open(item);
      }
    }
    return out as T;
  }

  /** What people and scripts see (the `--json` document, summaries): encrypted values as `******`, every secret masked. */
  redact(value: unknown): unknown {
    if (typeof value === 'string') return this.masker.mask(value);
    if (isEncrypted(value)) return MASK;
    if (!isContainer(value)) return value;
    return this.copy(value, (item) => this.redact(item));
  }

  private secret(name: string): string {
    const value = this.source.get(name);
    if (!this.names.has(name)) {
      this.names.add(name);
      this.onNewName([...this.names]);
    }
    this.masker.reveal(value);
    this.reads++;
    return value;
  }

  private decrypt(encrypted: Parameters<SecretCipher['decrypt']>[0]): string {
    const plain = this.cipher.decrypt(encrypted);
    this.masker.reveal(plain);
    return plain;
  }

  private copy(value: Container, each: (item: unknown) => unknown): Container {
    if (Array.isArray(value)) return value.map(each);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, each(item)]));
  }
}
