/**
 * Zod building blocks whose error messages read well in a flow validation report:
 * `expected a list of strings, got a number`, `unknown key 'comands' (did you mean 'commands'?)`.
 */
import { z } from 'zod';
import { parseIsoDuration } from '../shared/duration.ts';
import { didYouMean } from '../shared/suggest.ts';

/** The message of an issue raised because a required key is absent; the report names the key. */
export const MISSING_KEY = 'missing required key';

const DURATION_EXAMPLE = 'an ISO-8601 duration like PT5M';

/** A value as a user would name it: `a number`, `a list`, `the string 'abc'`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${describeType(value)} (${value})`;
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}

/** Short type names, used where the value itself does not help (`got a number`). */
export function describeType(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

interface RawIssue {
  code?: string;
  input?: unknown;
}

/** Error function for a schema expecting `what`: a missing value reads as a missing key. */
export function expected(what: string) {
  return (issue: RawIssue): string => {
    if (issue.input === undefined) return MISSING_KEY;
    return `expected ${what}, got ${describeType(issue.input)}`;
  };
}

/** Kestra properties a Kestra user may well write, which Harrier does not implement. */
const KESTRA_ONLY_KEYS = new Set([
  'concurrency', 'revision', 'workerGroup', 'docker', 'outputDirectory', 'inheritClusterConfig', 'disabled', 'checks', 'sla',
]);

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = didYouMean(key, known);
  if (!suggestion && KESTRA_ONLY_KEYS.has(key)) return `unknown key '${key}': Kestra's '${key}' is not supported by Harrier here`;
  return `unknown key '${key}'${suggestion || ` (expected one of: ${known.join(', ')})`}`;
}

/**
 * A map that rejects unknown keys. The unknown-keys issue carries one line per key, in the order
 * of the issue's `keys`, so a report can place each one on its own key.
 */
export function strictMap<Shape extends z.core.$ZodLooseShape>(shape: Shape, what = 'a map') {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n')
      : expected(what)(issue),
  });
}

export function string(what = 'a string') {
  return z.string({ error: expected(what) });
}

export function stringList(what = 'a list of strings') {
  return z.array(string(), { error: expected(what) });
}

/** A scalar that Kestra would take as text: numbers and booleans become their string form. */
export function text(what = 'a string') {
  return z.preprocess(
    (value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value),
    string(what),
  );
}

export function stringMap(what = 'a map of strings') {
  return z.record(z.string(), text(), { error: expected(what) });
}

export function anyMap(what = 'a map') {
  return z.record(z.string(), z.unknown(), { error: expected(what) });
}

/** Booleans; `"true"`/`"false"` count too, as a rendered expression gives text. */
export function boolean() {
  return z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: expected('a boolean (true or false)') }),
  );
}

function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}

export function number(what = 'a number') {
  return z.preprocess(numeric, z.number({ error: expected(what) }));
}

export function integer(what = 'an integer', min?: number) {
  const base = z.number({ error: expected(what) }).int({ error: (issue) => `expected ${what}, got ${describeValue(issue.input)}` });
  const bounded = min === undefined ? base : base.min(min, { error: (issue) => `expected ${what}, got ${describeValue(issue.input)}` });
  return z.preprocess(numeric, bounded);
}

/** An ISO-8601 duration kept as text; the model builder converts it to milliseconds. */
export function duration() {
  return z.string({ error: expected(DURATION_EXAMPLE) }).refine(
    (value) => parseIsoDuration(value) !== undefined,
    { error: (issue) => `expected ${DURATION_EXAMPLE}, got ${describeValue(issue.input)}` },
  );
}

/**
 * Which spellings of a fixed word are accepted: `any case` takes `always`, `Always`, `ALWAYS`;
 * `any case, underscores ignored` also takes `IF_NOT_PRESENT` for `IfNotPresent`.
 */
export type Spelling = 'exact' | 'any case' | 'any case, underscores ignored';

function spellingKey(spelling: Spelling, value: string): string {
  if (spelling === 'exact') return value;
  const lower = value.toLowerCase();
  return spelling === 'any case' ? lower : lower.replaceAll('_', '');
}

/** For the JSON Schema: the words and spelling of each `oneOf` schema. */
export const oneOfWords = new WeakMap<object, { values: readonly string[]; spelling: Spelling }>();

/**
 * One of fixed words, in the given spelling; the value is the canonical word. The editor schema
 * accepts the same spellings (json-schema.ts), so an editor and `harrier validate` agree.
 */
export function oneOf<const Values extends readonly [string, ...string[]]>(values: Values, spelling: Spelling = 'exact') {
  const canonical = new Map(values.map((value) => [spellingKey(spelling, value), value]));
  const schema = z.preprocess(
    (value) => (typeof value === 'string' ? canonical.get(spellingKey(spelling, value)) ?? value : value),
    z.enum(values, {
      error: (issue) => issue.input === undefined
        ? MISSING_KEY
        : `expected one of ${values.join(', ')}, got ${describeValue(issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, values) : ''}`,
    }),
  );
  oneOfWords.set(schema, { values, spelling });
  return schema;
}

/** One of many names of a kind (`input type`): an unknown one is named, with the nearest if any. */
export function knownName<const Values extends readonly [string, ...string[]]>(values: Values, kind: string) {
  return z.enum(values, {
    error: (issue) => {
      if (issue.input === undefined) return MISSING_KEY;
      if (typeof issue.input !== 'string') return `expected ${kind} (a string), got ${describeType(issue.input)}`;
      return `unknown ${kind} '${issue.input}'${didYouMean(issue.input, values) || ` (expected one of ${values.join(', ')})`}`;
    },
  });
}

/** A string matching an id pattern, with the pattern's meaning spelled out. */
export function identifier(pattern: RegExp, meaning: string) {
  return z.string({ error: expected(meaning) }).regex(pattern, {
    error: (issue) => `expected ${meaning}, got ${describeValue(issue.input)}`,
  });
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{');
}

export interface Alternative<Schema extends z.ZodType> {
  /** Whether a value is meant as this alternative (by its shape: string, list, map). */
  accepts: (value: unknown) => boolean;
  schema: Schema;
}

/** For the JSON Schema: what each `either` schema stands for. */
export const eitherAlternatives = new WeakMap<object, z.ZodType>();

/**
 * A value of one of two shapes, chosen by the value's own shape, so that problems inside it are
 * reported in place (a union would only say that nothing matched).
 */
export function either<A extends z.ZodType, B extends z.ZodType>(
  what: string,
  first: Alternative<A>,
  second: Alternative<B>,
): z.ZodType<z.output<A> | z.output<B>, unknown> {
  const schema = z.unknown().transform((value, context) => {
    const chosen = first.accepts(value) ? first.schema : second.accepts(value) ? second.schema : undefined;
    if (!chosen) {
      context.addIssue({ code: 'custom', message: expected(what)({ input: value }) });
      return z.NEVER;
    }
    const result = chosen.safeParse(value);
    if (result.success) return result.data as z.output<A> | z.output<B>;
    for (const issue of result.error.issues) context.addIssue({ ...issue } as Parameters<typeof context.addIssue>[0]);
    return z.NEVER;
  });
  eitherAlternatives.set(schema, z.union([first.schema, second.schema]));
  return schema;
}

export const isText = (value: unknown): boolean => typeof value === 'string';
export const isList = (value: unknown): boolean => Array.isArray(value);
export const isMap = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
