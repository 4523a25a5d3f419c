import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Flow, FlowOutputDef, InputDef, InputType } from '../flow/model.ts';
import { FILE_DEFAULTS_MESSAGE } from '../flow/file-names.ts';
import { inputValueProblem } from '../flow/input-values.ts';
import { describeValue } from '../flow/schema-kit.ts';
import { closeMatches } from '../shared/suggest.ts';
import { InputError } from '../shared/errors.ts';

/** The command line may name host files; a Subflow task's inputs only what internal storage holds. */
export type InputSource = 'command line' | 'subflow';

/** A FILE input given by a parent flow: a kestra:// URI of a file it may read, never a host path. */
function storedFileInput(input: InputDef, value: unknown): string {
  if (typeof value === 'string' && value.trim().startsWith('kestra://')) return value.trim();
  throw new InputError(`input '${input.id}': a subflow's FILE input must be a kestra:// URI (an output file or a FILE input), got ${describeValue(value)}`, {
    hint: 'pass an output file, e.g. "{{ outputs.task.outputFiles[\'data.csv\'] }}"',
  });
}

/** A FILE input to copy into internal storage once the execution id exists. */
export interface PendingFile {
  inputId: string;
  path: string;
  fileName: string;
}

export interface ResolvedInputs {
  values: Record<string, unknown>;
  files: PendingFile[];
}

/**
 * Turns `--input k=v` strings (and the flow's defaults) into typed values. Every problem is an
 * InputError that names the input, what was expected and how to pass it; nothing is stored before
 * all inputs are valid.
 */
export async function resolveInputs(flow: Flow, raw: Record<string, unknown>, from: InputSource = 'command line'): Promise<ResolvedInputs> {
  const known = new Map(flow.inputs.map((input) => [input.id, input]));
  for (const id of Object.keys(raw)) {
    if (!known.has(id)) {
      const suggestions = closeMatches(id, [...known.keys()]);
      const hint = suggestions.length ? `did you mean '${suggestions[0]}'?` : known.size ? `the flow's inputs are: ${[...known.keys()].join(', ')}` : 'this flow declares no inputs';
      throw new InputError(`unknown input '${id}' for flow ${flow.namespace}.${flow.id}`, { hint });
    }
  }
  const resolved: ResolvedInputs = { values: {}, files: [] };
  for (const input of flow.inputs) {
    const given = raw[input.id];
    if (given === undefined) {
      if (input.defaults !== undefined && input.type === 'FILE') {
        // Validation refuses these; a flow stored before that rule must not read the host either.
        throw new InputError(`input '${input.id}': ${FILE_DEFAULTS_MESSAGE}`, { hint: `pass the file with --input ${input.id}=@path` });
      }
      if (input.defaults !== undefined) {
        resolved.values[input.id] = await coerce(input, input.defaults, resolved, from);
      } else if (input.required) {
        throw new InputError(`missing required input '${input.id}' (${input.type})`, {
          hint: `pass it with --input ${input.id}=${example(input.type)}`,
        });
      }
      continue;
    }
    resolved.values[input.id] = await coerce(input, given, resolved, from);
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

/**
 * A value from the command line (text) or the flow's `defaults` (already typed) as the input's
 * type wants it; the check itself is the one `harrier validate` applies to defaults.
 */
async function coerce(input: InputDef, value: unknown, resolved: ResolvedInputs, from: InputSource): Promise<unknown> {
  if (input.type === 'FILE') return from === 'subflow' ? storedFileInput(input, value) : fileInput(input, value, resolved);
  return typedValue(input, value, (problem) => {
    throw new InputError(`input '${input.id}': ${problem}`, { hint: `pass it with --input ${input.id}=${example(input.type)}` });
  });
}

/**
 * A flow output's rendered value as its type wants it, as Kestra types outputs like inputs: text
 * that reads as the type becomes it (an INT output's "42" is 42), a number or boolean given to a
 * text type becomes its text, and a value that is not of the type fails the execution.
 */
export function typedFlowOutput(output: FlowOutputDef, value: unknown): unknown {
  const textType = output.type === 'STRING' || output.type === 'SECRET';
  const scalar = typeof value === 'number' || typeof value === 'boolean';
  return typedValue({ type: output.type }, textType && scalar ? String(value) : value, (problem) => {
    throw new InputError(`flow output '${output.id}': ${problem}`, { hint: `make its value render to ${output.type}, or change its type` });
  });
}

/** A value as its type wants it (JSON and YAML text parsed, other text read as the type); `fail` hears what is wrong with one that is not of the type. */
function typedValue(def: Pick<InputDef, 'type' | 'values' | 'itemType'>, value: unknown, fail: (problem: string) => never): unknown {
  if ((def.type === 'YAML' || def.type === 'JSON') && typeof value === 'string') {
    try {
      return def.type === 'YAML' ? parseYaml(value) : JSON.parse(value);
    } catch {
      return fail(`expected ${def.type} text, got ${describeValue(value)}`);
    }
  }
  const candidate = typeof value === 'string' ? fromText(def.type, value) : value;
  const problem = inputValueProblem(def, candidate);
  if (problem) fail(problem);
  return def.type === 'DATETIME' ? new Date(String(candidate)).toISOString() : candidate;
}

/** Command-line text in the shape of the type; text that does not parse stays text and fails the check. */
function fromText(type: InputType, value: string): unknown {
  const text = value.trim();
  switch (type) {
    case 'INT':
      return /^[-+]?\d+$/.test(text) ? Number(text) : value;
    case 'FLOAT':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : value;
    case 'BOOLEAN':
      return text === 'true' ? true : text === 'false' ? false : value;
    case 'DATETIME':
    case 'DATE':
    case 'TIME':
    case 'DURATION':
      return text;
    case 'ARRAY':
    case 'MULTISELECT':
      return parseJsonOr(value, value.split(',').map((item) => item.trim()).filter(Boolean));
    default:
      return value;
  }
}

function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

async function fileInput(input: InputDef, value: unknown, resolved: ResolvedInputs): Promise<string> {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(`input '${input.id}': expected a file path, got ${describeValue(value)}`, { hint: `pass a file with --input ${input.id}=@path/to/file` });
  }
  const text = value.trim();
  const path = resolve(text.startsWith('@') ? text.slice(1) : text);
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch {
    throw new InputError(`input '${input.id}': no readable file at ${path}`, { hint: `pass an existing file with --input ${input.id}=@path/to/file` });
  }
  resolved.files.push({ inputId: input.id, path, fileName: basename(path) });
  return path;
}
