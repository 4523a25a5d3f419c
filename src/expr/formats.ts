/**
 * Text formats that filters write values in, the way Kestra's Jackson mappers and Java's
 * DecimalFormat write them: YAML (`yaml`), Amazon Ion text (`toIon`) and number patterns
 * (`numberFormat`).
 */
import { stringify as yamlScalar } from 'yaml';
import { EvalFailure } from './errors.ts';
import { isDouble, isNumeric, printNumeric, toNumber } from './numbers.ts';
import { isMap } from './values.ts';

// ---------------------------------------------------------------------------------------------
// YAML, as Kestra's YAMLMapper writes it: no document marker, minimal quotes, and list items
// indented by one space under their parent (Jackson's INDENT_ARRAYS).

/** Words YAML 1.1 readers take for booleans; Jackson quotes them although YAML 1.2 would not. */
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function yamlText(text: string): string {
  // Multi-line text is written double-quoted with escapes, as Jackson does without LITERAL_BLOCK_STYLE.
  if (text.includes('\n') || YAML11_BOOLEAN.test(text)) return JSON.stringify(text);
  return yamlScalar(text, { lineWidth: 0 }).trimEnd();
}

function yamlLeaf(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return yamlText(value);
  if (isNumeric(value)) return printNumeric(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (isMap(value) && Object.keys(value).length === 0) return '{}';
  return undefined;
}

/** Lines of a collection, each without the indentation of where the collection starts. */
function yamlLines(value: unknown): string[] {
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const leaf = yamlLeaf(item);
      if (leaf !== undefined) {
        lines.push(` - ${leaf}`);
        continue;
      }
      const [first, ...rest] = yamlLines(item);
      // A nested list's own ' - ' lines keep their one-space indicator indent after '- '.
      lines.push(` - ${first.trimStart()}`, ...rest.map((line) => `   ${line}`));
    }
    return lines;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const leaf = yamlLeaf(item);
    if (leaf !== undefined) {
      lines.push(`${yamlText(key)}: ${leaf}`);
      continue;
    }
    lines.push(`${yamlText(key)}:`);
    const nested = yamlLines(item);
    lines.push(...(Array.isArray(item) ? nested : nested.map((line) => `  ${line}`)));
  }
  return lines;
}

export function toYaml(value: unknown): string {
  const leaf = yamlLeaf(value);
  if (leaf !== undefined) return `${leaf}\n`;
  return `${yamlLines(value).join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Ion text, as Jackson's Ion mapper writes it: compact, field names as symbols, doubles as Ion
// floats (`1.5e0`).

const ION_SYMBOL = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ION_KEYWORDS = new Set(['null', 'true', 'false', 'nan']);

function ionSymbol(name: string): string {
  if (ION_SYMBOL.test(name) && !ION_KEYWORDS.has(name)) return name;
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function ionNumber(numeric: number | bigint | object): string {
  if (!isDouble(numeric)) return String(numeric);
  const value = toNumber(numeric as number);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? '+inf' : '-inf';
  const [mantissa, exponent = '0'] = value.toExponential().split('e');
  return `${mantissa}e${Number(exponent)}`;
}

export function toIon(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (isNumeric(value)) return ionNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(toIon).join(',')}]`;
  if (isMap(value)) return `{${Object.entries(value).map(([key, item]) => `${ionSymbol(key)}:${toIon(item)}`).join(',')}}`;
  throw new EvalFailure('the value cannot be written as Ion');
}

// ---------------------------------------------------------------------------------------------
// java.text.DecimalFormat patterns: `#` and `0` digits, `,` grouping, `.` fraction, `%`, quoted
// or plain prefix and suffix; rounding half-even, as DecimalFormat does.

interface NumberPattern {
  prefix: string;
  suffix: string;
  minInteger: number;
  grouping: number;
  minFraction: number;
  maxFraction: number;
  percent: boolean;
}

function parseNumberPattern(pattern: string): NumberPattern {
  const positive = pattern.split(';')[0];
  const match = /^((?:'[^']*'|[^#0,.%'])*)([#0,]*)(?:\.([#0]*))?((?:'[^']*'|[^#0,.'])*)$/.exec(positive);
  if (!match || match[2] === '' && match[3] === undefined) throw new EvalFailure(`'${pattern}' is not a number format (use digits such as '#,##0.00')`);
  const [, prefix, integer, fraction = '', suffix] = match;
  const unquote = (text: string) => text.replace(/'([^']*)'/g, (_m, inner: string) => (inner === '' ? "'" : inner));
  const lastComma = integer.lastIndexOf(',');
  return {
    prefix: unquote(prefix),
    suffix: unquote(suffix),
    minInteger: (integer.match(/0/g) ?? []).length,
    grouping: lastComma < 0 ? 0 : integer.length - lastComma - 1,
    minFraction: (fraction.match(/0/g) ?? []).length,
    maxFraction: fraction.length,
    percent: (prefix + suffix).includes('%'),
  };
}

/** Rounds a decimal digit string half-even at `digits` fraction digits. */
function roundHalfEven(value: number, digits: number): string {
  const exact = value.toFixed(Math.min(100, digits + 20));
  const [whole, fraction = ''] = exact.split('.');
  const kept = `${whole}${fraction.slice(0, digits)}`;
  const rest = fraction.slice(digits);
  let digitsOut = BigInt(kept);
  const half = rest[0] ?? '0';
  const beyond = /[1-9]/.test(rest.slice(1));
  if (half > '5' || (half === '5' && (beyond || digitsOut % 2n === 1n))) digitsOut += 1n;
  const text = digitsOut.toString().padStart(digits + 1, '0');
  return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export function formatNumber(value: number, pattern: string): string {
  const format = parseNumberPattern(pattern);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '-∞';
  const scaled = Math.abs(format.percent ? value * 100 : value);
  let [integer, fraction = ''] = roundHalfEven(scaled, format.maxFraction).split('.');
  fraction = fraction.replace(/0+$/, '').padEnd(format.minFraction, '0');
  integer = integer.replace(/^0+/, '').padStart(format.minInteger, '0');
  if (format.grouping > 0) integer = integer.replace(new RegExp(`\\B(?=(\\d{${format.grouping}})+(?!\\d))`, 'g'), ',');
  const sign = value < 0 && /[1-9]/.test(integer + fraction) ? '-' : '';
  const body = fraction ? `${integer}.${fraction}` : integer === '' ? '0' : integer;
  return `${sign}${format.prefix}${body}${format.suffix}`;
}
