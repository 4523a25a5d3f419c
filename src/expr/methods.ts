/**
 * The Java methods Kestra flows call on values (`name.startsWith('a')`, `list.size()`,
 * `map.containsKey('k')`). Pebble reaches them by reflection; here they are an explicit list.
 */
import type { MethodDef } from './callable.ts';
import { EvalFailure } from './errors.ts';
import { double, isNumeric, toNumber } from './numbers.ts';
import { isMap, printValue, typeName, valuesEqual } from './values.ts';

type Receiver = 'string' | 'list' | 'map' | 'number' | 'boolean';

function receiverOf(value: unknown): Receiver | undefined {
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'list';
  if (isMap(value)) return 'map';
  if (isNumeric(value)) return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return undefined;
}

type Implementations = Partial<Record<Receiver, (target: never, args: unknown[]) => unknown>>;

function method(params: string[], required: number, implementations: Implementations): MethodDef {
  return {
    params,
    required,
    apply(target, args) {
      const receiver = receiverOf(target);
      const implementation = receiver && implementations[receiver];
      if (!implementation) {
        const accepted = Object.keys(implementations).join(' or ');
        throw new EvalFailure(`can only be called on a ${accepted}, not on ${typeName(target)}`);
      }
      // Number methods see a plain number; doubleValue() turns it back into a double.
      return implementation((isNumeric(target) ? toNumber(target) : target) as never, args);
    },
  };
}

function text(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new EvalFailure(`expected ${what} to be a string, got ${typeName(value)}`);
}

function index(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new EvalFailure(`expected ${what} to be a whole number, got ${typeName(value)}`);
}

function bounded(position: number, length: number, what: string): number {
  if (position < 0 || position > length) throw new EvalFailure(`${what} ${position} is out of range for length ${length}`);
  return position;
}

function listGet(list: unknown[], position: unknown): unknown {
  const at = index(position, 'the index');
  if (at < 0 || at >= list.length) throw new EvalFailure(`index ${at} is out of range for a list of ${list.length} items`);
  return list[at];
}

function mapGet(map: Record<string, unknown>, key: unknown): unknown {
  const name = printValue(key);
  return Object.hasOwn(map, name) ? map[name] : null;
}

export const METHODS: Record<string, MethodDef> = {
  size: method([], 0, {
    string: (s: string) => s.length,
    list: (l: unknown[]) => l.length,
    map: (m: Record<string, unknown>) => Object.keys(m).length,
  }),
  length: method([], 0, { string: (s: string) => s.length }),
  isEmpty: method([], 0, {
    string: (s: string) => s.length === 0,
    list: (l: unknown[]) => l.length === 0,
    map: (m: Record<string, unknown>) => Object.keys(m).length === 0,
  }),
  isBlank: method([], 0, { string: (s: string) => s.trim() === '' }),
  contains: method(['value'], 1, {
    string: (s: string, [v]) => s.includes(text(v, 'the argument')),
    list: (l: unknown[], [v]) => l.some((item) => valuesEqual(item, v)),
  }),
  startsWith: method(['prefix'], 1, { string: (s: string, [p]) => s.startsWith(text(p, 'the prefix')) }),
  endsWith: method(['suffix'], 1, { string: (s: string, [p]) => s.endsWith(text(p, 'the suffix')) }),
  equals: method(['other'], 1, {
    string: (s: string, [o]) => valuesEqual(s, o),
    list: (l: unknown[], [o]) => valuesEqual(l, o),
    map: (m: Record<string, unknown>, [o]) => valuesEqual(m, o),
    number: (n: number, [o]) => valuesEqual(n, o),
    boolean: (b: boolean, [o]) => valuesEqual(b, o),
  }),
  equalsIgnoreCase: method(['other'], 1, {
    string: (s: string, [o]) => typeof o === 'string' && s.toLowerCase() === o.toLowerCase(),
  }),
  toUpperCase: method([], 0, { string: (s: string) => s.toUpperCase() }),
  toLowerCase: method([], 0, { string: (s: string) => s.toLowerCase() }),
  trim: method([], 0, { string: (s: string) => s.trim() }),
  strip: method([], 0, { string: (s: string) => s.trim() }),
  substring: method(['beginIndex', 'endIndex'], 1, {
    string: (s: string, [begin, end]) => {
      const from = bounded(index(begin, 'beginIndex'), s.length, 'beginIndex');
      const to = end === undefined ? s.length : bounded(index(end, 'endIndex'), s.length, 'endIndex');
      if (from > to) throw new EvalFailure(`beginIndex ${from} is after endIndex ${to}`);
      return s.slice(from, to);
    },
  }),
  indexOf: method(['value'], 1, {
    string: (s: string, [v]) => s.indexOf(text(v, 'the argument')),
    list: (l: unknown[], [v]) => l.findIndex((item) => valuesEqual(item, v)),
  }),
  lastIndexOf: method(['value'], 1, { string: (s: string, [v]) => s.lastIndexOf(text(v, 'the argument')) }),
  charAt: method(['index'], 1, {
    string: (s: string, [i]) => {
      const at = index(i, 'the index');
      if (at < 0 || at >= s.length) throw new EvalFailure(`index ${at} is out of range for length ${s.length}`);
      return s[at];
    },
  }),
  replace: method(['target', 'replacement'], 2, {
    string: (s: string, [t, r]) => s.split(text(t, 'the target')).join(text(r, 'the replacement')),
  }),
  split: method(['delimiter'], 1, { string: (s: string, [d]) => s.split(text(d, 'the delimiter')) }),
  concat: method(['other'], 1, { string: (s: string, [o]) => s + text(o, 'the argument') }),
  matches: method(['regex'], 1, {
    string: (s: string, [r]) => {
      try {
        return new RegExp(`^(?:${text(r, 'the regex')})$`, 'u').test(s);
      } catch (error) {
        throw new EvalFailure(`invalid regular expression: ${(error as Error).message}`);
      }
    },
  }),
  toString: method([], 0, {
    string: (s: string) => s,
    list: (l: unknown[]) => printValue(l),
    map: (m: Record<string, unknown>) => printValue(m),
    number: (n: number) => printValue(n),
    boolean: (b: boolean) => printValue(b),
  }),
  get: method(['key'], 1, {
    list: (l: unknown[], [i]) => listGet(l, i),
    map: (m: Record<string, unknown>, [k]) => mapGet(m, k),
  }),
  containsKey: method(['key'], 1, { map: (m: Record<string, unknown>, [k]) => Object.hasOwn(m, printValue(k)) }),
  containsValue: method(['value'], 1, {
    map: (m: Record<string, unknown>, [v]) => Object.values(m).some((item) => valuesEqual(item, v)),
  }),
  keySet: method([], 0, { map: (m: Record<string, unknown>) => Object.keys(m) }),
  values: method([], 0, { map: (m: Record<string, unknown>) => Object.values(m) }),
  intValue: method([], 0, { number: (n: number) => Math.trunc(n) }),
  longValue: method([], 0, { number: (n: number) => Math.trunc(n) }),
  doubleValue: method([], 0, { number: (n: number) => double(n) }),
};
