import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Flow, InputDef, InputType } from '../flow/model.ts';
import { closeMatches } from '../shared/suggest.ts';
import { parseIsoDuration } from '../shared/duration.ts';
import { InputError } from '../shared/errors.ts';

/** A FILE input to copy into internal storage once the execution id exists. */
export interface PendingFile {
  inputId: string;
  path: string;
  fileName: string;
}

export interface ResolvedInputs {
  values: Record<string, unknown>;
  files: PendingFile[];
  /** SECRET inputs: their values are masked in logs. */
  secretValues: string[];
}

/**
 * Turns `--input k=v` strings (and the flow's defaults) into typed values. Every problem is an
 * InputError that names the input, what was expected and how to pass it; nothing is stored before
 * all inputs are valid.
 */
export async function resolveInputs(flow: Flow, raw: Record<string, string>): Promise<ResolvedInputs> {
  const known = new Map(flow.inputs.map((input) => [input.id, input]));
  for (const id of Object.keys(raw)) {
    if (!known.has(id)) {
      const suggestions = closeMatches(id, [...known.keys()]);
      const hint = suggestions.length ? `did you mean '${suggestions[0]}'?` : known.size ? `the flow's inputs are: ${[...known.keys()].join(', ')}` : 'this flow declares no inputs';
      throw new InputError(`unknown input '${id}' for flow ${flow.namespace}.${flow.id}`, { hint });
    }
  }
  const resolved: ResolvedInputs = { values: {}, files: [], secretValues: [] };
  for (const input of flow.inputs) {
    const given = raw[input.id];
    if (given === undefined) {
      if (input.defaults !== undefined) {
        resolved.values[input.id] = await coerce(input, input.defaults, resolved);
      } else if (input.required) {
        throw new InputError(`missing required input '${input.id}' (${input.type})`, {
          hint: `pass it with --input ${input.id}=${example(input.type)}`,
        });
      }
      continue;
    }
    resolved.values[input.id] = await coerce(input, given, resolved);
  }
  return resolved;
}

function example(type: InputType): string {
  const examples: Partial<Record<InputType, string>> = {
    INT: '42', FLOAT: '3.14', BOOLEAN: 'true', DATETIME: '2024-01-31T10:00:00Z', DATE: '2024-01-31', TIME: '10:00:00',
    DURATION: 'PT5M', JSON: '\'{"a":1}\'', FILE: '@path/to/file', ARRAY: '\'["a","b"]\'', MULTISELECT: '\'["a","b"]\'',
  };
  return examples[type] ?? 'value';
}

async function coerce(input: InputDef, value: unknown, resolved: ResolvedInputs): Promise<unknown> {
  const fail = (expected: string): never => {
    throw new InputError(`input '${input.id}': expected ${expected}, got ${JSON.stringify(value)}`, {
      hint: `pass it with --input ${input.id}=${example(input.type)}`,
    });
  };
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (input.type) {
    case 'STRING':
    case 'EMAIL':
    case 'URI':
      if (typeof value !== 'string') return String(value);
      if (input.type === 'EMAIL' && !/^[^@\s]+@[^@\s]+$/.test(value)) fail('an e-mail address');
      if (input.type === 'URI' && !URL.canParse(value)) fail('a URI');
      return value;
    case 'SECRET': {
      const secret = String(value);
      if (secret) resolved.secretValues.push(secret);
      return secret;
    }
    case 'INT': {
      const number = typeof value === 'number' ? value : text !== undefined && /^[-+]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(number)) fail('an integer');
      return number;
    }
    case 'FLOAT': {
      const number = typeof value === 'number' ? value : text ? Number(text) : NaN;
      if (!Number.isFinite(number)) fail('a number');
      return number;
    }
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      if (text === 'true' || text === 'false') return text === 'true';
      return fail('true or false');
    case 'DATETIME':
      if (text === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(Date.parse(text))) fail('an ISO-8601 date-time like 2024-01-31T10:00:00Z');
      return new Date(text!).toISOString();
    case 'DATE':
      if (text === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) fail('a date like 2024-01-31');
      return text;
    case 'TIME':
      if (text === undefined || !/^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) fail('a time like 10:00:00');
      return text;
    case 'DURATION':
      if (text === undefined || parseIsoDuration(text) === undefined) fail('an ISO-8601 duration like PT5M');
      return text;
    case 'JSON':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return fail('JSON text');
      }
    case 'YAML':
      if (typeof value !== 'string') return value;
      try {
        return parseYaml(value);
      } catch {
        return fail('YAML text');
      }
    case 'ENUM':
    case 'SELECT':
      if (!input.values?.includes(String(value))) fail(`one of ${(input.values ?? []).join(', ')}`);
      return String(value);
    case 'MULTISELECT':
    case 'ARRAY': {
      let list: unknown = value;
      if (typeof value === 'string') {
        try {
          list = JSON.parse(value);
        } catch {
          list = value.split(',').map((item) => item.trim()).filter(Boolean);
        }
      }
      if (!Array.isArray(list)) fail('a list, as JSON or comma-separated');
      if (input.type === 'MULTISELECT') {
        for (const item of list as unknown[]) if (!input.values?.includes(String(item))) fail(`values among ${(input.values ?? []).join(', ')}`);
      }
      return list;
    }
    case 'FILE': {
      if (text === undefined) return fail('a file path, e.g. @data.csv');
      const path = resolve(text.startsWith('@') ? text.slice(1) : text);
      try {
        if (!(await stat(path)).isFile()) throw new Error('not a file');
      } catch {
        throw new InputError(`input '${input.id}': no readable file at ${path}`, { hint: `pass an existing file with --input ${input.id}=@path/to/file` });
      }
      resolved.files.push({ inputId: input.id, path, fileName: basename(path) });
      return path;
    }
  }
}
