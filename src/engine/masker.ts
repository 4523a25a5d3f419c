/** What every masked secret becomes. */
export const MASK = '******';

/**
 * Fragments shorter than this are not masked on their own: a line of a multi-line secret, or a value
 * computed from a secret. Masking "}" or "yes" everywhere would garble every log while hiding nothing.
 */
export const MIN_FRAGMENT_LENGTH = 4;

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\]/g;

/**
 * The secret values an execution knows of, and their replacement by `******` in any text or value
 * that leaves the engine (log lines, outputs, errors, JSON documents).
 */
export class Masker {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * A secret value, whatever its length; also each line of a multi-line one, since logs arrive line
   * by line, and its JSON-escaped form, as the `::{...}::` protocol lines print it.
   */
  reveal(value: string): void {
    if (value.length === 0) return;
    this.addWhole(value);
    this.addLines(value);
  }

  /** A value computed from a secret (`secret('X') | upper`): its strings are masked like a secret's lines. */
  revealDerived(value: unknown): void {
    if (typeof value === 'string') {
      if (value.trim().length >= MIN_FRAGMENT_LENGTH) this.addWhole(value);
      this.addLines(value);
    } else if (Array.isArray(value)) {
      for (const item of value) this.revealDerived(item);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) this.revealDerived(item);
    }
  }

  /** True when the text holds a secret value. */
  holdsSecret(text: string): boolean {
    const pattern = this.compiled();
    if (!pattern) return false;
    pattern.lastIndex = 0;
    return pattern.test(text);
  }

  /** Replaces every known secret value with `******`, longest first. */
  mask(text: string): string {
    const pattern = this.compiled();
    return pattern ? text.replace(pattern, MASK) : text;
  }

  private addWhole(value: string): void {
    this.add(value);
    this.add(JSON.stringify(value).slice(1, -1));
  }

  private addLines(value: string): void {
    if (!/[\r\n]/.test(value)) return;
    for (const line of value.split(/\r?\n|\r/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_FRAGMENT_LENGTH) this.add(trimmed);
    }
  }

  private add(value: string): void {
    if (!this.values.has(value)) {
      this.values.add(value);
      this.pattern = undefined;
    }
  }

  private compiled(): RegExp | undefined {
    if (this.values.size === 0) return undefined;
    this.pattern ??= new RegExp([...this.values].sort((a, b) => b.length - a.length).map((v) => v.replace(REGEX_SPECIALS, '\\$&')).join('|'), 'g');
    return this.pattern;
  }
}
