/** Built-in functions (`name(args)`): secret, now, render, fromJson, range, min, max, yaml. */
import { parse as parseYamlText } from 'yaml';
import type { FunctionDef } from './callable.ts';
import { EvalFailure } from './errors.ts';
import { compareValues, isNullish, typeName } from './values.ts';

/** `render()` renders its own output again until it stops changing, as Kestra does by default. */
const MAX_RENDER_PASSES = 10;
const MAX_RANGE_ITEMS = 100_000;

function parseJsonText(value: unknown): unknown {
  if (isNullish(value)) return null;
  if (typeof value !== 'string') throw new EvalFailure(`expected a JSON string, got ${typeName(value)}`);
  try {
    return JSON.parse(value);
  } catch (error) {
    // The parser's own message quotes the text, which may be a secret: keep only the position.
    const position = /position (\d+)/.exec((error as Error).message);
    throw new EvalFailure(`the string is not valid JSON${position ? ` (at character ${position[1]})` : ''}`);
  }
}

function range(start: unknown, end: unknown, step: unknown): number[] {
  for (const [what, value] of [['start', start], ['end', end]] as const) {
    if (typeof value !== 'number') throw new EvalFailure(`expected the ${what} to be a number, got ${typeName(value)}`);
  }
  const by = step === undefined || step === null ? 1 : step;
  if (typeof by !== 'number' || by === 0) throw new EvalFailure('the step must be a non-zero number');
  const from = start as number;
  const to = end as number;
  if (Math.abs((to - from) / by) > MAX_RANGE_ITEMS) throw new EvalFailure(`the range would have more than ${MAX_RANGE_ITEMS} items`);
  const items: number[] = [];
  // Pebble's range is inclusive at both ends.
  if (by > 0) for (let i = from; i <= to; i += by) items.push(i);
  else for (let i = from; i >= to; i += by) items.push(i);
  return items;
}

function extreme(args: unknown[], sign: 1 | -1): unknown {
  const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (values.length === 0) throw new EvalFailure('needs at least one value');
  return values.reduce((best, item) => (compareValues(item, best, sign > 0 ? 'max' : 'min') * sign > 0 ? item : best));
}

export const FUNCTIONS: Record<string, FunctionDef> = {
  secret: {
    params: ['key'],
    required: 1,
    apply: ([key], context) => {
      if (typeof key !== 'string' || key === '') throw new EvalFailure(`expected the secret name to be a non-empty string, got ${typeName(key)}`);
      return context.runtime.secret(key);
    },
  },
  now: {
    params: ['timeZone'],
    required: 0,
    apply: (_args, context) => (context.runtime.now ?? (() => new Date()))(),
  },
  render: {
    params: ['toRender', 'recursive'],
    required: 1,
    apply: ([toRender, recursive], context) => {
      if (typeof toRender !== 'string') return toRender ?? null;
      let text = context.render(toRender);
      if (recursive === false) return text;
      for (let pass = 1; pass < MAX_RENDER_PASSES; pass++) {
        const again = context.render(text);
        if (again === text) return text;
        text = again;
      }
      throw new EvalFailure(`the text still changes after ${MAX_RENDER_PASSES} rendering passes (does it render itself?)`);
    },
  },
  fromJson: { params: ['json'], required: 1, apply: ([json]) => parseJsonText(json) },
  json: { params: ['json'], required: 1, apply: ([json]) => parseJsonText(json) },
  jsonDecode: { params: ['json'], required: 1, apply: ([json]) => parseJsonText(json) },
  yaml: {
    params: ['yaml'],
    required: 1,
    apply: ([text]) => {
      if (isNullish(text)) return null;
      if (typeof text !== 'string') throw new EvalFailure(`expected a YAML string, got ${typeName(text)}`);
      try {
        return parseYamlText(text) ?? null;
      } catch (error) {
        const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
        throw new EvalFailure(`the string is not valid YAML${line ? ` (line ${line})` : ''}`);
      }
    },
  },
  range: { params: ['start', 'end', 'increment'], required: 2, apply: ([start, end, step]) => range(start, end, step) },
  max: { params: ['values'], required: 1, variadic: true, apply: (args) => extreme(args, 1) },
  min: { params: ['values'], required: 1, variadic: true, apply: (args) => extreme(args, -1) },
};
