/**
 * Numbers as Pebble sees them: Java longs and doubles. A JavaScript number with a fraction is a
 * double; a whole-valued double (`4.0`, `100.0 * 2`) is a JavaDouble, so it prints as Java does
 * ("200.0"); an integer past 2^53 is a bigint, so it keeps every digit.
 */

export class JavaDouble {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  /** Code outside expressions that writes JSON sees the plain number. */
  toJSON(): number {
    return this.value;
  }
}

export type Numeric = number | bigint | JavaDouble;

/** A double result: whole values are wrapped, so they keep printing as doubles. */
export function double(value: number): number | JavaDouble {
  return Number.isInteger(value) ? new JavaDouble(value) : value;
}

/** An integer result: a bigint only when a number cannot hold it exactly. */
export function integer(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function isNumeric(value: unknown): value is Numeric {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof JavaDouble;
}

export function isDouble(value: unknown): boolean {
  return value instanceof JavaDouble || (typeof value === 'number' && !Number.isInteger(value));
}

/** A whole number that is not a double: Java's long. */
export function isLong(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

export function toNumber(value: Numeric): number {
  return value instanceof JavaDouble ? value.value : Number(value);
}

/** Java's Double.toString: at least one fraction digit, scientific notation outside [10⁻³, 10⁷). */
export function javaDoubleText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

export function printNumeric(value: Numeric): string {
  if (typeof value === 'bigint') return value.toString();
  if (isDouble(value)) return javaDoubleText(toNumber(value));
  return Object.is(value, -0) ? '0' : String(value);
}

/**
 * Pebble's arithmetic: longs stay longs (exact, with bigint past 2^53; division truncates), and
 * anything with a double is a double.
 */
export function calculate(op: '+' | '-' | '*' | '/' | '%', left: Numeric, right: Numeric): Numeric {
  if (isLong(left) && isLong(right)) {
    const a = BigInt(left);
    const b = BigInt(right);
    if ((op === '/' || op === '%') && b === 0n) throw new RangeError(op === '/' ? 'division by zero' : 'modulo by zero');
    if (typeof left === 'number' && typeof right === 'number' && op !== '/' && op !== '%') {
      const quick = op === '+' ? left + right : op === '-' ? left - right : left * right;
      if (Number.isSafeInteger(quick)) return quick;
    }
    return integer(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b);
  }
  const a = toNumber(left);
  const b = toNumber(right);
  return double(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b);
}

export function negate(value: Numeric): Numeric {
  if (typeof value === 'bigint') return integer(-value);
  if (value instanceof JavaDouble) return new JavaDouble(-value.value);
  return -value;
}

/** Numeric order and equality across longs, doubles and bigints. */
export function compareNumeric(left: Numeric, right: Numeric): number {
  if (isLong(left) && isLong(right)) {
    const a = BigInt(left);
    const b = BigInt(right);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return toNumber(left) - toNumber(right);
}

/**
 * JSON text read as Jackson reads it: a number written with a fraction or an exponent is a double,
 * an integer past 2^53 a bigint. Throws SyntaxError as JSON.parse does.
 */
export function parseJsonText(text: string): unknown {
  // JSON.parse's reviver sees each primitive's source text (Node 21+).
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    if (/[.eE]/.test(context.source)) return double(value);
    return Number.isSafeInteger(value) ? value : BigInt(context.source);
  });
}
