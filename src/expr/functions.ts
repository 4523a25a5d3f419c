/** Built-in functions (`name(args)`): secret, read, now, render, fromJson, range, min, max, yaml, ids, random numbers, currentEachOutput. */
import { randomInt, randomUUID } from 'node:crypto';
import { parse as parseYamlText } from 'yaml';
import type { CallContext, FunctionDef } from './callable.ts';
import { formatDate, toDate } from './dates.ts';
import { EvalFailure } from './errors.ts';
import { double, integer, isNumeric, parseJsonText as readJson, toNumber } from './numbers.ts';
import { compareValues, isMap, isNullish, toJson, typeName } from './values.ts';

/** `render()` renders its own output again until it stops changing, as Kestra does by default. */
const MAX_RENDER_PASSES = 10;
const MAX_RANGE_ITEMS = 100_000;

function parseJsonText(value: unknown): unknown {
  if (isNullish(value)) return null;
  if (typeof value !== 'string') throw new EvalFailure(`expected a JSON string, got ${typeName(value)}`);
  try {
    return readJson(value);
  } catch (error) {
    // The parser's own message quotes the text, which may be a secret: keep only the position.
    const position = /position (\d+)/.exec((error as Error).message);
    throw new EvalFailure(`the string is not valid JSON${position ? ` (at character ${position[1]})` : ''}`);
  }
}

/**
 * Pebble's range: inclusive at both ends, over whole numbers (fractions are cut, as Java's
 * longValue) or over single characters.
 */
function range(start: unknown, end: unknown, step: unknown): (number | string)[] {
  const by = step === undefined || step === null ? 1 : step;
  if (!isNumeric(by)) throw new EvalFailure(`the step must be a number, got ${typeName(by)}`);
  const increment = Math.trunc(toNumber(by));
  if (increment === 0) throw new EvalFailure('the step must be a non-zero number');
  const characters = typeof start === 'string' && typeof end === 'string';
  if (!(isNumeric(start) && isNumeric(end)) && !(characters && start.length === 1 && end.length === 1)) {
    throw new EvalFailure(`the start and end must both be numbers or both be single characters, got ${typeName(start)} and ${typeName(end)}`);
  }
  const from = characters ? (start as string).charCodeAt(0) : Math.trunc(toNumber(start as number));
  const to = characters ? (end as string).charCodeAt(0) : Math.trunc(toNumber(end as number));
  if (Math.abs((to - from) / increment) > MAX_RANGE_ITEMS) throw new EvalFailure(`the range would have more than ${MAX_RANGE_ITEMS} items`);
  const items: number[] = [];
  if (increment > 0) for (let i = from; i <= to; i += increment) items.push(i);
  else for (let i = from; i >= to; i += increment) items.push(i);
  return characters ? items.map((code) => String.fromCharCode(code)) : items;
}

/** Renders every string inside a value, once; maps and lists keep their shape. */
function renderValue(value: unknown, context: CallContext): unknown {
  if (typeof value === 'string') return context.render(value);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, context)]));
  return value;
}

/** `render()` renders its own output again until it stops changing, as Kestra does by default. */
function renderUntilStable(value: unknown, context: CallContext): unknown {
  let current = renderValue(value, context);
  for (let pass = 1; pass < MAX_RENDER_PASSES; pass++) {
    const again = renderValue(current, context);
    if (toJson(again) === toJson(current)) return current;
    current = again;
  }
  throw new EvalFailure(`the text still changes after ${MAX_RENDER_PASSES} rendering passes (does it render itself?)`);
}

function wholeNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new EvalFailure(`expected ${what} to be a whole number, got ${typeName(value)}`);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Kestra's ids: a random UUID written in base 62 (22 characters). */
function base62Id(): string {
  let value = BigInt(`0x${randomUUID().replace(/-/g, '')}`);
  let text = '';
  while (value > 0n) {
    text = BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return text.padStart(22, '0');
}

function yamlNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return integer(value);
  if (typeof value === 'number') return double(value);
  if (Array.isArray(value)) return value.map(yamlNumbers);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, yamlNumbers(item)]));
  return value;
}

function expectText(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new EvalFailure(`expected ${what} to be a string, got ${typeName(value)}`);
}

function extreme(args: unknown[], sign: 1 | -1): unknown {
  const values = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (values.length === 0) throw new EvalFailure('needs at least one value');
  return values.reduce((best, item) => (compareValues(item, best, sign > 0 ? 'max' : 'min') * sign > 0 ? item : best));
}

/**
 * Kestra's `currentEachOutput(outputs.t)`: the outputs of task t in the current ForEach iteration,
 * found under the values of the enclosing iterations (outermost first) and this task run's own.
 */
function currentEachOutput(outputs: unknown, context: CallContext): unknown {
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
    throw new EvalFailure(`currentEachOutput() expects the outputs of a task inside a ForEach (outputs.my_task), got ${typeName(outputs)}`);
  }
  const parents = context.variable('parents');
  const values = (Array.isArray(parents) ? parents : []).flatMap((parent) => {
    const value = (parent as { taskrun?: { value?: unknown } })?.taskrun?.value;
    return value === undefined ? [] : [String(value)];
  }).reverse();
  const own = (context.variable('taskrun') as { value?: unknown } | undefined)?.value;
  if (own === undefined) return undefined;
  values.push(String(own));
  let node: unknown = outputs;
  for (const value of values) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, value)) return undefined;
    node = (node as Record<string, unknown>)[value];
  }
  return node;
}

export const FUNCTIONS: Record<string, FunctionDef> = {
  currentEachOutput: { params: ['outputs'], required: 1, apply: ([outputs], context) => currentEachOutput(outputs, context) },
  secret: {
    params: ['key'],
    required: 1,
    apply: ([key], context) => {
      if (typeof key !== 'string' || key === '') throw new EvalFailure(`expected the secret name to be a non-empty string, got ${typeName(key)}`);
      return context.runtime.secret(key);
    },
  },
  read: {
    params: ['path'],
    required: 1,
    apply: ([path], context) => {
      if (typeof path !== 'string' || path === '') throw new EvalFailure(`expected a storage URI or a namespace file path, got ${typeName(path)}`);
      if (!context.runtime.read) throw new EvalFailure('no files can be read here');
      return context.runtime.read(path);
    },
  },
  now: {
    params: ['format', 'timeZone', 'existingFormat', 'locale'],
    required: 0,
    apply: ([format, timeZone], context) => {
      const now = (context.runtime.now ?? (() => new Date()))();
      const zone = isNullish(timeZone) ? undefined : expectText(timeZone, 'timeZone');
      return formatDate(toDate(now), isNullish(format) ? undefined : expectText(format, 'the format'), zone);
    },
  },
  render: {
    params: ['toRender', 'recursive'],
    required: 1,
    apply: ([toRender, recursive], context) => {
      if (isNullish(toRender)) return null;
      return recursive === false ? renderValue(toRender, context) : renderUntilStable(toRender, context);
    },
  },
  renderOnce: {
    params: ['toRender'],
    required: 1,
    apply: ([toRender], context) => (isNullish(toRender) ? null : renderValue(toRender, context)),
  },
  block: {
    params: ['name'],
    required: 1,
    apply: ([name], context) => context.renderBlock(expectText(name, "the block's name")),
  },
  uuid: { params: [], required: 0, apply: () => randomUUID() },
  id: { params: [], required: 0, apply: () => base62Id() },
  randomInt: {
    params: ['lower', 'upper'],
    required: 2,
    // Kestra's bounds: lower included, upper excluded, except that equal bounds give that number.
    apply: ([lower, upper]) => {
      const from = wholeNumber(lower, 'lower');
      const to = wholeNumber(upper, 'upper');
      if (to < from) throw new EvalFailure(`upper (${to}) is less than lower (${from})`);
      return to === from ? from : randomInt(from, to);
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
        // Integers come as bigint so that floats, even whole ones, can be told apart and stay doubles.
        return yamlNumbers(parseYamlText(text, { intAsBigInt: true }) ?? null);
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
