/**
 * Tests for `value is name` / `value is not name`. `defined` and `null` are also evaluated specially
 * by the evaluator: they accept a value that does not exist at all.
 */
import type { TestDef } from './callable.ts';
import { EvalFailure } from './errors.ts';
import { isNumeric, toNumber } from './numbers.ts';
import { isEmptyValue, isMap, isNullish, typeName } from './values.ts';

/** Pebble's even/odd read any number's whole part. */
function integer(value: unknown, test: string): number {
  if (isNumeric(value)) return Math.trunc(toNumber(value));
  throw new EvalFailure(`the '${test}' test needs a whole number, got ${typeName(value)}`);
}

function isJsonText(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

export const TESTS: Record<string, TestDef> = {
  defined: { apply: (value) => !isNullish(value) },
  null: { apply: (value) => isNullish(value) },
  empty: { apply: isEmptyValue },
  even: { apply: (value) => integer(value, 'even') % 2 === 0 },
  odd: { apply: (value) => Math.abs(integer(value, 'odd') % 2) === 1 },
  iterable: { apply: (value) => Array.isArray(value) },
  map: { apply: isMap },
  json: { apply: isJsonText },
};
