/** Whether a value suits an input's type: used for `defaults` now, and reusable for run-time values. */
import { parseIsoDuration } from '../shared/duration.ts';
import type { InputDef, InputType } from './model.ts';
import { describeType, describeValue } from './schema-kit.ts';

/** What is wrong with `value` as a value of `input`, or undefined when it fits. */
export function inputValueProblem(input: Pick<InputDef, 'type' | 'values' | 'itemType'>, value: unknown): string | undefined {
  return problemFor(input.type, input, value);
}

function problemFor(type: InputType, input: Pick<InputDef, 'values' | 'itemType'>, value: unknown): string | undefined {
  const fails = (what: string) => `expected ${what}, got ${describeValue(value)}`;
  const isText = typeof value === 'string';
  switch (type) {
    case 'STRING':
    case 'SECRET':
    case 'FILE':
      return isText ? undefined : `expected a string, got ${describeType(value)}`;
    case 'EMAIL':
      return isText && /^[^@\s]+@[^@\s]+$/.test(value) ? undefined : fails('an email address');
    case 'URI':
      return isText && URL.canParse(value) ? undefined : fails('a URI like https://example.com/x');
    case 'INT':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : fails('an integer');
    case 'FLOAT':
      return typeof value === 'number' ? undefined : fails('a number');
    case 'BOOLEAN':
      return typeof value === 'boolean' ? undefined : fails('true or false');
    case 'DATETIME':
      return isText && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : fails('an ISO-8601 date-time like 2024-01-31T12:00:00Z');
    case 'DATE':
      return isText && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : fails('a date like 2024-01-31');
    case 'TIME':
      return isText && /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$/.test(value) ? undefined : fails('a time like 13:45:00');
    case 'DURATION':
      return isText && parseIsoDuration(value) !== undefined ? undefined : fails('an ISO-8601 duration like PT5M');
    case 'JSON':
      return !isText || parsesAsJson(value) ? undefined : fails('JSON');
    case 'YAML':
      return undefined;
    case 'ENUM':
    case 'SELECT':
      return isText && (input.values ?? []).includes(value) ? undefined : fails(`one of ${(input.values ?? []).join(', ')}`);
    case 'MULTISELECT':
      return Array.isArray(value) && value.every((item) => typeof item === 'string' && (input.values ?? []).includes(item))
        ? undefined
        : fails(`a list of values among ${(input.values ?? []).join(', ')}`);
    case 'ARRAY': {
      if (!Array.isArray(value)) return fails('a list');
      if (!input.itemType) return undefined;
      const index = value.findIndex((item) => problemFor(input.itemType as InputType, input, item) !== undefined);
      return index < 0 ? undefined : `item ${index}: ${problemFor(input.itemType, input, value[index])}`;
    }
  }
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
