/**
 * Dates for the `date`, `dateAdd` and timestamp filters: reading a value as an instant, formatting
 * with Java DateTimeFormatter patterns (the subset flows use) and calendar arithmetic, in UTC unless
 * a time zone is given.
 */
import { EvalFailure } from './errors.ts';
import { typeName } from './values.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MS_PER_DAY = 86_400_000;

/**
 * An instant with Java's nanosecond precision: `date` holds the milliseconds, `nano` the whole
 * nano-of-second. `offsetMs` is the offset the text was written with, which date arithmetic keeps,
 * as Java's ZonedDateTime does.
 */
export interface Instant {
  date: Date;
  nano: number;
  offsetMs?: number;
}

function instantOf(date: Date, offsetMs?: number): Instant {
  const ms = date.getTime();
  return { date, nano: (((ms % 1000) + 1000) % 1000) * 1_000_000, offsetMs };
}

/** Calendar fields of an instant as seen in a zone. */
interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  nano: number;
  weekday: number;
  dayOfYear: number;
  offsetMs: number;
  zone: string;
}

/** Kestra's named formats, plus `iso8601` (what Date#toISOString prints). */
const NAMED_PATTERNS: Record<string, string> = {
  iso: "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
  iso_sec: "yyyy-MM-dd'T'HH:mm:ssXXX",
  iso8601: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  sql: 'yyyy-MM-dd HH:mm:ss.SSSSSS',
  sql_seq: 'yyyy-MM-dd HH:mm:ss',
  iso_date: 'yyyy-MM-ddXXX',
  iso_local_date: 'yyyy-MM-dd',
  iso_ordinal_date: 'yyyy-DDDXXX',
  rfc_1123_date_time: 'EEE, d MMM yyyy HH:mm:ss Z',
};

/** Java's ISO_* formatters print the fraction only when it is not zero. */
const NAMED_WITH_OPTIONAL_FRACTION: Record<string, (fields: Fields) => string> = {
  iso_date_time: (f) => `${formatPattern(f, "yyyy-MM-dd'T'HH:mm:ss")}${fraction(f)}${formatPattern(f, 'XXX')}`,
  iso_zoned_date_time: (f) => `${formatPattern(f, "yyyy-MM-dd'T'HH:mm:ss")}${fraction(f)}${formatPattern(f, 'XXX')}`,
  iso_offset_date_time: (f) => `${formatPattern(f, "yyyy-MM-dd'T'HH:mm:ss")}${fraction(f)}${formatPattern(f, 'XXX')}`,
  iso_local_date_time: (f) => `${formatPattern(f, "yyyy-MM-dd'T'HH:mm:ss")}${fraction(f)}`,
  iso_time: (f) => `${formatPattern(f, 'HH:mm:ss')}${fraction(f)}${formatPattern(f, 'XXX')}`,
  iso_offset_time: (f) => `${formatPattern(f, 'HH:mm:ss')}${fraction(f)}${formatPattern(f, 'XXX')}`,
  iso_local_time: (f) => `${formatPattern(f, 'HH:mm:ss')}${fraction(f)}`,
  iso_instant: (f) => {
    const date = new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.ms) - f.offsetMs);
    const utc = fieldsOf({ date, nano: f.nano }, 'UTC');
    return `${formatPattern(utc, "yyyy-MM-dd'T'HH:mm:ss")}${fraction(utc)}Z`;
  },
};

const STYLES = new Set(['full', 'long', 'medium', 'short']);

/** Java's ISO formatters print the fraction in groups of three digits, as many as it needs. */
function fraction(fields: Fields): string {
  if (fields.nano === 0) return '';
  const digits = String(fields.nano).padStart(9, '0');
  return `.${fields.nano % 1_000_000 === 0 ? digits.slice(0, 3) : fields.nano % 1000 === 0 ? digits.slice(0, 6) : digits}`;
}

// ---------------------------------------------------------------------------------------------
// Reading values as instants

/**
 * Messages never quote the text itself: it may hold a secret.
 * Date as is; ISO-8601 text (offset optional, a `[Zone]` suffix allowed, no offset means `zone`);
 * numbers are epoch milliseconds, or epoch seconds when too small to be milliseconds of a recent
 * date (Kestra reads whole numbers as seconds).
 */
export function toDate(value: unknown, zone?: string, existingFormat?: string): Instant {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new EvalFailure('invalid date');
    return instantOf(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return instantOf(new Date(Math.abs(value) >= 1e11 ? value : value * 1000));
  }
  if (typeof value === 'string') {
    if (existingFormat !== undefined && !ISO_PARSED_FORMATS.has(existingFormat)) {
      return parseWithPattern(value, NAMED_PATTERNS[existingFormat] ?? existingFormat, zone);
    }
    const parsed = parseIso(value.trim(), zone);
    if (parsed) return parsed;
    throw new EvalFailure(`cannot read the string (${value.length} characters) as a date: expected ISO 8601 such as 2024-01-31T10:15:00Z, or give existingFormat`);
  }
  throw new EvalFailure(`expected a date, an ISO 8601 string or epoch milliseconds, got ${typeName(value)}`);
}

const ISO_TEXT = /^([+-]?\d{4,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?(?:\[([^\]]+)\])?$/;

/** existingFormat names of Java's ISO parsers, which read what parseIso reads. */
const ISO_PARSED_FORMATS = new Set([
  'iso', 'iso_sec', 'iso8601', 'iso_date_time', 'iso_offset_date_time', 'iso_zoned_date_time', 'iso_local_date_time', 'iso_instant',
  'iso_date', 'iso_local_date',
]);

function parseIso(text: string, zone: string | undefined): Instant | undefined {
  const match = ISO_TEXT.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', frac = '', offset, bracketZone] = match;
  const nano = Number(frac.padEnd(9, '0'));
  const local = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Math.floor(nano / 1_000_000));
  if (!validFields(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second))) return undefined;
  if (offset !== undefined) {
    const offsetMs = parseOffset(offset);
    return { date: new Date(local - offsetMs), nano, offsetMs };
  }
  return { date: new Date(localToInstant(local, bracketZone ?? zone)), nano };
}

function validFields(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour < 24 && minute < 60 && second < 60;
}

function parseOffset(offset: string): number {
  if (/^(Z|z|UTC|GMT)$/.test(offset)) return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
}

/** Parses text with a numeric Java pattern (`dd/MM/yyyy HH:mm`), for the `existingFormat` argument. */
function parseWithPattern(text: string, pattern: string, zone: string | undefined): Instant {
  const parts: { letter: string; count: number }[] = [];
  let regex = '';
  for (const piece of tokenizePattern(pattern)) {
    if (piece.kind === 'literal') {
      regex += piece.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const { letter, count } = piece;
    parts.push(piece);
    if (letter === 'y' || letter === 'u') regex += count === 2 ? '(\\d{2})' : '([+-]?\\d{4,9})';
    else if (letter === 'M' && count >= 3) regex += '([A-Za-z]+)';
    else if ('MdHhms'.includes(letter)) regex += count === 1 ? '(\\d{1,2})' : `(\\d{${count}})`;
    else if (letter === 'S') regex += `(\\d{${count}})`;
    else if (letter === 'a') regex += '(AM|PM|am|pm)';
    else if (letter === 'X' || letter === 'x' || letter === 'Z') regex += '(Z|GMT|UTC|[+-]\\d{2}(?::?\\d{2})?)';
    else if (letter === 'E') regex += '[A-Za-z]+';
    else throw new EvalFailure(`existingFormat letter '${letter}' is not supported`);
    if (letter === 'E') parts.pop();
  }
  const match = new RegExp(`^${regex}$`).exec(text.trim());
  if (!match) throw new EvalFailure(`the string does not match the format '${pattern}'`);
  const value = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, nano: 0, pm: undefined as boolean | undefined, offset: undefined as number | undefined };
  parts.forEach(({ letter, count }, index) => {
    const raw = match[index + 1];
    if (letter === 'y' || letter === 'u') value.year = count === 2 ? 2000 + Number(raw) : Number(raw);
    else if (letter === 'M') value.month = count >= 3 ? monthFromName(raw) : Number(raw);
    else if (letter === 'd') value.day = Number(raw);
    else if (letter === 'H' || letter === 'h') value.hour = Number(raw);
    else if (letter === 'm') value.minute = Number(raw);
    else if (letter === 's') value.second = Number(raw);
    else if (letter === 'S') value.nano = Number(raw.padEnd(9, '0').slice(0, 9));
    else if (letter === 'a') value.pm = raw.toUpperCase() === 'PM';
    else value.offset = parseOffset(raw);
  });
  if (value.pm !== undefined) value.hour = (value.hour % 12) + (value.pm ? 12 : 0);
  if (!validFields(value.year, value.month, value.day, value.hour, value.minute, value.second)) {
    throw new EvalFailure(`the string is not a valid date for the format '${pattern}'`);
  }
  const local = Date.UTC(value.year, value.month - 1, value.day, value.hour, value.minute, value.second, Math.floor(value.nano / 1_000_000));
  if (value.offset === undefined) return { date: new Date(localToInstant(local, zone)), nano: value.nano };
  return { date: new Date(local - value.offset), nano: value.nano, offsetMs: value.offset };
}

function monthFromName(name: string): number {
  const index = MONTHS.findIndex((month) => month.toLowerCase().startsWith(name.toLowerCase().slice(0, 3)));
  if (index < 0) throw new EvalFailure('the string has no valid month name where the format expects one');
  return index + 1;
}

// ---------------------------------------------------------------------------------------------
// Time zones

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function isUtc(zone: string | undefined): boolean {
  return zone === undefined || zone === 'UTC' || zone === 'Z' || zone === 'GMT' || zone === 'Etc/UTC';
}

/** Offset of `zone` from UTC at an instant, in ms. Accepts IANA names and fixed `+02:00` offsets. */
function zoneOffsetMs(instant: number, zone: string | undefined): number {
  if (isUtc(zone)) return 0;
  const fixed = /^(?:UTC|GMT)?([+-]\d{2}(?::?\d{2})?)$/.exec(zone as string);
  if (fixed) return parseOffset(fixed[1]);
  let formatter = zoneFormatters.get(zone as string);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new EvalFailure(`unknown time zone '${zone}' (use an IANA name such as Europe/Paris, or an offset such as +02:00)`);
    }
    zoneFormatters.set(zone as string, formatter);
  }
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(whole))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - whole;
}

/** The instant whose wall-clock time in `zone` is `local` (a UTC-based ms value). */
function localToInstant(local: number, zone: string | undefined): number {
  const guess = local - zoneOffsetMs(local, zone);
  return local - zoneOffsetMs(guess, zone);
}

function fieldsOf(instant: Instant, zone: string | undefined): Fields {
  const { date, nano } = instant;
  const offsetMs = zoneOffsetMs(date.getTime(), zone);
  const local = new Date(date.getTime() + offsetMs);
  const year = local.getUTCFullYear();
  return {
    year,
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    ms: local.getUTCMilliseconds(),
    nano,
    weekday: local.getUTCDay(),
    dayOfYear: Math.floor((local.getTime() - Date.UTC(year, 0, 1)) / MS_PER_DAY) + 1,
    offsetMs,
    zone: zone ?? 'UTC',
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

type PatternPiece = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; count: number };

function tokenizePattern(pattern: string): PatternPiece[] {
  const pieces: PatternPiece[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "'") {
      if (pattern[i + 1] === "'") {
        pieces.push({ kind: 'literal', text: "'" });
        i += 2;
        continue;
      }
      let text = '';
      i++;
      while (i < pattern.length) {
        if (pattern[i] === "'" && pattern[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (pattern[i] === "'") {
          break;
        } else {
          text += pattern[i++];
        }
      }
      if (i >= pattern.length) throw new EvalFailure(`the date format '${pattern}' has an unclosed quote`);
      i++;
      pieces.push({ kind: 'literal', text });
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let count = 1;
      while (pattern[i + count] === ch) count++;
      pieces.push({ kind: 'field', letter: ch, count });
      i += count;
      continue;
    }
    // Java's optional-section brackets print their content when formatting.
    if (ch !== '[' && ch !== ']') pieces.push({ kind: 'literal', text: ch });
    i++;
  }
  return pieces;
}

function pad(value: number, width: number): string {
  const text = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${text}` : text;
}

function formatOffset(offsetMs: number, style: 'X' | 'XX' | 'XXX' | 'x' | 'xx' | 'xxx' | 'Z' | 'ZZZZ' | 'ZZZZZ'): string {
  if (offsetMs === 0 && (style.startsWith('X') || style === 'ZZZZZ')) return 'Z';
  if (offsetMs === 0 && style === 'ZZZZ') return 'GMT';
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.abs(offsetMs) / 60_000;
  const hours = pad(Math.floor(total / 60), 2);
  const minutes = pad(total % 60, 2);
  if (style === 'X' || style === 'x') return minutes === '00' ? `${sign}${hours}` : `${sign}${hours}${minutes}`;
  if (style === 'XX' || style === 'xx' || style === 'Z') return `${sign}${hours}${minutes}`;
  if (style === 'ZZZZ') return `GMT${sign}${hours}:${minutes}`;
  return `${sign}${hours}:${minutes}`;
}

function formatField(f: Fields, letter: string, count: number): string {
  switch (letter) {
    case 'y':
    case 'u':
      return count === 2 ? pad(f.year % 100, 2) : pad(f.year, count);
    case 'M':
    case 'L':
      if (count >= 5) return MONTHS[f.month - 1][0];
      if (count === 4) return MONTHS[f.month - 1];
      if (count === 3) return MONTHS[f.month - 1].slice(0, 3);
      return pad(f.month, count);
    case 'd':
      return pad(f.day, count);
    case 'D':
      return pad(f.dayOfYear, count);
    case 'H':
      return pad(f.hour, count);
    case 'k':
      return pad(f.hour === 0 ? 24 : f.hour, count);
    case 'h':
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, count);
    case 'K':
      return pad(f.hour % 12, count);
    case 'm':
      return pad(f.minute, count);
    case 's':
      return pad(f.second, count);
    case 'S':
      return String(f.nano).padStart(9, '0').padEnd(count, '0').slice(0, count);
    case 'n':
      return String(f.nano);
    case 'a':
      return f.hour < 12 ? 'AM' : 'PM';
    case 'E':
      if (count >= 5) return DAYS[f.weekday][0];
      return count === 4 ? DAYS[f.weekday] : DAYS[f.weekday].slice(0, 3);
    case 'e':
    case 'c':
      return String(f.weekday === 0 ? 7 : f.weekday);
    case 'X':
      return formatOffset(f.offsetMs, count === 1 ? 'X' : count === 2 ? 'XX' : 'XXX');
    case 'x':
      return formatOffset(f.offsetMs, count === 1 ? 'x' : count === 2 ? 'xx' : 'xxx');
    case 'Z':
      return formatOffset(f.offsetMs, count <= 3 ? 'Z' : count === 4 ? 'ZZZZ' : 'ZZZZZ');
    case 'V':
    case 'z':
      return f.zone;
    default:
      throw new EvalFailure(`the date pattern letter '${letter}' is not supported`);
  }
}

function formatPattern(fields: Fields, pattern: string): string {
  let out = '';
  for (const piece of tokenizePattern(pattern)) {
    out += piece.kind === 'literal' ? piece.text : formatField(fields, piece.letter, piece.count);
  }
  return out;
}

/** Formats like Kestra's `date` filter: a named format (default `iso`) or a Java pattern. */
export function formatDate(instant: Instant, format: string | undefined, zone: string | undefined): string {
  const name = format ?? 'iso';
  if (STYLES.has(name)) {
    const style = name as 'full' | 'long' | 'medium' | 'short';
    zoneOffsetMs(instant.date.getTime(), zone);
    return new Intl.DateTimeFormat('en-US', { dateStyle: style, timeStyle: style, timeZone: zone ?? 'UTC' }).format(instant.date);
  }
  const fields = fieldsOf(instant, zone);
  const optionalFraction = NAMED_WITH_OPTIONAL_FRACTION[name];
  if (optionalFraction) return optionalFraction(fields);
  return formatPattern(fields, NAMED_PATTERNS[name] ?? name);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

/** Nanoseconds per unit, for the units that do not depend on the calendar. */
const FIXED_UNITS: Record<string, bigint> = {
  NANOS: 1n, MICROS: 1000n, MILLIS: 1_000_000n, SECONDS: 1_000_000_000n, MINUTES: 60_000_000_000n, HOURS: 3_600_000_000_000n,
  HALF_DAYS: 43_200_000_000_000n,
};
const DAY_UNITS: Record<string, number> = { DAYS: 1, WEEKS: 7 };
const MONTH_UNITS: Record<string, number> = { MONTHS: 1, YEARS: 12, DECADES: 120, CENTURIES: 1200, MILLENNIA: 12_000 };
export const DATE_UNITS = [...Object.keys(FIXED_UNITS), ...Object.keys(DAY_UNITS), ...Object.keys(MONTH_UNITS)];

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function normalizeUnit(unit: string): string | undefined {
  const upper = unit.toUpperCase();
  if (DATE_UNITS.includes(upper)) return upper;
  const plural = `${upper}S`;
  return DATE_UNITS.includes(plural) ? plural : undefined;
}

function epochNanos(instant: Instant): bigint {
  return BigInt(Math.floor(instant.date.getTime() / 1000)) * 1_000_000_000n + BigInt(instant.nano);
}

function fromEpochNanos(total: bigint, offsetMs: number | undefined): Instant {
  const seconds = total >= 0n ? total / 1_000_000_000n : -((-total + 999_999_999n) / 1_000_000_000n);
  const nano = Number(total - seconds * 1_000_000_000n);
  return { date: new Date(Number(seconds) * 1000 + Math.floor(nano / 1_000_000)), nano, offsetMs };
}

/** Seconds and nano-of-second since the epoch, for the timestamp filters. */
export function epochParts(instant: Instant): { seconds: bigint; nano: number } {
  const total = epochNanos(instant);
  const seconds = (total - BigInt(instant.nano)) / 1_000_000_000n;
  return { seconds, nano: instant.nano };
}

/**
 * Java's `ZonedDateTime.plus(amount, unit)`: days keep the wall-clock time, months clamp the day.
 * Text written with an offset is moved in that offset, as Kestra parses it to a ZonedDateTime.
 */
export function addToDate(instant: Instant, amount: number, unit: string, zone: string | undefined): Instant {
  const normalized = normalizeUnit(unit);
  if (normalized === undefined) {
    throw new EvalFailure(`unknown unit '${unit}' (expected one of ${DATE_UNITS.join(', ')})`);
  }
  if (!Number.isInteger(amount)) throw new EvalFailure(`the amount must be a whole number, got ${amount}`);
  if (normalized in FIXED_UNITS) return fromEpochNanos(epochNanos(instant) + BigInt(amount) * FIXED_UNITS[normalized], instant.offsetMs);
  const arithmeticZone = instant.offsetMs === undefined ? zone : formatOffset(instant.offsetMs, 'XXX');
  const f = fieldsOf(instant, arithmeticZone);
  let local: number;
  if (normalized in DAY_UNITS) {
    local = Date.UTC(f.year, f.month - 1, f.day + amount * DAY_UNITS[normalized], f.hour, f.minute, f.second, f.ms);
  } else {
    const months = f.year * 12 + (f.month - 1) + amount * MONTH_UNITS[normalized];
    const year = Math.floor(months / 12);
    const month = (months % 12) + 1;
    const day = Math.min(f.day, daysInMonth(year, month));
    local = Date.UTC(year, month - 1, day, f.hour, f.minute, f.second, f.ms);
  }
  return { date: new Date(localToInstant(local, arithmeticZone)), nano: instant.nano, offsetMs: instant.offsetMs };
}
