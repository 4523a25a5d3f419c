/**
 * The value model of expressions: JSON-like data plus Date. How values print, compare and read as
 * booleans, following Pebble (and Kestra's JSON printing of maps and lists).
 */
import { EvalFailure } from './errors.ts';
import { compareNumeric, isNumeric, JavaDouble, printNumeric, toNumber } from './numbers.ts';

export type ValueMap = Record<string, unknown>;

export function isMap(value: unknown): value is ValueMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof JavaDouble);
}

export function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** A short description for error messages; never the value itself, which may be a secret. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (isNumeric(value)) return 'a number';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/** The text a value renders to inside a template. */
export function printValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (isNumeric(value)) return printNumeric(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return printDate(value);
  return toJson(value);
}

function printDate(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new EvalFailure('invalid date');
  return value.toISOString();
}

/** `JSON.rawJSON` (Node 21+), not yet in TypeScript's lib. */
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** Compact JSON, as Kestra's `toJson` writes it; dates become ISO strings, big integers keep every digit. */
export function toJson(value: unknown): string {
  // The holder's own value, before JavaDouble's toJSON turns it into a plain number.
  return JSON.stringify(value === undefined ? null : value, function (this: Record<string, unknown>, key: string, item: unknown) {
    const original = this[key];
    if (original instanceof JavaDouble || typeof original === 'bigint') return rawJson(printNumeric(original));
    return item;
  });
}

/** Pebble's `==`: numbers by value, lists and maps structurally, everything else strictly. */
export function valuesEqual(left: unknown, right: unknown): boolean {
  if (isNullish(left) || isNullish(right)) return isNullish(left) && isNullish(right);
  if (isNumeric(left) && isNumeric(right)) return compareNumeric(left, right) === 0;
  if (left instanceof Date && right instanceof Date) return left.getTime() === right.getTime();
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => valuesEqual(item, right[index]));
  }
  if (isMap(left) && isMap(right)) {
    const leftKeys = Object.keys(left);
    if (leftKeys.length !== Object.keys(right).length) return false;
    return leftKeys.every((key) => Object.hasOwn(right, key) && valuesEqual(left[key], right[key]));
  }
  return left === right;
}

/** Ordering for `<`, `>`, sort: numbers, strings and dates, each only against its own kind. */
export function compareValues(left: unknown, right: unknown, operator: string): number {
  if (isNumeric(left) && isNumeric(right)) return compareNumeric(left, right);
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  if (left instanceof Date && right instanceof Date) return left.getTime() - right.getTime();
  throw new EvalFailure(`'${operator}' cannot compare ${typeName(left)} with ${typeName(right)}`);
}

/**
 * Conditions (`if`, `and`, `or`, `not`, ternary): booleans as they are; null, 0, '' and empty lists or
 * maps are false; everything else is true.
 */
export function isTruthy(value: unknown): boolean {
  if (isNullish(value)) return false;
  if (typeof value === 'boolean') return value;
  if (isNumeric(value)) return toNumber(value) !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** Pebble's `empty` test, also what `default` checks: null, blank string, empty list or map. */
export function isEmptyValue(value: unknown): boolean {
  if (isNullish(value)) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return false;
}
