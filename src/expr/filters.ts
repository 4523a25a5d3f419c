/**
 * Built-in filters (`value | name(args)`): Pebble's core ones and the Kestra additions flows use.
 * Arguments arrive in parameter order; a missing optional argument is undefined.
 */
import { createHash } from 'node:crypto';
import type { FilterDef } from './callable.ts';
import { addToDate, epochParts, formatDate, toDate } from './dates.ts';
import { EvalFailure } from './errors.ts';
import { formatNumber, toIon, toYaml } from './formats.ts';
import { runJq } from './jq.ts';
import { double, isNumeric, negate, parseJsonText, toNumber, type Numeric } from './numbers.ts';
import { compareValues, isEmptyValue, isMap, isNullish, printValue, toJson, typeName } from './values.ts';

function expectString(value: unknown, what = 'the input'): string {
  if (typeof value === 'string') return value;
  if (isNumeric(value) || typeof value === 'boolean') return printValue(value);
  throw new EvalFailure(`expected ${what} to be a string, got ${typeName(value)}`);
}

function expectInteger(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new EvalFailure(`expected ${what} to be a whole number, got ${typeName(value)}`);
}

function expectList(value: unknown, what = 'the input'): unknown[] {
  if (Array.isArray(value)) return value;
  throw new EvalFailure(`expected ${what} to be a list, got ${typeName(value)}`);
}

function expectMap(value: unknown, what = 'the input'): Record<string, unknown> {
  if (isMap(value)) return value;
  throw new EvalFailure(`expected ${what} to be a map, got ${typeName(value)}`);
}

/** String filters pass null through, as Pebble does. */
function stringFilter(transform: (text: string) => string): FilterDef {
  return { params: [], required: 0, apply: (input) => (isNullish(input) ? null : transform(expectString(input))) };
}

function optionalString(value: unknown, what: string): string | undefined {
  return value === undefined || value === null ? undefined : expectString(value, what);
}

function sortList(list: unknown[]): unknown[] {
  return [...list].sort((a, b) => compareValues(a, b, 'sort'));
}

/** Java's URLEncoder: spaces become '+', and only letters, digits and `.-*_` stay as they are. */
function urlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hashFilter(algorithm: string): FilterDef {
  return {
    params: [],
    required: 0,
    apply: (input) => (isNullish(input) ? null : createHash(algorithm).update(expectString(input), 'utf8').digest('hex')),
  };
}

/** Kestra's number filter (commons-lang NumberUtils): a fraction or FLOAT/DOUBLE gives a double. */
function parseNumber(input: unknown, type: string | undefined): Numeric {
  if (isNumeric(input)) return input;
  const text = expectString(input).trim();
  const kind = type?.toUpperCase();
  if (kind !== undefined && !['INT', 'INTEGER', 'LONG', 'FLOAT', 'DOUBLE', 'BIGDECIMAL', 'BIGINTEGER'].includes(kind)) {
    throw new EvalFailure(`unknown number type '${type}' (expected INT, LONG, FLOAT, DOUBLE, BIGDECIMAL or BIGINTEGER)`);
  }
  const wholeOnly = kind === 'INT' || kind === 'INTEGER' || kind === 'LONG' || kind === 'BIGINTEGER';
  const pattern = wholeOnly ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  if (!pattern.test(text)) {
    throw new EvalFailure(`cannot convert the string to ${wholeOnly ? 'a whole number' : 'a number'}`);
  }
  const value = Number(text);
  if (kind === 'FLOAT' || kind === 'DOUBLE' || !/^[+-]?\d+$/.test(text)) return double(value);
  // A whole number past 2^53 keeps every digit, as Kestra's Long or BigInteger does.
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

function slice<T extends string | unknown[]>(input: T, from: unknown, to: unknown): T {
  const length = input.length;
  const start = from === undefined || from === null ? 0 : expectInteger(from, 'fromIndex');
  const end = to === undefined || to === null ? length : expectInteger(to, 'toIndex');
  if (start < 0 || end > length || start > end) {
    throw new EvalFailure(`cannot slice from ${start} to ${end}: the input has ${length} ${typeof input === 'string' ? 'characters' : 'items'}`);
  }
  return input.slice(start, end) as T;
}

function replace(input: unknown, search: unknown, replacement: unknown, regexp: unknown): string | null {
  if (isNullish(input)) return null;
  let text = expectString(input);
  const pairs: [string, string][] = isMap(search)
    ? Object.entries(search).map(([from, to]) => [from, printValue(to)])
    : [[expectString(search, 'the search text'), replacement === undefined ? '' : printValue(replacement)]];
  for (const [from, to] of pairs) {
    if (regexp === true) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(from, 'g');
      } catch (error) {
        throw new EvalFailure(`invalid regular expression '${from}': ${(error as Error).message}`);
      }
      text = text.replace(pattern, to.replace(/\$(\d)/g, '$$$1'));
    } else {
      text = text.split(from).join(to);
    }
  }
  return text;
}

function flatten(list: unknown[]): unknown[] {
  return list.flatMap((item) => (Array.isArray(item) ? flatten(item) : [item]));
}

/** The line break Kestra's indent filters look for: the first of CRLF, LFCR, LF, CR the text holds. */
function lineBreakOf(text: string): string {
  return ['\r\n', '\n\r', '\n', '\r'].find((candidate) => text.includes(candidate)) ?? '\n';
}

/** Kestra's indent/nindent: the padding goes after every line break, blank lines included; '' stays ''. */
function indentFilter(newLine: boolean): FilterDef {
  return {
    params: ['amount', 'prefix'],
    required: 1,
    apply: (input, [amount, prefix]) => {
      if (isNullish(input)) return null;
      const text = expectString(input);
      if (text === '') return text;
      const count = expectInteger(amount, 'the amount');
      if (count < 0) throw new EvalFailure(`the amount must be 0 or more, got ${count}`);
      const padding = (optionalString(prefix, 'the prefix') ?? ' ').repeat(count);
      const lineBreak = lineBreakOf(text);
      return (newLine ? lineBreak + text : text).split(lineBreak).join(lineBreak + padding);
    },
  };
}

/** Java's basic Base64 decoder: the standard alphabet only, padding optional but well placed. */
function decodeBase64(text: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1 || (text.includes('=') && text.length % 4 !== 0)) {
    throw new EvalFailure('the input is not valid base64');
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

type EscapeStyle = 'single' | 'double' | 'shell';
const ESCAPES: Record<EscapeStyle, [string, string]> = { single: ["'", "\\'"], double: ['"', '\\"'], shell: ["'", "'\\''"] };

/** Kestra's escapeChar: every string inside the input gets its quotes escaped for that style. */
function escapeQuotes(value: unknown, style: EscapeStyle): unknown {
  if (Array.isArray(value)) return value.map((item) => escapeQuotes(item, style));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeQuotes(item, style)]));
  const [quote, escaped] = ESCAPES[style];
  return printValue(value).split(quote).join(escaped);
}

function escapeStyle(type: unknown): EscapeStyle {
  const name = typeof type === 'string' ? type.toLowerCase() : undefined;
  if (name === 'single' || name === 'double' || name === 'shell') return name;
  throw new EvalFailure(`the type must be 'single', 'double' or 'shell', got ${typeof type === 'string' ? `'${type}'` : typeName(type)}`);
}

/**
 * Epoch time in a unit, as Kestra computes it. Nanoseconds exceed exact doubles, so they are a
 * bigint; Kestra's timestampMicro is seconds × 10⁹ + microseconds (sic), kept as Kestra prints it.
 */
function timestampFilter(unit: 'seconds' | 'millis' | 'micros' | 'nanos'): FilterDef {
  return {
    params: ['timeZone', 'existingFormat'],
    required: 0,
    apply: (input, [timeZone, existingFormat]) => {
      if (isNullish(input)) return null;
      const instant = toDate(input, optionalString(timeZone, 'timeZone'), optionalString(existingFormat, 'existingFormat'));
      const { seconds, nano } = epochParts(instant);
      if (unit === 'seconds') return Number(seconds);
      if (unit === 'millis') return instant.date.getTime();
      if (unit === 'micros') return seconds * 1_000_000_000n + BigInt(Math.floor(nano / 1000));
      return seconds * 1_000_000_000n + BigInt(nano);
    },
  };
}

export const FILTERS: Record<string, FilterDef> = {
  default: { params: ['default'], required: 1, apply: (input, [fallback]) => (isEmptyValue(input) ? fallback : input) },

  upper: stringFilter((text) => text.toUpperCase()),
  lower: stringFilter((text) => text.toLowerCase()),
  // Pebble capitalizes the first character that is not whitespace.
  capitalize: stringFilter((text) => text.replace(/^(\s*)(\S)/u, (_match, space: string, first: string) => space + first.toUpperCase())),
  title: stringFilter((text) => text.replace(/(^|\s)(\S)/g, (_match, space: string, letter: string) => space + letter.toUpperCase())),
  trim: stringFilter((text) => text.trim()),
  urlencode: stringFilter(urlEncode),
  urldecode: stringFilter((text) => decodeURIComponent(text.replace(/\+/g, ' '))),
  base64encode: stringFilter((text) => Buffer.from(text, 'utf8').toString('base64')),
  base64decode: stringFilter(decodeBase64),
  startsWith: {
    params: ['value'],
    required: 1,
    apply: (input, [prefix]) => (isNullish(input) ? false : expectString(input).startsWith(expectString(prefix, 'the prefix'))),
  },
  endsWith: {
    params: ['value'],
    required: 1,
    apply: (input, [suffix]) => (isNullish(input) ? false : expectString(input).endsWith(expectString(suffix, 'the suffix'))),
  },
  escapeChar: {
    params: ['type'],
    required: 1,
    apply: (input, [type]) => (isNullish(input) ? null : escapeQuotes(input, escapeStyle(type))),
  },
  numberFormat: {
    params: ['format'],
    required: 1,
    apply: (input, [format]) => {
      if (isNullish(input)) return null;
      if (!isNumeric(input)) throw new EvalFailure(`expected a number, got ${typeName(input)}`);
      return formatNumber(toNumber(input), expectString(format, 'the format'));
    },
  },
  slugify: stringFilter((text) =>
    text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''),
  ),
  sha1: hashFilter('sha1'),
  sha256: hashFilter('sha256'),
  sha512: hashFilter('sha512'),
  md5: hashFilter('md5'),
  string: { params: [], required: 0, apply: (input) => printValue(input) },

  abbreviate: {
    params: ['length'],
    required: 1,
    // Pebble's rules: short texts stay whole, a width of 3 or less cuts without an ellipsis.
    apply: (input, [length]) => {
      if (isNullish(input)) return null;
      const text = expectString(input);
      const max = expectInteger(length, 'the length');
      if (max < 0) throw new EvalFailure(`the length must be 0 or more, got ${max}`);
      if (text.length < max || text.length <= 3) return text;
      if (max <= 3) return text.slice(0, max);
      return `${text.slice(0, max - 3)}...`;
    },
  },
  substringBefore: { params: ['separator'], required: 1, apply: (input, [sep]) => substring(input, sep, 'before', false) },
  substringBeforeLast: { params: ['separator'], required: 1, apply: (input, [sep]) => substring(input, sep, 'before', true) },
  substringAfter: { params: ['separator'], required: 1, apply: (input, [sep]) => substring(input, sep, 'after', false) },
  substringAfterLast: { params: ['separator'], required: 1, apply: (input, [sep]) => substring(input, sep, 'after', true) },
  indent: indentFilter(false),
  nindent: indentFilter(true),

  length: {
    params: [],
    required: 0,
    apply: (input) => {
      if (isNullish(input)) return 0;
      if (typeof input === 'string' || Array.isArray(input)) return input.length;
      if (isMap(input)) return Object.keys(input).length;
      throw new EvalFailure(`cannot take the length of ${typeName(input)}`);
    },
  },
  join: {
    params: ['separator'],
    required: 0,
    apply: (input, [separator]) =>
      isNullish(input) ? null : expectList(input).map(printValue).join(optionalString(separator, 'the separator') ?? ''),
  },
  split: {
    params: ['delimiter', 'limit'],
    required: 1,
    // Java's String.split: the delimiter is a regular expression; without a positive limit,
    // trailing empty parts are dropped unless the limit is negative.
    apply: (input, [delimiter, limit]) => {
      if (isNullish(input)) return null;
      const text = expectString(input);
      const max = isNullish(limit) ? 0 : expectInteger(limit, 'the limit');
      let pattern: RegExp;
      try {
        pattern = new RegExp(expectString(delimiter, 'the delimiter'), 'gu');
      } catch (error) {
        throw new EvalFailure(`invalid regular expression for the delimiter: ${(error as Error).message}`);
      }
      const parts: string[] = [];
      let from = 0;
      for (const match of text.matchAll(pattern)) {
        if (max > 0 && parts.length === max - 1) break;
        if (match[0] === '' && (match.index === 0 || match.index === text.length)) continue;
        parts.push(text.slice(from, match.index));
        from = match.index + match[0].length;
      }
      if (parts.length === 0) return [text];
      parts.push(text.slice(from));
      if (max === 0) while (parts.at(-1) === '') parts.pop();
      return parts;
    },
  },
  replace: {
    params: ['replace_pairs', 'replacement', 'regexp'],
    required: 1,
    apply: (input, [search, replacement, regexp]) => replace(input, search, replacement, regexp),
  },
  abs: {
    params: [],
    required: 0,
    apply: (input) => {
      if (!isNumeric(input)) throw new EvalFailure(`expected a number, got ${typeName(input)}`);
      return toNumber(input) < 0 ? negate(input) : input;
    },
  },
  number: { params: ['type'], required: 0, apply: (input, [type]) => (isNullish(input) ? null : parseNumber(input, optionalString(type, 'the type'))) },
  first: {
    params: [],
    required: 0,
    apply: (input) => {
      if (isNullish(input)) return null;
      if (typeof input === 'string') return input.length ? input[0] : null;
      const list = isMap(input) ? Object.values(input) : expectList(input);
      return list.length ? list[0] : null;
    },
  },
  last: {
    params: [],
    required: 0,
    apply: (input) => {
      if (isNullish(input)) return null;
      if (typeof input === 'string') return input.length ? input[input.length - 1] : null;
      const list = isMap(input) ? Object.values(input) : expectList(input);
      return list.length ? list[list.length - 1] : null;
    },
  },
  keys: {
    params: [],
    required: 0,
    apply: (input) => (isNullish(input) ? null : Array.isArray(input) ? input.map((_item, index) => index) : Object.keys(expectMap(input))),
  },
  values: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : Object.values(expectMap(input))) },
  sort: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : sortList(expectList(input))) },
  rsort: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : sortList(expectList(input)).reverse()) },
  reverse: {
    params: [],
    required: 0,
    apply: (input) => {
      if (isNullish(input)) return null;
      if (typeof input === 'string') return [...input].reverse().join('');
      return [...expectList(input)].reverse();
    },
  },
  slice: {
    params: ['fromIndex', 'toIndex'],
    required: 0,
    apply: (input, [from, to]) => {
      if (isNullish(input)) return null;
      if (typeof input === 'string') return slice(input, from, to);
      return slice(expectList(input), from, to);
    },
  },
  distinct: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : distinct(expectList(input))) },
  uniq: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : distinct(expectList(input))) },
  flatten: { params: [], required: 0, apply: (input) => (isNullish(input) ? null : flatten(expectList(input))) },
  chunk: {
    params: ['size'],
    required: 1,
    apply: (input, [size]) => {
      if (isNullish(input)) return null;
      const list = expectList(input);
      const width = expectInteger(size, 'the size');
      if (width <= 0) throw new EvalFailure('the size must be positive');
      const chunks: unknown[][] = [];
      for (let i = 0; i < list.length; i += width) chunks.push(list.slice(i, i + width));
      return chunks;
    },
  },
  merge: {
    params: ['items'],
    required: 1,
    // Pebble's merge: the left side decides the result; a map merged into a list adds its entries,
    // a list merged into a map adds each item as its own key.
    apply: (input, [items]) => {
      if (isNullish(input)) {
        if (isNullish(items)) throw new EvalFailure('both sides are null');
        return items;
      }
      if (isNullish(items)) return input;
      if (!Array.isArray(items) && !isMap(items)) throw new EvalFailure(`only a list or a map can be merged, got ${typeName(items)}`);
      if (Array.isArray(input)) {
        return [...input, ...(Array.isArray(items) ? items : Object.entries(items).map(([key, value]) => ({ key, value })))];
      }
      const map = expectMap(input);
      if (isMap(items)) return { ...map, ...items };
      return { ...map, ...Object.fromEntries(items.map((item) => [printValue(item), item])) };
    },
  },

  json: { params: [], required: 0, apply: (input) => toJson(input) },
  toJson: { params: [], required: 0, apply: (input) => toJson(input) },
  jsonEncode: { params: [], required: 0, apply: (input) => toJson(input) },
  yaml: { params: [], required: 0, apply: (input) => toYaml(input) },
  toIon: { params: [], required: 0, apply: (input) => toIon(input) },
  // Kestra's jq: a string input is JSON text; the result is the list of every output.
  jq: {
    params: ['expression'],
    required: 1,
    apply: (input, [expression]) => {
      if (isNullish(input)) return null;
      const query = expectString(expression, 'the expression');
      return runJq(typeof input === 'string' ? input : toJson(input), query).map(parseJsonText);
    },
  },

  date: {
    params: ['format', 'timeZone', 'existingFormat', 'locale'],
    required: 0,
    apply: (input, [format, timeZone, existingFormat]) => {
      if (isNullish(input)) return null;
      const zone = optionalString(timeZone, 'timeZone');
      const date = toDate(input, zone, optionalString(existingFormat, 'existingFormat'));
      return formatDate(date, optionalString(format, 'the format'), zone);
    },
  },
  dateAdd: {
    params: ['amount', 'unit', 'format', 'timeZone', 'existingFormat', 'locale'],
    required: 2,
    apply: (input, [amount, unit, format, timeZone, existingFormat]) => {
      if (isNullish(input)) return null;
      const zone = optionalString(timeZone, 'timeZone');
      const date = toDate(input, zone, optionalString(existingFormat, 'existingFormat'));
      const moved = addToDate(date, expectInteger(amount, 'the amount'), expectString(unit, 'the unit'), zone);
      return formatDate(moved, optionalString(format, 'the format'), zone);
    },
  },
  timestamp: timestampFilter('seconds'),
  timestampMilli: timestampFilter('millis'),
  timestampMicro: timestampFilter('micros'),
  timestampNano: timestampFilter('nanos'),
};

function substring(input: unknown, separator: unknown, side: 'before' | 'after', last: boolean): string | null {
  if (isNullish(input)) return null;
  const text = expectString(input);
  const sep = expectString(separator, 'the separator');
  const index = last ? text.lastIndexOf(sep) : text.indexOf(sep);
  if (index < 0) return side === 'before' ? text : '';
  return side === 'before' ? text.slice(0, index) : text.slice(index + sep.length);
}

function distinct(list: unknown[]): unknown[] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const key = toJson(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
